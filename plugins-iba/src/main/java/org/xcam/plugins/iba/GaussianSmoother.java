package org.xcam.plugins.iba;

/**
 * The spatial Gaussian blur IBA applies to {@code sigmoid(alpha)} before use, and its adjoint (for the gradient).
 *
 * <p>Same as the reference implementation's {@code _SpatialGaussianKernel}: a normalised 2-D Gaussian of standard
 * deviation {@code sigma} on a {@code k x k} grid (k odd; the default sigma 1, k 5), applied per channel (depthwise)
 * after reflection padding of {@code (k-1)/2}. For maps smaller than the padding, reflection is repeated until the index
 * falls inside (PyTorch refuses such sizes; a 1-pixel map is then left as it is). As a linear map
 * {@code y = S x}, {@link #adjoint} computes {@code S^T g}: the same loops with gather turned into scatter, so
 * {@code <S x, g> == <x, S^T g>} exactly (tested).
 *
 * <p>Because the kernel is non-negative and sums to one, the blurred values of a map in [0, 1] stay in [0, 1].
 */
public final class GaussianSmoother {
  private final int k;
  private final int r;
  private final double[] kernel; // k*k, row-major

  public GaussianSmoother(double sigma, int kernelSize) {
    if (kernelSize < 1 || kernelSize % 2 == 0) throw new IllegalArgumentException("kernel size must be odd, got " + kernelSize);
    this.k = kernelSize;
    this.r = (kernelSize - 1) / 2;
    this.kernel = new double[k * k];
    double sum = 0, c = (k - 1) / 2.0;
    for (int y = 0; y < k; y++) {
      for (int x = 0; x < k; x++) {
        double v = sigma > 0 ? Math.exp(-((x - c) * (x - c) + (y - c) * (y - c)) / (2 * sigma * sigma)) : (x == c && y == c ? 1 : 0);
        kernel[y * k + x] = v;
        sum += v;
      }
    }
    for (int i = 0; i < kernel.length; i++) kernel[i] /= sum;
  }

  /** The identity (no smoothing). */
  public static GaussianSmoother none() { return new GaussianSmoother(0, 1); }

  /** Reflection ("reflect", edge not repeated) of index i into [0, n). */
  static int reflect(int i, int n) {
    if (n == 1) return 0;
    int period = 2 * (n - 1);
    int m = Math.floorMod(i, period);
    return m < n ? m : period - m;
  }

  /** Blurs each of the {@code c} planes of {@code x} ({@code [c, h, w]} flat) into a new array. */
  public double[] apply(double[] x, int c, int h, int w) {
    if (k == 1) return x.clone();
    double[] y = new double[x.length];
    int[] ry = new int[h + 2 * r], rx = new int[w + 2 * r];
    for (int i = 0; i < ry.length; i++) ry[i] = reflect(i - r, h);
    for (int i = 0; i < rx.length; i++) rx[i] = reflect(i - r, w);
    int hw = h * w;
    for (int ch = 0; ch < c; ch++) {
      int base = ch * hw;
      for (int oy = 0; oy < h; oy++) {
        for (int ox = 0; ox < w; ox++) {
          double s = 0;
          for (int ky = 0; ky < k; ky++) {
            int row = base + ry[oy + ky] * w;
            for (int kx = 0; kx < k; kx++) s += kernel[ky * k + kx] * x[row + rx[ox + kx]];
          }
          y[base + oy * w + ox] = s;
        }
      }
    }
    return y;
  }

  /** {@code S^T g}: scatters each output's gradient back to the inputs it read. */
  public double[] adjoint(double[] g, int c, int h, int w) {
    if (k == 1) return g.clone();
    double[] x = new double[g.length];
    int[] ry = new int[h + 2 * r], rx = new int[w + 2 * r];
    for (int i = 0; i < ry.length; i++) ry[i] = reflect(i - r, h);
    for (int i = 0; i < rx.length; i++) rx[i] = reflect(i - r, w);
    int hw = h * w;
    for (int ch = 0; ch < c; ch++) {
      int base = ch * hw;
      for (int oy = 0; oy < h; oy++) {
        for (int ox = 0; ox < w; ox++) {
          double go = g[base + oy * w + ox];
          if (go == 0) continue;
          for (int ky = 0; ky < k; ky++) {
            int row = base + ry[oy + ky] * w;
            for (int kx = 0; kx < k; kx++) x[row + rx[ox + kx]] += kernel[ky * k + kx] * go;
          }
        }
      }
    }
    return x;
  }
}
