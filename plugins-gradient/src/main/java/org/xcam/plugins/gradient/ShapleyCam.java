package org.xcam.plugins.gradient;

import java.util.ArrayList;
import java.util.List;
import org.xcam.api.Capability;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.Model;
import org.xcam.api.UnsupportedCapabilityException;

/**
 * ShapleyCAM (pytorch-grad-cam's {@code ShapleyCAM}, Cai et al. 2025): {@code w_k = mean_ij(g − ½ H A)},
 * {@code ReLU(sum_k w_k A_k)}, where {@code H A} is the Hessian of the objective with respect to the activation times
 * the activation itself (the objective's own curvature included, as pytorch-grad-cam's autograd computes it).
 *
 * <p><b>The Hessian-vector product</b> (option {@code hvp}):
 * <ul>
 *   <li>{@code exact}: the engine's exact product ({@link Capability#HESSIAN_VECTOR_PRODUCT}: double backward on DJL,
 *       forward-over-reverse on ONNX), one tail and a second-order pass per batch. Zero through piecewise-linear
 *       parts, as pytorch-grad-cam's, so on a ReLU network with a logit objective ShapleyCAM equals Grad-CAM
 *       exactly.</li>
 *   <li>{@code finite-difference}: {@code HA ≈ (∇f((1 + r) A) − ∇f(A)) / r} (option {@code r}, default 0.01,
 *       relative to A), fused into one call on the stacked rows {@code [A, (1 + r) A]}. It counts the ReLU kinks the
 *       step crosses, which the exact product does not: it disagrees with pytorch-grad-cam where kinks lie between
 *       the layer and the output.</li>
 *   <li>{@code auto} (default): exact where the engine offers it at the layer, else the finite difference, with a
 *       note saying so.</li>
 * </ul>
 * The manifest's {@code hvp} extra says which was used.
 */
final class ShapleyCam implements org.xcam.api.Explainer {
  private final String name;
  private final GradientCam.Common common;
  private final double r;
  private final String mode;

  ShapleyCam(String name, GradientCam.Common common, double r, String mode) {
    this.name = name;
    this.common = common;
    this.r = r;
    this.mode = mode;
  }

  @Override public String name() { return name; }

  @Override public List<Explanation> explain(Model model, ExplainRequest req) {
    boolean exact = switch (mode) {
      case "exact" -> true;
      case "finite-difference" -> false;
      default -> model.capabilities().contains(Capability.HESSIAN_VECTOR_PRODUCT);
    };
    if (exact) {
      try {
        return tag(new Exact(name, common).explain(model, req), "exact", null);
      } catch (UnsupportedCapabilityException e) {
        // auto: this layer (not the model's default one) has no exact product on this engine; nothing ran yet but the
        // head, which the fallback repeats
        if (!mode.equals("auto")) throw e;
        return tag(new FiniteDifference(name, common, r).explain(model, req), "finite-difference",
            "no exact Hessian-vector product here (" + e.getMessage() + "); used the finite difference with r = " + r);
      }
    }
    String note = mode.equals("auto")
        ? "the engine offers no exact Hessian-vector product; used the finite difference with r = " + r
            + " (it counts ReLU kinks the step crosses; use --engine djl or onnx for the exact product)" : null;
    return tag(new FiniteDifference(name, common, r).explain(model, req), "finite-difference", note);
  }

  /**
   * The exact product's run (one tail and two backward rows per image) where it would be used, else the finite
   * difference's (two activation rows per image, a tail and a backward each); see {@link GradientCam#plan}.
   */
  @Override public org.xcam.api.Plan plan(Model model, ExplainRequest req) {
    boolean exact = switch (mode) {
      case "exact" -> true;
      case "finite-difference" -> false;
      default -> model.capabilities().contains(Capability.HESSIAN_VECTOR_PRODUCT);
    };
    return exact ? new Exact(name, common).plan(model, req) : new FiniteDifference(name, common, r).plan(model, req);
  }

  private static List<Explanation> tag(List<Explanation> in, String how, String note) {
    List<Explanation> out = new ArrayList<>();
    for (Explanation e : in) {
      java.util.Map<String, Object> ex = new java.util.HashMap<>(e.extras());
      ex.put("hvp", how);
      Explanation t = new Explanation(e.index(), e.raw(), e.map(), e.classIndex(), e.label(), e.score(), e.objective(),
          e.passes(), ex, e.notes());
      out.add(note == null ? t : t.withNote(note));
    }
    return out;
  }

  static double[] weightsAndMap(float[] a, float[] g, double[] hv, int k, int hw, boolean eigenSmooth) {
    double[] wts = new double[k];
    for (int c = 0; c < k; c++) {
      double s = 0;
      for (int p = 0, o = c * hw; p < hw; p++) s += g[o + p] - 0.5 * hv[o + p];
      wts[c] = s / hw;
    }
    return CamMath.finish(CamMath.weighted(wts, a, k, hw), k, hw, eigenSmooth);
  }

  /** With the engine's exact product. */
  private static final class Exact extends GradientCam {
    Exact(String name, Common common) { super(name, common); }

    @Override protected boolean secondOrder() { return true; }

    @Override protected double[] map(Rows rows) {
      float[] h = rows.hv()[0];
      double[] hv = new double[h.length];
      for (int i = 0; i < h.length; i++) hv[i] = h[i];
      return weightsAndMap(rows.a()[0], rows.g()[0], hv, rows.k(), rows.hw(), common.eigenSmooth());
    }
  }

  /** With a forward finite difference of two VJPs (the declared fallback). */
  private static final class FiniteDifference extends GradientCam {
    private final double r;

    FiniteDifference(String name, Common common, double r) {
      super(name, common);
      this.r = r;
    }

    @Override protected int activationReplicas() { return 2; }

    @Override protected void expand(float[] a, int k, int h, int w, float[][] out) {
      for (int i = 0; i < a.length; i++) out[1][i] = (float) (a[i] * (1 + r));
    }

    @Override protected double[] map(Rows rows) {
      return weightsAndMap(rows.a()[0], rows.g()[0], HessianCiam.hvp(rows.g()[0], rows.g()[1], r), rows.k(), rows.hw(),
          common.eigenSmooth());
    }
  }
}
