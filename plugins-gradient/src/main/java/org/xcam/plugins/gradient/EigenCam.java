package org.xcam.plugins.gradient;

/**
 * EigenCAM (category-independent): the projection of the centred activations ({@code hw x K}, each channel's spatial
 * mean removed, as pytorch-grad-cam's {@code get_2d_projection}) onto their first right singular vector, then ReLU.
 * Needs no gradient: one head and one tail (the tail only gives the category-independent score for the manifest).
 *
 * <p><b>Sign.</b> A singular vector's sign is arbitrary (LAPACK and EJML may disagree), so it is fixed
 * deterministically: the projection is negated when its Pearson correlation over positions with {@code sum_k A_k} is
 * negative (if that correlation is 0, when its sum is negative). The map therefore highlights where the activations
 * are large; pytorch-grad-cam's map is this one or its other-sign twin ({@code max(-p, 0)}).
 */
final class EigenCam extends GradientCam {
  EigenCam(String name, Common common) { super(name, common); }

  @Override protected boolean categoryIndependent() { return true; }

  @Override protected boolean needsGradient() { return false; }

  @Override protected double[] map(Rows rows) {
    float[] a = rows.a()[0];
    int k = rows.k(), hw = rows.hw();
    double[] comp = new double[a.length];
    for (int i = 0; i < a.length; i++) comp[i] = a[i];
    return CamMath.relu(CamMath.signFixed(CamMath.firstProjection(comp, k, hw, true), CamMath.channelSum(a, k, hw)));
  }
}
