package org.xcam.plugins.perturbation;

import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.linsol.LinearSolverDense;

/**
 * The interpretable models of LIME and KernelSHAP over binary feature vectors {@code z} (1 = the feature is kept):
 * coalition sampling, Captum's LIME fit (weighted Lasso with intercept, scikit-learn's objective) and Shapley values
 * (exact by enumeration, or KernelSHAP's constrained weighted regression). Linear algebra is EJML's.
 */
final class Surrogate {
  private Surrogate() { }

  // ------------------------------------------------------------------ sampling

  /** LIME's perturbations (Captum's default): each feature kept with probability 1/2, independently. */
  static boolean[][] bernoulli(int samples, int m, long seed) {
    SplittableRandom r = new SplittableRandom(Rise.mix(seed, m));
    boolean[][] z = new boolean[samples][m];
    for (int s = 0; s < samples; s++) for (int j = 0; j < m; j++) z[s][j] = r.nextBoolean();
    return z;
  }

  /**
   * KernelSHAP's coalitions: sizes {@code k in 1..M-1} drawn with probability proportional to the Shapley kernel's
   * total weight per size, {@code (M-1) / (k (M-k))}, then a uniform subset of that size, each followed by its
   * complement (paired sampling). With this sampling every coalition carries the same regression weight.
   */
  static boolean[][] shapleyKernel(int samples, int m, long seed) {
    SplittableRandom r = new SplittableRandom(Rise.mix(seed, 1_000_003L * m));
    double[] cdf = new double[m];
    double total = 0;
    for (int k = 1; k < m; k++) cdf[k] = total += (m - 1.0) / (k * (double) (m - k));
    int pairs = Math.max(1, samples / 2);
    boolean[][] z = new boolean[2 * pairs][];
    int[] idx = new int[m];
    for (int s = 0; s < pairs; s++) {
      double u = r.nextDouble() * total;
      int k = 1;
      while (k < m - 1 && cdf[k] < u) k++;
      for (int j = 0; j < m; j++) idx[j] = j;
      boolean[] a = new boolean[m];
      for (int j = 0; j < k; j++) {                 // partial Fisher-Yates: the first k of a random permutation
        int pick = j + r.nextInt(m - j);
        int t = idx[j]; idx[j] = idx[pick]; idx[pick] = t;
        a[idx[j]] = true;
      }
      boolean[] b = new boolean[m];
      for (int j = 0; j < m; j++) b[j] = !a[j];
      z[2 * s] = a;
      z[2 * s + 1] = b;
    }
    return z;
  }

  /** All {@code 2^M} coalitions; coalition {@code s} keeps feature j when bit j of s is set. */
  static boolean[][] all(int m) {
    boolean[][] z = new boolean[1 << m][m];
    for (int s = 0; s < z.length; s++) for (int j = 0; j < m; j++) z[s][j] = ((s >> j) & 1) == 1;
    return z;
  }

  // ------------------------------------------------------------------ fits

  /**
   * Exact Shapley values from the values {@code v[s]} of all {@code 2^M} coalitions (indexed as in {@link #all}):
   * {@code phi_i = sum_{S not containing i} |S|! (M - |S| - 1)! / M! (v(S + i) - v(S))}.
   */
  static double[] exactShapley(double[] v, int m) {
    double[] w = new double[m];                      // w[s] = s! (m - s - 1)! / m!
    for (int s = 0; s < m; s++) {
      double l = 0;
      for (int i = 2; i <= s; i++) l += Math.log(i);
      for (int i = 2; i <= m - s - 1; i++) l += Math.log(i);
      for (int i = 2; i <= m; i++) l -= Math.log(i);
      w[s] = Math.exp(l);
    }
    double[] phi = new double[m];
    for (int s = 0; s < v.length; s++) {
      int size = Integer.bitCount(s);
      for (int i = 0; i < m; i++) {
        if (((s >> i) & 1) == 1) continue;
        phi[i] += w[size] * (v[s | (1 << i)] - v[s]);
      }
    }
    return phi;
  }

  /**
   * KernelSHAP: least squares of {@code v(z) - v(empty) = sum_j z_j phi_j} over the sampled coalitions (equal weights:
   * the kernel is in the sampling), subject to efficiency {@code sum_j phi_j = v(full) - v(empty)}, solved by
   * eliminating the last feature (Lundberg &amp; Lee 2017).
   */
  static double[] kernelShap(boolean[][] z, double[] v, double full, double empty) {
    int m = z[0].length, n = z.length;
    double delta = full - empty;
    if (m == 1) return new double[] {delta};
    DMatrixRMaj a = new DMatrixRMaj(n, m - 1), b = new DMatrixRMaj(n, 1);
    for (int s = 0; s < n; s++) {
      double last = z[s][m - 1] ? 1 : 0;
      for (int j = 0; j < m - 1; j++) a.set(s, j, (z[s][j] ? 1 : 0) - last);
      b.set(s, 0, v[s] - empty - last * delta);
    }
    double[] x = leastSquares(a, b);
    double[] phi = new double[m];
    double sum = 0;
    for (int j = 0; j < m - 1; j++) sum += phi[j] = x[j];
    phi[m - 1] = delta - sum;
    return phi;
  }

  /**
   * LIME's interpretable model as Captum's default ({@code SkLearnLasso(alpha=0.01)}): scikit-learn's Lasso with an
   * intercept and sample weights, i.e. the minimiser of
   * {@code 1/2 sum_s p_s (v_s - b - z_s . beta)^2 + alpha |beta|_1} with {@code p = weights / sum(weights)}, found by
   * coordinate descent on the weighted-centred data until no coefficient moves by more than 1e-12. {@code alpha = 0} is
   * weighted least squares (EJML). Returns the coefficients (the intercept is not an attribution).
   */
  static double[] lasso(boolean[][] z, double[] v, double[] weights, double alpha) {
    int n = z.length, m = z[0].length;
    double ws = 0;
    for (double w : weights) ws += w;
    double[] p = new double[n];
    for (int s = 0; s < n; s++) p[s] = weights[s] / ws;
    double[] mean = new double[m];
    double vm = 0;
    for (int s = 0; s < n; s++) {
      vm += p[s] * v[s];
      for (int j = 0; j < m; j++) if (z[s][j]) mean[j] += p[s];
    }
    double[][] xc = new double[n][m];
    double[] r = new double[n];
    for (int s = 0; s < n; s++) {
      for (int j = 0; j < m; j++) xc[s][j] = (z[s][j] ? 1 : 0) - mean[j];
      r[s] = v[s] - vm;
    }
    if (alpha == 0) {
      DMatrixRMaj a = new DMatrixRMaj(n, m), b = new DMatrixRMaj(n, 1);
      for (int s = 0; s < n; s++) {
        double sq = Math.sqrt(p[s]);
        for (int j = 0; j < m; j++) a.set(s, j, sq * xc[s][j]);
        b.set(s, 0, sq * r[s]);
      }
      return leastSquares(a, b);
    }
    double[] norm = new double[m];
    for (int s = 0; s < n; s++) for (int j = 0; j < m; j++) norm[j] += p[s] * xc[s][j] * xc[s][j];
    double[] beta = new double[m];
    for (int it = 0; it < 10_000; it++) {
      double moved = 0;
      for (int j = 0; j < m; j++) {
        if (norm[j] == 0) continue;
        double rho = 0;
        for (int s = 0; s < n; s++) rho += p[s] * xc[s][j] * (r[s] + xc[s][j] * beta[j]);
        double nb = Math.signum(rho) * Math.max(0, Math.abs(rho) - alpha) / norm[j];
        double d = nb - beta[j];
        if (d != 0) {
          for (int s = 0; s < n; s++) r[s] -= xc[s][j] * d;
          beta[j] = nb;
          moved = Math.max(moved, Math.abs(d));
        }
      }
      if (moved <= 1e-12) break;
    }
    return beta;
  }

  /** Least squares {@code min |A x - b|} by EJML's pseudo-inverse solver (rank-deficient designs are fine). */
  private static double[] leastSquares(DMatrixRMaj a, DMatrixRMaj b) {
    LinearSolverDense<DMatrixRMaj> solver = LinearSolverFactory_DDRM.pseudoInverse(true);
    DMatrixRMaj x = new DMatrixRMaj(a.numCols, 1);
    if (!solver.setA(a.copy())) {
      CommonOps_DDRM.fill(x, 0);
    } else {
      solver.solve(b, x);
    }
    return x.data.clone();
  }
}
