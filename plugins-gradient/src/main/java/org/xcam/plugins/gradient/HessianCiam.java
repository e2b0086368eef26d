package org.xcam.plugins.gradient;

import org.xcam.api.ModelInfo;
import org.xcam.api.Objective;
import org.xcam.api.Objectives;

/**
 * Hessian-CIAM (category-independent; "Category-Independent Visual Explanation for Medical Deep Network
 * Understanding"). With {@code f} the category-independent objective and {@code v} all ones:
 *
 * <ol>
 *   <li>{@code Hv ≈ (∇_A f(A + r v) − ∇_A f(A)) / r}: a forward finite difference of two VJPs, fused into one call on
 *       the stacked rows {@code [A, A + r·1]}, so the method costs one head and one tail+VJP on twice the rows.</li>
 *   <li>{@code Ĥ = |Hv| / ||Hv||_2} (norm over the whole {@code K x h x w} sample; {@code Ĥ = 0} when
 *       {@code Hv = 0});</li>
 *   <li>{@code A_H = ReLU(Ĥ ⊙ A)}; {@code L_H = sum_k A_H^k};</li>
 *   <li>smoothing (default on): {@code A_H} reshaped {@code hw x K} = {@code U Σ V^T} (not centred),
 *       {@code L_HS = A_H V_1}; if {@code corr(L_HS, L_H) > 0} the map is {@code ReLU(L_HS)}, else
 *       {@code ReLU(−L_HS)}. Without smoothing the map is {@code L_H}.</li>
 * </ol>
 *
 * <p><b>r</b> (option {@code r}, default 0.01) is an absolute step in activation units. The finite difference is
 * exact for a tail that is quadratic in {@code A} and has an error O(r) otherwise; a piecewise-linear (ReLU) tail
 * contributes curvature only where the step crosses a kink, so r should stay small against the activations' scale
 * but well above float32 round-off of the gradients (about 1e-7 relative): 1e-3 to 1e-1 are sensible.
 * Objectives (option {@code objective}): {@code auto} (log-sum-exp for multiclass, sum of sigmoids for multilabel),
 * {@code log-sum-exp}, {@code sum-sigmoid}, {@code max-logit}.
 */
final class HessianCiam extends GradientCam {
  private final double r;
  private final boolean smoothing;
  private final String objective;

  HessianCiam(String name, Common common, double r, boolean smoothing, String objective) {
    super(name, common);
    this.r = r;
    this.smoothing = smoothing;
    this.objective = objective;
  }

  @Override protected boolean categoryIndependent() { return true; }

  @Override protected Objective independentObjective(ModelInfo info) {
    return switch (objective) {
      case "log-sum-exp" -> Objectives.logSumExp();
      case "sum-sigmoid" -> Objectives.sumSigmoid();
      case "max-logit" -> Objectives.maxLogit();
      default -> Objectives.categoryIndependent(info);
    };
  }

  @Override protected int activationReplicas() { return 2; }

  @Override protected void expand(float[] a, int k, int h, int w, float[][] out) {
    for (int i = 0; i < a.length; i++) out[1][i] = (float) (a[i] + r);
  }

  /** The finite-difference Hessian-vector product from the two rows' gradients: {@code (g1 - g0) / step}. */
  static double[] hvp(float[] g0, float[] g1, double step) {
    double[] hv = new double[g0.length];
    for (int i = 0; i < hv.length; i++) hv[i] = ((double) g1[i] - g0[i]) / step;
    return hv;
  }

  @Override protected double[] map(Rows rows) {
    float[] a = rows.a()[0];
    // the step actually taken (float32 rounding of A + r) is A[1] - A[0]; for v = 1 its mean is r up to round-off
    double[] hv = hvp(rows.g()[0], rows.g()[1], r);
    if (rows.extras() != null) {
      // float32 gradients carry ~1e-6 relative error between calls (batching, kernel choice); divided by r it becomes a
      // floor under which Hv is noise (seen on confident models, whose log-sum-exp Hessian is near zero).
      double g = 0, h = 0;
      for (float v : rows.g()[0]) g += (double) v * v;
      for (double v : hv) h += v * v;
      double floor = 1e-6 * Math.sqrt(g) / r;
      rows.extras().put("hvpNoiseFloor", floor);
      if (Math.sqrt(h) < 10 * floor) {
        rows.extras().put("hvpWarning", "||Hv|| is within 10x of float32 noise (the objective is saturated); the map is"
            + " unstable: raise r (e.g. --option r=1) or use objective=max-logit/sum-sigmoid");
      }
    }
    return map(a, hv, rows.k(), rows.hw(), smoothing, rows.extras());
  }

  static double[] map(float[] a, double[] hv, int k, int hw, boolean smoothing, java.util.Map<String, Object> extras) {
    double norm = 0;
    for (double v : hv) norm += v * v;
    norm = Math.sqrt(norm);
    if (extras != null) extras.put("hvpNorm", norm);
    double[] ah = new double[a.length];
    if (norm > 0) for (int i = 0; i < a.length; i++) ah[i] = Math.max(0, Math.abs(hv[i]) / norm * a[i]);
    double[] lh = CamMath.channelSum(ah, k, hw);
    if (!smoothing) return lh;
    double[] lhs = CamMath.firstProjection(ah, k, hw, false);
    double c = CamMath.correlation(lhs, lh);
    double[] out = new double[hw];
    for (int p = 0; p < hw; p++) out[p] = Math.max(0, c > 0 ? lhs[p] : -lhs[p]);
    return out;
  }
}
