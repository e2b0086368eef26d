package org.xcam.plugins.gradient;

/**
 * FEM, the Feature Explanation Method (Fuad et al. 2020; pytorch-grad-cam's {@code FEM}): category-independent and
 * gradient-free. Each channel's weight is the fraction of positions where it exceeds its spatial mean plus {@code k}
 * population standard deviations (option {@code k}, default 2, as pytorch-grad-cam: {@code np.std}); the map is
 * {@code ReLU(sum_c w_c A_c)}. On small maps it can be all zero: with {@code n} positions no value lies more than
 * {@code sqrt(n - 1)} standard deviations above the mean.
 */
final class FemCam extends GradientCam {
  private final double k;

  FemCam(String name, Common common, double k) {
    super(name, common);
    this.k = k;
  }

  @Override protected boolean categoryIndependent() { return true; }

  @Override protected boolean needsGradient() { return false; }

  @Override protected double[] map(Rows rows) {
    float[] a = rows.a()[0];
    int kc = rows.k(), hw = rows.hw();
    double[] w = new double[kc];
    for (int c = 0; c < kc; c++) {
      double mean = 0, var = 0;
      for (int p = 0, o = c * hw; p < hw; p++) mean += a[o + p];
      mean /= hw;
      for (int p = 0, o = c * hw; p < hw; p++) var += (a[o + p] - mean) * (a[o + p] - mean);
      double th = mean + k * Math.sqrt(var / hw);
      int above = 0;
      // compared in float32, as numpy compares the float32 activations with the float32 threshold
      float thf = (float) th;
      for (int p = 0, o = c * hw; p < hw; p++) if (a[o + p] > thf) above++;
      w[c] = (double) above / hw;
    }
    return CamMath.relu(CamMath.channelSum(CamMath.weighted(w, a, kc, hw), kc, hw));
  }
}
