package org.xcam.plugins.gradient;

import org.xcam.api.AttributionMap;

/**
 * The input-gradient family at the layer {@code input} (any other layer may be named; the maths is the same on its
 * activation). Maps are at the input resolution.
 *
 * <ul>
 *   <li>{@code saliency} (Simonyan et al.): {@code max_c |dY/dx_c|}.</li>
 *   <li>{@code gradient-x-input}: {@code sum_c g_c x_c} (Captum's {@code InputXGradient} summed over channels), then
 *       ReLU ({@code map=positive}, default), its absolute value ({@code map=absolute}) or kept signed
 *       ({@code map=signed}, {@link AttributionMap}).</li>
 *   <li>{@code smoothgrad} (Smilkov et al.): the mean over {@code n} noisy inputs {@code x + N(0, (σ (max x − min x))^2)}
 *       (defaults n = 25, σ = 0.15, seeded by the request) of the saliency map {@code max_c |g|} — the paper's form,
 *       averaging sensitivity maps. Targets are resolved on the clean input; all noisy rows go in one batched call.</li>
 * </ul>
 */
final class InputGradient extends GradientCam {
  enum Kind { SALIENCY, GRADIENT_X_INPUT, SMOOTHGRAD }

  private final Kind kind;
  private final AttributionMap mode;
  private final int samples;
  private final double sigma;

  InputGradient(String name, Kind kind, Common common, AttributionMap mode, int samples, double sigma) {
    super(name, common);
    this.kind = kind;
    this.mode = mode;
    this.samples = samples;
    this.sigma = sigma;
  }

  @Override protected boolean inputLevel() { return true; }

  @Override protected int noiseSamples() { return kind == Kind.SMOOTHGRAD ? samples : 0; }

  @Override protected double noiseSigma() { return sigma; }

  @Override protected double[] map(Rows rows) {
    float[] a = rows.a()[0], g = rows.g()[0];
    int k = rows.k(), hw = rows.hw();
    double[] out = new double[hw];
    if (kind == Kind.GRADIENT_X_INPUT) {
      for (int c = 0; c < k; c++) for (int p = 0, o = c * hw; p < hw; p++) out[p] += (double) g[o + p] * a[o + p];
      for (int p = 0; p < hw; p++) out[p] = mode.apply(out[p]);
      return out;
    }
    for (int c = 0; c < k; c++) for (int p = 0, o = c * hw; p < hw; p++) out[p] = Math.max(out[p], Math.abs(g[o + p]));
    return out;
  }
}
