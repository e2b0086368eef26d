package org.xcam.metrics.detection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.Box;
import org.xcam.api.Heatmap;
import org.xcam.api.InvalidInputException;
import org.xcam.api.MetricContext;
import org.xcam.api.Options;
import org.xcam.api.spi.MetricProvider;

/**
 * A 6 x 8 map: blob A = 1.0 at x 1..2, y 1..2 plus a diagonal neighbour 0.9 at (3, 3); blob B = 0.6 at x 5..7, y 3..5.
 */
class HeatmapBoxTest {
  static Heatmap map() {
    int h = 6, w = 8;
    float[] v = new float[h * w];
    for (int y = 1; y <= 2; y++) for (int x = 1; x <= 2; x++) v[y * w + x] = 1f;
    v[3 * w + 3] = 0.9f;
    for (int y = 3; y <= 5; y++) for (int x = 5; x <= 7; x++) v[y * w + x] = 0.6f;
    return Heatmap.of(v, h, w, "test", "input", "t", Heatmap.Resolution.INPUT);
  }

  private static void assertBox(Box b, double x0, double y0, double x1, double y1) {
    assertThat(new double[] {b.x0(), b.y0(), b.x1(), b.y1()}).containsExactly(x0, y0, x1, y1);
  }

  @Test
  @DisplayName("threshold 0.5: B (9 pixels) beats A with its diagonal neighbour (5 pixels) -> [5,3,8,6]")
  void largest() {
    assertBox(HeatmapBox.largestComponent(map(), 0.5, "x", 0.3).orElseThrow(), 5, 3, 8, 6);
  }

  @Test
  @DisplayName("threshold 0.7: only A remains; the diagonal pixel joins it (8-connectivity) -> [1,1,4,4]")
  void eightConnected() {
    Box b = HeatmapBox.largestComponent(map(), 0.7, "x", 0.3).orElseThrow();
    assertBox(b, 1, 1, 4, 4);
    assertThat(b.label()).isEqualTo("x");
    assertThat(b.score()).isEqualTo(0.3);
    // threshold 0.95: the diagonal pixel (0.9) drops out -> [1,1,3,3]
    assertBox(HeatmapBox.largestComponent(map(), 0.95, "x", 1).orElseThrow(), 1, 1, 3, 3);
  }

  @Test
  @DisplayName("an all-zero map has no box; a threshold outside (0, 1] is an error")
  void empty() {
    assertThat(HeatmapBox.largestComponent(new float[12], 3, 4, 0.5, "x", 1)).isEmpty();
    assertThatThrownBy(() -> HeatmapBox.largestComponent(map(), 0, "x", 1)).isInstanceOf(InvalidInputException.class);
  }

  @Test
  @DisplayName("heatmap-box-iou and heatmap-box-hit are registered and score the box against the truth")
  void providers() {
    Map<String, MetricProvider> ps = new java.util.HashMap<>();
    for (MetricProvider p : ServiceLoader.load(MetricProvider.class)) ps.put(p.name(), p);
    assertThat(ps).containsKeys("heatmap-box-iou", "heatmap-box-hit");
    MetricProvider iou = ps.get("heatmap-box-iou");
    MetricContext exact = MetricContext.builder(map()).boxes(List.of(Box.of(5, 3, 8, 6, "x"))).build();
    assertThat(iou.create(Options.defaults("t", iou.options())).score(exact).value()).isCloseTo(1.0, within(1e-12));
    // threshold .7 -> [1,1,4,4] vs truth [0,0,4,4]: 9 / 16
    MetricContext other = MetricContext.builder(map()).boxes(List.of(Box.of(0, 0, 4, 4, "x"), Box.of(5, 3, 8, 6, "x"))).build();
    // default threshold .5 -> [5,3,8,6]: the best of several truths counts
    assertThat(iou.create(Options.defaults("t", iou.options())).score(other).value()).isCloseTo(1.0, within(1e-12));
    MetricContext only = MetricContext.builder(map()).boxes(List.of(Box.of(0, 0, 4, 4, "x"))).build();
    assertThat(iou.create(Options.of("t", iou.options(), Map.of("threshold", "0.7"))).score(only).value()).isCloseTo(9.0 / 16, within(1e-12));
    MetricProvider hit = ps.get("heatmap-box-hit");
    assertThat(hit.create(Options.of("t", hit.options(), Map.of("threshold", "0.7", "iou", "0.5"))).score(only).value()).isEqualTo(1.0);
    assertThat(hit.create(Options.of("t", hit.options(), Map.of("threshold", "0.7", "iou", "0.6"))).score(only).value()).isEqualTo(0.0);
  }
}
