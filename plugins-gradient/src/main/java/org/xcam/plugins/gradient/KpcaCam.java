package org.xcam.plugins.gradient;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * KPCA-CAM (Karmani et al. 2024; pytorch-grad-cam's {@code KPCA_CAM}): the first kernel principal component of the
 * activations, category-independent and gradient-free (one head, one tail for the score).
 *
 * <p>As pytorch-grad-cam with scikit-learn's {@code KernelPCA(n_components=1)}: the {@code hw x C} activation matrix
 * with each channel's spatial mean removed, its kernel matrix {@code K_pq = k(x_p, x_q)}, double-centred
 * ({@code K - 1K - K1 + 1K1}, scikit-learn's {@code KernelCenterer}), its eigenvector {@code u} of the largest eigenvalue
 * {@code lambda}, and the projection {@code sqrt(max(lambda, 0)) u} (what {@code fit_transform} returns); the map is
 * its ReLU.
 *
 * <p>Kernels (option {@code kernel}, scikit-learn's definitions and defaults): {@code sigmoid} (default, as
 * pytorch-grad-cam) {@code tanh(gamma <a, b> + coef0)}; {@code rbf} {@code exp(-gamma |a - b|^2)}; {@code poly}
 * {@code (gamma <a, b> + coef0)^degree}; {@code linear} {@code <a, b>} (then KPCA-CAM equals EigenCAM up to scale);
 * {@code cosine} {@code <a, b> / (|a| |b|)}. {@code gamma} defaults to {@code 1 / C}, {@code coef0} to 1,
 * {@code degree} to 3.
 *
 * <p><b>Sign.</b> An eigenvector's sign is arbitrary. {@code sign=activation} (default) fixes it as xcam's EigenCAM
 * does: the projection correlates positively with the channel sum, so the map highlights where the activations are
 * large. {@code sign=sklearn} applies scikit-learn's {@code svd_flip} rule (the entry of largest magnitude is
 * positive), which reproduces pytorch-grad-cam's map itself.
 *
 * <p><b>Cost.</b> The kernel matrix takes {@code hw^2 C} multiply-adds and the eigenvector a dense symmetric
 * eigendecomposition ({@code hw^3}) up to 1024 positions; above that, power iteration on the kernel shifted by its
 * Gershgorin bound (so the largest algebraic eigenvalue is the dominant one), with the dense decomposition as the
 * fallback when it does not settle. scikit-learn uses ARPACK above 200 positions; both find the same eigenvector.
 */
final class KpcaCam extends GradientCam {
  private static final int DENSE_LIMIT = 1024;
  private final String kernel;
  private final double gamma;
  private final double coef0;
  private final int degree;
  private final boolean sklearnSign;

  KpcaCam(String name, Common common, String kernel, double gamma, double coef0, int degree, boolean sklearnSign) {
    super(name, common);
    this.kernel = kernel;
    this.gamma = gamma;
    this.coef0 = coef0;
    this.degree = degree;
    this.sklearnSign = sklearnSign;
  }

  @Override protected boolean categoryIndependent() { return true; }

  @Override protected boolean needsGradient() { return false; }

  @Override protected double[] map(Rows rows) {
    float[] a = rows.a()[0];
    int k = rows.k(), hw = rows.hw();
    double[] comp = new double[a.length];
    for (int i = 0; i < a.length; i++) comp[i] = a[i];
    double[] x = CamMath.matrix(comp, k, hw, true); // hw x C, centred
    double[] p = projection(x, hw, k, kernel, gamma > 0 ? gamma : 1.0 / k, coef0, degree);
    if (rows.extras() != null) rows.extras().put("kernel", kernel);
    if (sklearnSign) {
      int best = 0;
      for (int i = 1; i < hw; i++) if (Math.abs(p[i]) > Math.abs(p[best])) best = i;
      if (p[best] < 0) for (int i = 0; i < hw; i++) p[i] = -p[i];
    } else {
      p = CamMath.signFixed(p, CamMath.channelSum(a, k, hw));
    }
    return CamMath.relu(p);
  }

  /** The first kernel principal component's projection {@code sqrt(lambda) u} of the rows of {@code x} ({@code n x d}). */
  static double[] projection(double[] x, int n, int d, String kernel, double gamma, double coef0, int degree) {
    double[] kmat = new double[n * n];
    double[] norms = new double[n];
    for (int p = 0; p < n; p++) {
      double s = 0;
      for (int c = 0, o = p * d; c < d; c++) s += x[o + c] * x[o + c];
      norms[p] = s;
    }
    for (int p = 0; p < n; p++) {
      for (int q = p; q < n; q++) {
        double dot = 0;
        for (int c = 0, op = p * d, oq = q * d; c < d; c++) dot += x[op + c] * x[oq + c];
        double v = switch (kernel) {
          case "sigmoid" -> Math.tanh(gamma * dot + coef0);
          case "rbf" -> Math.exp(-gamma * Math.max(0, norms[p] + norms[q] - 2 * dot));
          case "poly" -> Math.pow(gamma * dot + coef0, degree);
          case "cosine" -> norms[p] > 0 && norms[q] > 0 ? dot / Math.sqrt(norms[p] * norms[q]) : 0;
          default -> dot; // linear
        };
        kmat[p * n + q] = v;
        kmat[q * n + p] = v;
      }
    }
    centre(kmat, n);
    double[] out = new double[n];
    double[] ev = n <= DENSE_LIMIT ? null : powerIteration(kmat, n);
    if (ev == null) ev = dense(kmat, n);
    if (ev == null) return out;
    double lambda = ev[n];
    double s = Math.sqrt(Math.max(lambda, 0));
    for (int i = 0; i < n; i++) out[i] = s * ev[i];
    return out;
  }

  /** scikit-learn's {@code KernelCenterer}: {@code K - 1_n K - K 1_n + 1_n K 1_n}. */
  static void centre(double[] k, int n) {
    double[] col = new double[n];
    double all = 0;
    for (int p = 0; p < n; p++) for (int q = 0; q < n; q++) col[q] += k[p * n + q] / n;
    for (int q = 0; q < n; q++) all += col[q] / n;
    // K is symmetric: row means equal column means
    for (int p = 0; p < n; p++) for (int q = 0; q < n; q++) k[p * n + q] += all - col[p] - col[q];
  }

  /** The unit eigenvector of the largest eigenvalue (entries 0..n-1) and that eigenvalue (entry n), or null. */
  private static double[] dense(double[] kmat, int n) {
    EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, true, true);
    if (!eig.decompose(DMatrixRMaj.wrap(n, n, kmat.clone()))) return null;
    int best = -1;
    double lambda = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < eig.getNumberOfEigenvalues(); i++) {
      double l = eig.getEigenvalue(i).getReal();
      if (l > lambda && eig.getEigenVector(i) != null) { lambda = l; best = i; }
    }
    if (best < 0) return null;
    DMatrixRMaj v = eig.getEigenVector(best);
    double norm = 0;
    for (int i = 0; i < n; i++) norm += v.get(i) * v.get(i);
    norm = Math.sqrt(norm);
    double[] out = new double[n + 1];
    for (int i = 0; i < n; i++) out[i] = v.get(i) / norm;
    out[n] = lambda;
    return out;
  }

  /** Power iteration on {@code K + sigma I} (sigma: Gershgorin bound, so every eigenvalue is >= 0); null if unsettled. */
  private static double[] powerIteration(double[] k, int n) {
    double sigma = 0;
    for (int p = 0; p < n; p++) {
      double r = 0;
      for (int q = 0; q < n; q++) r += Math.abs(k[p * n + q]);
      sigma = Math.max(sigma, r);
    }
    double[] v = new double[n], w = new double[n];
    java.util.Arrays.fill(v, 1 / Math.sqrt(n));
    v[0] += 0.5 / Math.sqrt(n); // break symmetry with the centred kernel's null vector (all ones)
    double lambda = 0;
    for (int it = 0; it < 3000; it++) {
      double norm = 0;
      for (int p = 0; p < n; p++) {
        double s = sigma * v[p];
        for (int q = 0, o = p * n; q < n; q++) s += k[o + q] * v[q];
        w[p] = s;
        norm += s * s;
      }
      norm = Math.sqrt(norm);
      if (norm == 0) return null;
      double cos = 0;
      for (int p = 0; p < n; p++) {
        w[p] /= norm;
        cos += w[p] * v[p];
      }
      double[] t = v;
      v = w;
      w = t;
      lambda = norm - sigma;
      if (Math.abs(cos) > 1 - 1e-14) {
        double[] out = new double[n + 1];
        System.arraycopy(v, 0, out, 0, n);
        out[n] = lambda;
        return out;
      }
    }
    return null;
  }
}
