package org.xcam.plugins.gradient;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * The small numerical kernels the gradient family shares. Activation-like arrays are one sample's {@code [K, h, w]}
 * flattened channel-major ({@code k * hw + p}); maps are {@code h * w}. Everything is computed in double and never
 * divides by zero (the guards are the ones pytorch-grad-cam uses where it has the method).
 */
final class CamMath {
  private CamMath() { }

  /** Spatial mean of each channel: {@code [K]}. */
  static double[] channelMeans(float[] x, int k, int hw) {
    double[] m = new double[k];
    for (int c = 0; c < k; c++) {
      double s = 0;
      for (int p = 0, o = c * hw; p < hw; p++) s += x[o + p];
      m[c] = s / hw;
    }
    return m;
  }

  /** Spatial sum of each channel: {@code [K]}. */
  static double[] channelSums(float[] x, int k, int hw) {
    double[] m = channelMeans(x, k, hw);
    for (int c = 0; c < k; c++) m[c] *= hw;
    return m;
  }

  /** {@code w_k * A_k} for every channel: the weighted activations ({@code [K*hw]}). */
  static double[] weighted(double[] w, float[] a, int k, int hw) {
    double[] out = new double[k * hw];
    for (int c = 0; c < k; c++) for (int p = 0, o = c * hw; p < hw; p++) out[o + p] = w[c] * a[o + p];
    return out;
  }

  /** Sum over channels: {@code [hw]}. */
  static double[] channelSum(double[] comp, int k, int hw) {
    double[] s = new double[hw];
    for (int c = 0; c < k; c++) for (int p = 0, o = c * hw; p < hw; p++) s[p] += comp[o + p];
    return s;
  }

  static double[] channelSum(float[] comp, int k, int hw) {
    double[] s = new double[hw];
    for (int c = 0; c < k; c++) for (int p = 0, o = c * hw; p < hw; p++) s[p] += comp[o + p];
    return s;
  }

  static double[] relu(double[] v) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) out[i] = v[i] > 0 ? v[i] : 0;
    return out;
  }

  static float[] toFloat(double[] v) {
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) out[i] = (float) v[i];
    return out;
  }

  /** Pearson correlation of two vectors; 0 when either is constant. */
  static double correlation(double[] a, double[] b) {
    int n = a.length;
    double ma = 0, mb = 0;
    for (int i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
    ma /= n;
    mb /= n;
    double sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < n; i++) {
      double da = a[i] - ma, db = b[i] - mb;
      sab += da * db;
      saa += da * da;
      sbb += db * db;
    }
    return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
  }

  /**
   * The projection of the (optionally centred) {@code hw x K} matrix {@code M[p][k] = comp[k*hw + p]} onto its first
   * right singular vector: {@code M v_1 = sigma_1 u_1} ({@code [hw]}). With {@code centre} each channel's spatial mean
   * is subtracted first, as pytorch-grad-cam's {@code get_2d_projection} does. The sign is whatever falls out; callers
   * fix it ({@link #signFixed}).
   *
   * <p>Only {@code v_1} is needed, so it is found by power iteration on {@code M^T M} (two matrix-vector products per
   * step, {@code 4 hw K} flops, started from the largest row of M), stopped when the direction changes by less than
   * 1e-13 (cosine), which leaves a relative error of about 1e-7 (below float32 resolution). On real activations, which
   * have a dominant component, that takes a few dozen steps. When 30 steps do not settle (the top two singular values
   * are close, e.g. noise-like activations), the top eigenvector of the Gram matrix of the smaller side
   * ({@code min(hw, K)} square) is taken with EJML's symmetric eigendecomposition ({@link #gramProjection}). A full
   * SVD ({@link #svdProjection}, the reference in the tests) costs 2 ms at 64 x 64 and 90 ms at 196 x 1024, more than
   * the network passes EigenCAM has to stay within.
   */
  static double[] firstProjection(double[] comp, int k, int hw, boolean centre) {
    double[] m = matrix(comp, k, hw, centre);
    double[] out = new double[hw];
    int best = -1;
    double bestNorm = 0;
    for (int p = 0; p < hw; p++) {
      double n = 0;
      for (int c = 0; c < k; c++) n += m[p * k + c] * m[p * k + c];
      if (n > bestNorm) { bestNorm = n; best = p; }
    }
    if (best < 0) return out; // all zero
    double[] v = new double[k];
    double inv = 1 / Math.sqrt(bestNorm);
    for (int c = 0; c < k; c++) v[c] = m[best * k + c] * inv;
    double[] mv = new double[hw];
    double[] w = new double[k];
    boolean converged = false;
    for (int it = 0; it < 30 && !converged; it++) {
      for (int p = 0; p < hw; p++) {
        double sum = 0;
        for (int c = 0, o = p * k; c < k; c++) sum += m[o + c] * v[c];
        mv[p] = sum;
      }
      java.util.Arrays.fill(w, 0);
      for (int p = 0; p < hw; p++) {
        double x = mv[p];
        if (x == 0) continue;
        for (int c = 0, o = p * k; c < k; c++) w[c] += m[o + c] * x;
      }
      double norm = 0, dot = 0;
      for (int c = 0; c < k; c++) norm += w[c] * w[c];
      norm = Math.sqrt(norm);
      if (norm == 0) return out;
      for (int c = 0; c < k; c++) { w[c] /= norm; dot += w[c] * v[c]; }
      converged = 1 - Math.abs(dot) < 1e-13;
      double[] t = v;
      v = w;
      w = t;
    }
    if (!converged) return gramProjection(m, k, hw);
    for (int p = 0; p < hw; p++) {
      double sum = 0;
      for (int c = 0, o = p * k; c < k; c++) sum += m[o + c] * v[c];
      out[p] = sum;
    }
    return out;
  }

  /** The row-major {@code hw x K} matrix of {@code comp}, channel means removed when {@code centre}. */
  static double[] matrix(double[] comp, int k, int hw, boolean centre) {
    double[] data = new double[hw * k];
    for (int c = 0; c < k; c++) {
      double mean = 0;
      if (centre) {
        for (int p = 0; p < hw; p++) mean += comp[c * hw + p];
        mean /= hw;
      }
      for (int p = 0; p < hw; p++) data[p * k + c] = comp[c * hw + p] - mean;
    }
    return data;
  }

  /**
   * {@code sigma_1 u_1} from the Gram matrix of the smaller side: {@code M M^T} ({@code hw x hw}, then
   * {@code sigma_1 u_1 = sqrt(lambda_1) u_1}) or {@code M^T M} ({@code K x K}, then {@code M v_1}), by EJML's symmetric
   * eigendecomposition.
   */
  static double[] gramProjection(double[] m, int k, int hw) {
    boolean positions = hw <= k;
    int s = positions ? hw : k;
    DMatrixRMaj g = new DMatrixRMaj(s, s);
    if (positions) {
      for (int p = 0; p < hw; p++)
        for (int q = p; q < hw; q++) {
          double sum = 0;
          for (int c = 0, op = p * k, oq = q * k; c < k; c++) sum += m[op + c] * m[oq + c];
          g.set(p, q, sum);
          g.set(q, p, sum);
        }
    } else {
      double[] gd = g.data;
      for (int p = 0; p < hw; p++)
        for (int c = 0, o = p * k; c < k; c++) {
          double x = m[o + c];
          if (x == 0) continue;
          for (int d = c; d < k; d++) gd[c * k + d] += x * m[o + d];
        }
      for (int c = 0; c < k; c++) for (int d = 0; d < c; d++) gd[c * k + d] = gd[d * k + c];
    }
    double[] out = new double[hw];
    org.ejml.interfaces.decomposition.EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(s, true, true);
    if (!eig.decompose(g)) return svdProjection(m, k, hw);
    int best = -1;
    double lambda = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < eig.getNumberOfEigenvalues(); i++) {
      double l = eig.getEigenvalue(i).getReal();
      if (l > lambda && eig.getEigenVector(i) != null) { lambda = l; best = i; }
    }
    if (best < 0 || !(lambda > 0)) return out;
    DMatrixRMaj v = eig.getEigenVector(best);
    double norm = 0;
    for (int i = 0; i < s; i++) norm += v.get(i) * v.get(i);
    norm = Math.sqrt(norm);
    if (positions) {
      double sigma = Math.sqrt(lambda);
      for (int p = 0; p < hw; p++) out[p] = sigma * v.get(p) / norm;
    } else {
      for (int p = 0; p < hw; p++) {
        double sum = 0;
        for (int c = 0, o = p * k; c < k; c++) sum += m[o + c] * v.get(c);
        out[p] = sum / norm;
      }
    }
    return out;
  }

  /** {@code sigma_1 u_1} of the row-major {@code hw x K} matrix by EJML's SVD (only U is formed). */
  static double[] svdProjection(double[] rowMajor, int k, int hw) {
    double[] out = new double[hw];
    DMatrixRMaj m = DMatrixRMaj.wrap(hw, k, rowMajor.clone());
    SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(hw, k, true, false, true);
    if (!svd.decompose(m)) return out;
    double[] sv = svd.getSingularValues();
    int best = 0;
    for (int i = 1; i < svd.numberOfSingularValues(); i++) if (sv[i] > sv[best]) best = i;
    DMatrixRMaj u = svd.getU(null, false);
    for (int p = 0; p < hw; p++) out[p] = sv[best] * u.get(p, best);
    return out;
  }

  /**
   * The projection with its sign fixed deterministically: it must correlate positively (Pearson, over positions) with
   * {@code reference} (for EigenCAM the channel sum {@code sum_k A_k}); when the correlation is 0 (a constant
   * reference), its sum must be non-negative.
   */
  static double[] signFixed(double[] projection, double[] reference) {
    double r = correlation(projection, reference);
    boolean flip;
    if (r != 0) {
      flip = r < 0;
    } else {
      double s = 0;
      for (double v : projection) s += v;
      flip = s < 0;
    }
    if (!flip) return projection;
    double[] out = new double[projection.length];
    for (int i = 0; i < out.length; i++) out[i] = -projection[i];
    return out;
  }

  /**
   * The map from weighted activations: {@code ReLU(sum_k comp_k)}, or with {@code eigenSmooth} the ReLU of the first
   * principal component of the (centred) weighted activations, signed to correlate with {@code sum_k comp_k}.
   */
  static double[] finish(double[] comp, int k, int hw, boolean eigenSmooth) {
    double[] sum = channelSum(comp, k, hw);
    if (!eigenSmooth) return relu(sum);
    return relu(signFixed(firstProjection(comp, k, hw, true), sum));
  }

  /** Separable smoothing of an {@code h x w} map with a normalised 1-D kernel, borders clamped. */
  static double[] smooth(double[] map, int h, int w, double[] kernel) {
    int r = kernel.length / 2;
    double[] tmp = new double[map.length], out = new double[map.length];
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        double s = 0;
        for (int d = -r; d <= r; d++) s += kernel[d + r] * map[y * w + clamp(x + d, w)];
        tmp[y * w + x] = s;
      }
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        double s = 0;
        for (int d = -r; d <= r; d++) s += kernel[d + r] * tmp[clamp(y + d, h) * w + x];
        out[y * w + x] = s;
      }
    return out;
  }

  /** A normalised Gaussian kernel of standard deviation {@code sigma} (radius ceil(3 sigma)). */
  static double[] gaussian(double sigma) {
    int r = Math.max(1, (int) Math.ceil(3 * sigma));
    double[] k = new double[2 * r + 1];
    double s = 0;
    for (int i = -r; i <= r; i++) s += k[i + r] = Math.exp(-0.5 * i * i / (sigma * sigma));
    for (int i = 0; i < k.length; i++) k[i] /= s;
    return k;
  }

  /** Gaussian blur of each channel of a {@code [K, h, w]} sample (borders clamped). */
  static float[] blur(float[] a, int k, int h, int w, double sigma) {
    double[] kernel = gaussian(sigma);
    float[] out = new float[a.length];
    int hw = h * w;
    double[] plane = new double[hw];
    for (int c = 0; c < k; c++) {
      for (int p = 0; p < hw; p++) plane[p] = a[c * hw + p];
      double[] s = smooth(plane, h, w, kernel);
      for (int p = 0; p < hw; p++) out[c * hw + p] = (float) s[p];
    }
    return out;
  }

  private static int clamp(int i, int n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }

  /**
   * Gauss-Legendre nodes and weights on [0, 1] ({@code [0]} nodes, {@code [1]} weights, weights summing to 1), by
   * Newton's iteration on the Legendre polynomial (Numerical Recipes' {@code gauleg}).
   */
  static double[][] gaussLegendre(int n) {
    double[] x = new double[n], wt = new double[n];
    int m = (n + 1) / 2;
    for (int i = 0; i < m; i++) {
      double z = Math.cos(Math.PI * (i + 0.75) / (n + 0.5)), pp;
      while (true) {
        double p1 = 1, p2 = 0;
        for (int j = 0; j < n; j++) {
          double p3 = p2;
          p2 = p1;
          p1 = ((2 * j + 1) * z * p2 - j * p3) / (j + 1);
        }
        pp = n * (z * p1 - p2) / (z * z - 1);
        double z1 = z;
        z = z1 - p1 / pp;
        if (Math.abs(z - z1) < 1e-15) break;
      }
      double weight = 2 / ((1 - z * z) * pp * pp);
      // map [-1, 1] to [0, 1]
      x[i] = (1 - z) / 2;
      x[n - 1 - i] = (1 + z) / 2;
      wt[i] = weight / 2;
      wt[n - 1 - i] = weight / 2;
    }
    return new double[][] {x, wt};
  }
}
