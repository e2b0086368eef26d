package org.xcam.metrics;

import java.util.SplittableRandom;

/**
 * ROAD's noisy linear imputation (Rong et al. 2022, reference code {@code NoisyLinearImputer}): every removed pixel
 * takes the weighted mean of its in-image 8-neighbourhood (weight 1/6 for the 4 direct neighbours, 1/12 for the
 * diagonals), removed neighbours being unknowns too. Per channel this is the sparse symmetric system
 * {@code D_i v_i − Σ_{j removed} w_ij v_j = Σ_{j kept} w_ij x_j} with {@code D_i = Σ_j w_ij} over in-image neighbours,
 * solved here by conjugate gradients (the reference uses a direct sparse solver; both give the same solution to the
 * tolerance). Gaussian noise of standard deviation {@code noise} is then added to the imputed values.
 */
final class Imputation {
  private Imputation() { }

  private static final int[] DY = {-1, -1, -1, 0, 0, 1, 1, 1};
  private static final int[] DX = {-1, 0, 1, -1, 1, -1, 0, 1};
  private static final double[] WT = {1 / 12.0, 1 / 6.0, 1 / 12.0, 1 / 6.0, 1 / 6.0, 1 / 12.0, 1 / 6.0, 1 / 12.0};
  /** Keeps the system non-singular when a removed region touches no kept pixel (then it fills with 0). */
  private static final double RIDGE = 1e-9;

  static float[] noisyLinear(float[] x, int c, int h, int w, boolean[] removed, double noise, SplittableRandom rnd) {
    float[] out = x.clone();
    int n = 0;
    int[] var = new int[h * w];
    for (int p = 0; p < h * w; p++) var[p] = removed[p] ? n++ : -1;
    if (n == 0) return out;
    int[] pix = new int[n];
    for (int p = 0; p < h * w; p++) if (var[p] >= 0) pix[var[p]] = p;
    // Neighbour structure once for all channels.
    double[] diag = new double[n];
    int[][] nbVar = new int[n][];
    double[][] nbW = new double[n][];
    int[][] knownPix = new int[n][];
    double[][] knownW = new double[n][];
    for (int i = 0; i < n; i++) {
      int p = pix[i], y = p / w, xx = p % w;
      int nv = 0, nk = 0;
      int[] tv = new int[8], tk = new int[8];
      double[] wv = new double[8], wk = new double[8];
      for (int d = 0; d < 8; d++) {
        int yy = y + DY[d], xq = xx + DX[d];
        if (yy < 0 || yy >= h || xq < 0 || xq >= w) continue;
        diag[i] += WT[d];
        int q = yy * w + xq;
        if (var[q] >= 0) { tv[nv] = var[q]; wv[nv++] = WT[d]; } else { tk[nk] = q; wk[nk++] = WT[d]; }
      }
      diag[i] += RIDGE;
      nbVar[i] = java.util.Arrays.copyOf(tv, nv);
      nbW[i] = java.util.Arrays.copyOf(wv, nv);
      knownPix[i] = java.util.Arrays.copyOf(tk, nk);
      knownW[i] = java.util.Arrays.copyOf(wk, nk);
    }
    double[] b = new double[n], v = new double[n];
    for (int ch = 0; ch < c; ch++) {
      int off = ch * h * w;
      double knownMean = 0;
      int known = 0;
      for (int p = 0; p < h * w; p++) if (var[p] < 0) { knownMean += x[off + p]; known++; }
      knownMean = known == 0 ? 0 : knownMean / known;
      for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < knownPix[i].length; j++) s += knownW[i][j] * x[off + knownPix[i][j]];
        b[i] = s;
        v[i] = knownMean;
      }
      conjugateGradient(diag, nbVar, nbW, b, v);
      for (int i = 0; i < n; i++) out[off + pix[i]] = (float) (v[i] + noise * rnd.nextGaussian());
    }
    return out;
  }

  private static void apply(double[] diag, int[][] nbVar, double[][] nbW, double[] in, double[] out) {
    for (int i = 0; i < in.length; i++) {
      double s = diag[i] * in[i];
      int[] nv = nbVar[i];
      double[] nw = nbW[i];
      for (int j = 0; j < nv.length; j++) s -= nw[j] * in[nv[j]];
      out[i] = s;
    }
  }

  /** Solves {@code A v = b} in place (v holds the start), relative residual 1e-6 or 4n iterations. */
  static void conjugateGradient(double[] diag, int[][] nbVar, double[][] nbW, double[] b, double[] v) {
    int n = b.length;
    double[] r = new double[n], p = new double[n], ap = new double[n];
    apply(diag, nbVar, nbW, v, ap);
    double rr = 0, bb = 0;
    for (int i = 0; i < n; i++) { r[i] = b[i] - ap[i]; p[i] = r[i]; rr += r[i] * r[i]; bb += b[i] * b[i]; }
    double tol = 1e-12 * Math.max(bb, 1e-30);
    for (int it = 0; it < 4 * n + 10 && rr > tol; it++) {
      apply(diag, nbVar, nbW, p, ap);
      double pap = 0;
      for (int i = 0; i < n; i++) pap += p[i] * ap[i];
      if (!(pap > 0)) break;
      double alpha = rr / pap, rr2 = 0;
      for (int i = 0; i < n; i++) { v[i] += alpha * p[i]; r[i] -= alpha * ap[i]; rr2 += r[i] * r[i]; }
      double beta = rr2 / rr;
      rr = rr2;
      for (int i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
    }
  }
}
