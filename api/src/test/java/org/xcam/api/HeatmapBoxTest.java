package org.xcam.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

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
}
