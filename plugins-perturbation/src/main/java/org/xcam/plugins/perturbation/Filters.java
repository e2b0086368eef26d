package org.xcam.plugins.perturbation;

/** Classical image filters on row-major {@code H x W} planes (borders replicated). */
final class Filters {
  private Filters() { }

  private static float at(float[] a, int h, int w, int y, int x) {
    y = Math.min(Math.max(y, 0), h - 1);
    x = Math.min(Math.max(x, 0), w - 1);
    return a[y * w + x];
  }

  /** Separable Gaussian blur, kernel radius {@code ceil(3 sigma)}, normalised to sum 1. */
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
    float[] gx = new float[a.length], gy = new float[a.length];
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        float tl = at(a, h, w, y - 1, x - 1), tc = at(a, h, w, y - 1, x), tr = at(a, h, w, y - 1, x + 1);
        float ml = at(a, h, w, y, x - 1), mr = at(a, h, w, y, x + 1);
        float bl = at(a, h, w, y + 1, x - 1), bc = at(a, h, w, y + 1, x), br = at(a, h, w, y + 1, x + 1);
        gx[y * w + x] = (tr + 2 * mr + br) - (tl + 2 * ml + bl);
        gy[y * w + x] = (bl + 2 * bc + br) - (tl + 2 * tc + tr);
      }
    return new float[][] {gx, gy};
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
