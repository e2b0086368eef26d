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

  @Test @DisplayName("the separable pass is bit-identical to the direct 4-tap formula, both modes, up and down, at an offset")
  void separableEqualsDirect() {
    java.util.Random r = new java.util.Random(5);
    int[][] sizes = {{7, 7, 224, 224}, {14, 14, 224, 224}, {3, 5, 7, 11}, {1, 4, 4, 9}, {10, 9, 3, 4}, {8, 8, 8, 8}};
    for (Resampler.Mode mode : Resampler.Mode.values()) {
      for (int[] z : sizes) {
        int h = z[0], w = z[1], oh = z[2], ow = z[3], off = 3;
        float[] src = new float[off + h * w];
        for (int i = 0; i < src.length; i++) src[i] = (float) r.nextGaussian();
        float[] got = new float[oh * ow];
        new Resampler(h, w, oh, ow, mode).resample(src, off, got);
        float[] want = direct(src, off, h, w, oh, ow, mode);
        for (int i = 0; i < want.length; i++) {
          assertThat(Float.floatToIntBits(got[i])).as("%s %dx%d->%dx%d at %d", mode, h, w, oh, ow, i)
              .isEqualTo(Float.floatToIntBits(want[i]));
        }
      }
    }
  }

  /** The textbook bilinear formula, evaluated tap by tap (the coordinate rules of the class comment). */
  private static float[] direct(float[] src, int off, int h, int w, int oh, int ow, Resampler.Mode mode) {
    float[] out = new float[oh * ow];
    for (int y = 0; y < oh; y++) {
      double sy = coord(y, h, oh, mode);
      int ya = Math.min((int) Math.floor(sy), h - 1), yb = Math.min(ya + 1, h - 1);
      float wy = (float) (sy - ya);
      for (int x = 0; x < ow; x++) {
        double sx = coord(x, w, ow, mode);
        int xa = Math.min((int) Math.floor(sx), w - 1), xb = Math.min(xa + 1, w - 1);
        float wx = (float) (sx - xa);
        float top = src[off + ya * w + xa] * (1 - wx) + src[off + ya * w + xb] * wx;
        float bot = src[off + yb * w + xa] * (1 - wx) + src[off + yb * w + xb] * wx;
        out[y * ow + x] = top * (1 - wy) + bot * wy;
      }
    }
    return out;
  }

  private static double coord(int d, int in, int out, Resampler.Mode mode) {
    if (mode == Resampler.Mode.ALIGN_CORNERS) return out > 1 ? d * (double) (in - 1) / (out - 1) : 0;
    return Math.max(0, (d + 0.5) * in / out - 0.5);
  }
}
