package org.xcam.plugins.gradient;

/**
 * ShapleyCAM (pytorch-grad-cam's {@code ShapleyCAM}): {@code w_k = mean_ij(g − ½ H A)}, {@code ReLU(sum_k w_k A_k)},
 * where {@code H A} is the Hessian-vector product along the activation itself. It is a forward finite difference of
 * two VJPs, {@code HA ≈ (∇f((1 + r) A) − ∇f(A)) / r} (option {@code r}, default 0.01, relative to A), fused into one
 * call on the stacked rows {@code [A, (1 + r) A]}.
 */
final class ShapleyCam extends GradientCam {
  private final double r;

  ShapleyCam(String name, Common common, double r) {
    super(name, common);
    this.r = r;
  }

  @Override protected int activationReplicas() { return 2; }

  @Override protected void expand(float[] a, int k, int h, int w, float[][] out) {
    for (int i = 0; i < a.length; i++) out[1][i] = (float) (a[i] * (1 + r));
  }

  @Override protected double[] map(Rows rows) {
    float[] a = rows.a()[0], g = rows.g()[0];
    double[] hv = HessianCiam.hvp(g, rows.g()[1], r);
    int k = rows.k(), hw = rows.hw();
    double[] wts = new double[k];
    for (int c = 0; c < k; c++) {
      double s = 0;
      for (int p = 0, o = c * hw; p < hw; p++) s += g[o + p] - 0.5 * hv[o + p];
      wts[c] = s / hw;
    }
    return CamMath.finish(CamMath.weighted(wts, a, k, hw), k, hw, common.eigenSmooth());
  }
}
