package org.xcam.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class HeatmapTest {
  @Test @DisplayName("Bilinear upsampling equals torch.nn.functional.interpolate(mode='bilinear', align_corners=False)")
  void upsampleMatchesTorch() {
    // Expected values computed with torch 1.13: interpolate([[1,2,3],[4,5,6]], size=(4,5)).
    float[][] torch = {
        {1.0f, 1.4f, 2.0f, 2.6f, 3.0f},
        {1.75f, 2.15f, 2.75f, 3.35f, 3.75f},
        {3.25f, 3.65f, 4.25f, 4.85f, 5.25f},
        {4.0f, 4.4f, 5.0f, 5.6f, 6.0f}};
    float[] out = Heatmap.resizeBilinear(new float[] {1, 2, 3, 4, 5, 6}, 2, 3, 4, 5);
    for (int y = 0; y < 4; y++) for (int x = 0; x < 5; x++) assertThat(out[y * 5 + x]).isCloseTo(torch[y][x], offset(1e-5f));
  }

  @Test @DisplayName("Bilinear downsampling by 2 equals torch's (no antialias): arange(16) 4x4 -> [[2.5,4.5],[10.5,12.5]]")
  void downsampleMatchesTorch() {
    float[] in = new float[16];
    for (int i = 0; i < 16; i++) in[i] = i;
    assertThat(Heatmap.resizeBilinear(in, 4, 4, 2, 2)).containsExactly(2.5f, 4.5f, 10.5f, 12.5f);
  }

  @Test @DisplayName("Min-max normalisation maps to [0,1]; a constant map becomes all zeros and says so, never NaN")
  void normalise() {
    Heatmap h = Heatmap.of(new float[] {2, 4, 6, 10}, 2, 2, "m", "l", "t", Heatmap.Resolution.LAYER).normalized();
    assertThat(h.values()).containsExactly(0f, 0.25f, 0.5f, 1f);
    Heatmap c = Heatmap.of(new float[] {3, 3, 3, 3}, 2, 2, "m", "l", "t", Heatmap.Resolution.LAYER);
    assertThat(c.constant()).isTrue();
    assertThat(c.toInput(4, 4).values()).containsOnly(0f);
    assertThat(c.toInput(4, 4).constant()).isTrue();
  }

  @Test @DisplayName("A non-finite value in a method's map is rejected with a message naming the method")
  void rejectsNaN() {
    assertThatThrownBy(() -> Heatmap.of(new float[] {1, Float.NaN}, 1, 2, "bad-cam", "l", "t", Heatmap.Resolution.LAYER))
        .isInstanceOf(XcamException.class).hasMessageContaining("bad-cam");
  }
}
