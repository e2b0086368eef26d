package org.xcam.plugins.perturbation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.Heatmap;

@DisplayName("Resampler")
class ResamplerTest {
  @Test @DisplayName("align-corners 2x2 -> 3x3 keeps the corners and puts their means between them (torch UpsamplingBilinear2d)")
  void alignCorners() {
    float[] src = {1, 3, 5, 11};
    float[] out = new float[9];
    new Resampler(2, 2, 3, 3, Resampler.Mode.ALIGN_CORNERS).resample(src, 0, out);
    assertThat(out).containsExactly(new float[] {1, 2, 3, 3, 5, 7, 5, 8, 11}, within(1e-6f));
  }

  @Test @DisplayName("align-corners 2 -> 4 samples at 0, 1/3, 2/3, 1")
  void alignCornersThirds() {
    float[] out = new float[4];
    new Resampler(1, 2, 1, 4, Resampler.Mode.ALIGN_CORNERS).resample(new float[] {0, 3}, 0, out);
    assertThat(out).containsExactly(new float[] {0, 1, 2, 3}, within(1e-6f));
  }

  @Test @DisplayName("half-pixel agrees with Heatmap.resizeBilinear")
  void halfPixel() {
    float[] src = new float[5 * 7];
    for (int i = 0; i < src.length; i++) src[i] = (float) Math.sin(i * 0.7);
    float[] out = new float[16 * 9];
    new Resampler(5, 7, 16, 9, Resampler.Mode.HALF_PIXEL).resample(src, 0, out);
    assertThat(out).containsExactly(Heatmap.resizeBilinear(src, 5, 7, 16, 9), within(1e-6f));
  }
}
