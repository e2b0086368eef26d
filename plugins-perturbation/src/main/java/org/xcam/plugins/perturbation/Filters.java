package org.xcam.plugins.perturbation;

import boofcv.alg.filter.derivative.GradientSobel;
import boofcv.core.image.border.FactoryImageBorder;
import boofcv.struct.border.BorderType;
import boofcv.struct.image.GrayF32;

/**
 * Classical image filters on row-major {@code H x W} planes (borders replicated).
 *
 * <p>Sobel is BoofCV's {@code GradientSobel} (extended border) times 4 (BoofCV's kernels are the textbook ones / 4):
 * equal to the hand-written Sobel it replaced, bit for bit, on a random 37 x 41 plane and on the feature-cam test
 * images; on a constant plane its border carries +-6e-8 of rounding, so the descriptors treat flat images first
 * ({@link #flat}). The Gaussian blur stays hand-written (see {@link #gaussianBlur}); BoofCV's {@code BlurImageOps.gaussian}
 * also renormalises the kernel at the border instead of replicating pixels (0.29 apart there). Canny stays in
 * {@link CannyDescriptor}, see there.
 */
final class Filters {
  private Filters() { }

  private static GrayF32 image(float[] a, int h, int w) {
    GrayF32 g = new GrayF32(w, h);
    System.arraycopy(a, 0, g.data, 0, h * w);
    return g;
  }

  private static float at(float[] a, int h, int w, int y, int x) {
    y = Math.min(Math.max(y, 0), h - 1);
    x = Math.min(Math.max(x, 0), w - 1);
    return a[y * w + x];
  }

  /**
   * Separable Gaussian blur, kernel radius {@code ceil(3 sigma)}, normalised to sum 1, replicated borders. Written
   * here, accumulating in double: BoofCV's float convolution with the same kernel and border ({@code ConvolveImage},
   * {@code BorderType.EXTENDED}) is within 1.8e-7, but that is enough to change Canny's maps — a flat image no longer
   * blurs to an exactly flat one (so its rounding noise becomes "edges" after the relative thresholds), and the two
   * equal gradient maxima beside a step are no longer equal, so non-maximum suppression keeps column 4 instead of 5.
   */
  static float[] gaussianBlur(float[] a, int h, int w, double sigma) {
    if (sigma <= 0) return a.clone();
    int r = (int) Math.ceil(3 * sigma);
    double[] k = new double[2 * r + 1];
    double s = 0;
    for (int i = -r; i <= r; i++) s += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
    for (int i = 0; i < k.length; i++) k[i] /= s;
    float[] tmp = new float[a.length], out = new float[a.length];
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        double v = 0;
        for (int i = -r; i <= r; i++) v += k[i + r] * at(a, h, w, y, x + i);
        tmp[y * w + x] = (float) v;
      }
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        double v = 0;
        for (int i = -r; i <= r; i++) v += k[i + r] * at(tmp, h, w, y + i, x);
        out[y * w + x] = (float) v;
      }
    return out;
  }

  /** Sobel derivatives {gx, gy}: {@code gx = [-1 0 1; -2 0 2; -1 0 1] * a}, {@code gy} its transpose. */
  static float[][] sobel(float[] a, int h, int w) {
    GrayF32 dx = new GrayF32(w, h), dy = new GrayF32(w, h);
    GradientSobel.process(image(a, h, w), dx, dy, FactoryImageBorder.single(BorderType.EXTENDED, GrayF32.class));
    float[] gx = new float[h * w], gy = new float[h * w];
    for (int i = 0; i < gx.length; i++) {
      gx[i] = 4 * dx.data[i];     // BoofCV's kernels are the textbook ones divided by 4 (exact in binary)
      gy[i] = 4 * dy.data[i];
    }
    return new float[][] {gx, gy};
  }

  /**
   * True for a constant plane. The descriptors return all zeros for it up front: BoofCV's Sobel leaves +-6e-8 of
   * rounding on the border of a constant plane (its border path sums in another order), which Canny's thresholds,
   * relative to the largest gradient, would turn into edges.
   */
  static boolean flat(float[] a) {
    for (float v : a) if (v != a[0]) return false;
    return true;
  }

  /** Min-max scaled copy; a constant plane becomes all zeros. */
  static float[] minMax(float[] a) {
    float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
    for (float v : a) { min = Math.min(min, v); max = Math.max(max, v); }
    float[] out = new float[a.length];
    if (max - min > 0) for (int i = 0; i < a.length; i++) out[i] = (a[i] - min) / (max - min);
    return out;
  }

  /** The mean over channels of one image {@code [C, H, W]} starting at {@code off}. */
  static float[] gray(float[] x, int off, int c, int hw) {
    float[] g = new float[hw];
    for (int cc = 0; cc < c; cc++) for (int p = 0; p < hw; p++) g[p] += x[off + cc * hw + p] / c;
    return g;
  }
}
