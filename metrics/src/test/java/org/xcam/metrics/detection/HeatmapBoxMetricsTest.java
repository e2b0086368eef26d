package org.xcam.metrics.detection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.Box;
import org.xcam.api.Heatmap;
import org.xcam.api.MetricContext;
import org.xcam.api.Options;
import org.xcam.api.spi.MetricProvider;

/**
 * The per-image heatmap-box metrics on the map of the api's HeatmapBoxTest: blob A = 1.0 at x 1..2, y 1..2 plus a
 * diagonal neighbour 0.9 at (3, 3); blob B = 0.6 at x 5..7, y 3..5 (6 x 8).
 */
class HeatmapBoxMetricsTest {
  static Heatmap map() {
    int h = 6, w = 8;
    float[] v = new float[h * w];
    for (int y = 1; y <= 2; y++) for (int x = 1; x <= 2; x++) v[y * w + x] = 1f;
    v[3 * w + 3] = 0.9f;
    for (int y = 3; y <= 5; y++) for (int x = 5; x <= 7; x++) v[y * w + x] = 0.6f;
    return Heatmap.of(v, h, w, "test", "input", "t", Heatmap.Resolution.INPUT);
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
