package org.xcam.plugins.gradient;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xcam.api.Attention;
import org.xcam.api.Capability;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerInfo;
import org.xcam.api.Model;
import org.xcam.api.Objective;
import org.xcam.api.Objectives;
import org.xcam.api.Passes;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.api.UnsupportedCapabilityException;

/**
 * Attention rollout (Abnar and Zuidema 2020, "Quantifying Attention Flow in Transformers") and gradient-weighted
 * attention rollout (Chefer, Gur and Wolf 2021, "Transformer Interpretability Beyond Attention Visualization" /
 * "Generic Attention-model Explainability"), over the attention probabilities {@code [N, heads, T, T]} of every
 * block that the engine exposes ({@link Model#attention}). The map is the class token's row of the rolled-out
 * matrix over the patch tokens, reshaped to the patch grid (layer resolution), then resized like every method.
 *
 * <p>{@code attention-rollout}, per block: fuse the heads ({@code mean}, {@code max} or {@code min}); discard the
 * lowest {@code discard-ratio} fraction of the fused matrix (the {@code floor(ratio * T * T)} smallest entries are set
 * to 0, except the class token's attention to itself, as jacobgil/vit-explain does); add the identity (the residual
 * connection) and renormalise every row to sum 1; multiply: {@code R = A_b R} from the first block to the last.
 * vit-explain divides by {@code a.sum(dim=-1)} without keepdim, which broadcasts the row sums over columns; here rows
 * are renormalised as the paper (and the brief) say. Target-free: one forward pass.
 *
 * <p>{@code gradient-rollout}, per block: {@code Abar = mean over heads of max(0, dS/dA ⊙ A)}; {@code R = R + Abar R}
 * from {@code R = I} (hila-chefer's {@code compute_rollout_attention} without renormalisation). One forward and one
 * backward pass.
 *
 * <p>Only the class token's row of the product is needed, so it is computed as a row vector times the blocks' matrices
 * from the last block back, in double precision: {@code O(blocks T^2)} per image (vit_b_16: 12 x 197^2), small next to
 * the network itself; written here because it is the method itself.
 */
final class Rollout implements Explainer {
  enum Fusion { MEAN, MAX, MIN }

  private final String name;
  private final boolean gradient;
  private final Fusion fusion;
  private final double discard;
  private final int prefixTokens; // -1: from the token count

  Rollout(String name, boolean gradient, Fusion fusion, double discard, int prefixTokens) {
    this.name = name;
    this.gradient = gradient;
    this.fusion = fusion;
    this.discard = discard;
    this.prefixTokens = prefixTokens;
  }

  @Override public String name() { return name; }

  /** The prefix tokens and the grid side for blocks of {@code t} tokens, or a one-line refusal. */
  int[] grid(Model model, Attention.Layer l) {
    int t = l.tokens();
    if (prefixTokens >= 0) {
      int g = (int) Math.round(Math.sqrt(t - prefixTokens));
      if (prefixTokens >= t || g * g != t - prefixTokens) {
        throw new InvalidInputException("option prefix-tokens=" + prefixTokens + " of '" + name + "' leaves " + (t - prefixTokens)
            + " of the " + t + " tokens of model '" + model.info().name() + "', not a square patch grid; pass the number of class/register tokens");
      }
      if (prefixTokens == 0) throw noClassToken(model, t);
      return new int[] {prefixTokens, g};
    }
    int[] pg = l.squareGrid();
    if (pg == null) {
      throw new InvalidInputException("'" + name + "' cannot tell the class token from the patch grid in the " + t + " tokens of model '"
          + model.info().name() + "' (no P in 0..4 leaves a square grid); pass -o prefix-tokens=P");
    }
    if (pg[0] == 0) throw noClassToken(model, t);
    return pg;
  }

  private UnsupportedCapabilityException noClassToken(Model model, int t) {
    return new UnsupportedCapabilityException("'" + name + "' reads the class token's row, but the " + t + " tokens of model '"
        + model.info().name() + "' are all patches (no class token); use a layer-based method (gradcam, eigencam)",
        EnumSet.of(Capability.ATTENTION));
  }

  @Override public List<Explanation> explain(Model model, ExplainRequest req) {
    model.require(gradient ? EnumSet.of(Capability.ATTENTION, Capability.ATTENTION_GRADIENT) : EnumSet.of(Capability.ATTENTION), name);
    List<Attention.Layer> layers = model.attentionLayers();
    if (layers.isEmpty()) {
      throw new UnsupportedCapabilityException("'" + name + "' needs attention blocks, and model '" + model.info().name()
          + "' has none; use a layer-based method", EnumSet.of(Capability.ATTENTION));
    }
    int t = layers.get(0).tokens();
    for (Attention.Layer l : layers) {
      if (l.tokens() != t) {
        throw new UnsupportedCapabilityException("'" + name + "' multiplies the attention of every block, but model '" + model.info().name()
            + "' has blocks over " + t + " and " + l.tokens() + " tokens (e.g. merged patches); it needs one token count", EnumSet.of(Capability.ATTENTION));
      }
    }
    int[] pg = grid(model, layers.get(0));
    int p = pg[0], g = pg[1];
    req.checkCancelled();
    return gradient ? gradientRollout(model, req, p, g) : attentionRollout(model, req, p, g);
  }

  private List<Explanation> attentionRollout(Model model, ExplainRequest req, int p, int g) {
    Slots.budget(req, name, 0, 1);
    Attention at = model.attention(req.input(), null);
    Objective obj = Objectives.categoryIndependent(model.info());
    int n = req.size(), k = at.output().dim(1);
    float[] yd = at.output().toArray();
    List<Explanation> out = new ArrayList<>();
    for (int s = 0; s < n; s++) {
      List<double[]> m = new ArrayList<>();
      for (Attention.Block b : at.blocks()) {
        double[] a = fuse(b.probabilities(), s, fusion);
        discardLowest(a, b.layer().tokens(), discard);
        m.add(normalisedWithIdentity(a, b.layer().tokens()));
      }
      double[] r = classRowOfProduct(m, p + g * g);
      float[] row = java.util.Arrays.copyOfRange(yd, s * k, (s + 1) * k);
      Explanation e = explanation(s, r, layers(at), p, g, obj, obj.value(row), new Passes(1, 0, 0, 0), model, req);
      if (!(req.target(s) instanceof Target.None)) {
        e = e.withNote("'" + name + "' is category-independent: the target '" + req.target(s).spec() + "' is ignored");
      }
      out.add(e);
    }
    return out;
  }

  private List<Explanation> gradientRollout(Model model, ExplainRequest req, int p, int g) {
    long[] forwards = {0};
    Slots slots = Slots.of(req, model.info(), x -> {
      forwards[0]++;
      return model.forward(x);
    });
    Slots.budget(req, name, forwards[0], 2);
    req.checkCancelled();
    Attention at = model.attention(slots.inputs(), slots.seed(0, 1));
    Passes passes = new Passes(forwards[0] + 1, 0, 0, 1);
    int k = at.output().dim(1);
    float[] yd = at.output().toArray();
    List<Explanation> out = new ArrayList<>();
    for (int s = 0; s < slots.size(); s++) {
      List<double[]> m = new ArrayList<>();
      for (Attention.Block b : at.blocks()) m.add(plusIdentity(weighted(b.probabilities(), b.gradient(), s), b.layer().tokens()));
      double[] r = classRowOfProduct(m, p + g * g);
      Objective obj = slots.objective(s);
      float[] row = java.util.Arrays.copyOfRange(yd, s * k, (s + 1) * k);
      out.add(explanation(slots.image(s), r, layers(at), p, g, obj, obj.value(row), passes, model, req));
    }
    return out;
  }

  private static int layers(Attention at) { return at.blocks().size(); }

  private Explanation explanation(int image, double[] r, int blocks, int p, int g, Objective obj, double score, Passes passes,
                                  Model model, ExplainRequest req) {
    float[] m = new float[g * g];
    for (int j = 0; j < m.length; j++) m[j] = (float) r[p + j];
    String target = obj.classIndex() >= 0 ? Integer.toString(obj.classIndex()) : "none";
    Heatmap raw = Heatmap.of(m, g, g, name, "attention", target, Heatmap.Resolution.LAYER);
    Map<String, Object> extras = new HashMap<>();
    extras.put("attentionBlocks", blocks);
    extras.put("prefixTokens", p);
    Explanation e = Explanation.of(image, raw, model.info().input().height(), model.info().input().width(), obj, score, passes, extras);
    if (!req.layers().isEmpty() && !req.layers().equals(List.of(LayerInfo.INPUT))) {
      e = e.withNote("'" + name + "' ignores the layer: it rolls out the attention of all " + blocks + " blocks");
    }
    return e;
  }

  // ---- the math (package-private for the closed-form tests) ------------------------------------------------------

  /** Image {@code s}'s heads of {@code a [N, H, T, T]} fused into one {@code T x T} matrix. */
  static double[] fuse(Tensor a, int s, Fusion f) {
    int h = a.dim(1), t = a.dim(2), tt = t * t;
    float[] d = a.toArray();
    double[] r = new double[tt];
    for (int q = 0; q < h; q++) {
      int o = (s * h + q) * tt;
      for (int i = 0; i < tt; i++) {
        double v = d[o + i];
        if (q == 0) r[i] = v;
        else if (f == Fusion.MEAN) r[i] += v;
        else if (f == Fusion.MAX) r[i] = Math.max(r[i], v);
        else r[i] = Math.min(r[i], v);
      }
    }
    if (f == Fusion.MEAN) for (int i = 0; i < tt; i++) r[i] /= h;
    return r;
  }

  /**
   * Sets the {@code floor(ratio * T * T)} smallest entries of {@code a} to 0 (ties: lower index first), except entry
   * 0 (the class token's attention to itself), as vit-explain does.
   */
  static void discardLowest(double[] a, int t, double ratio) {
    int k = (int) (a.length * ratio);
    if (k <= 0) return;
    // the k-th smallest value by a primitive sort; entries below it go, and of the entries equal to it the ones with
    // the lowest indices until k are gone (the stable order), all but entry 0
    double[] sorted = a.clone();
    java.util.Arrays.sort(sorted);
    double cut = sorted[k - 1];
    int below = 0;
    for (double v : a) if (v < cut) below++;
    int equalToGo = k - below;
    double self = a[0];
    for (int i = 0; i < a.length; i++) {
      if (a[i] < cut) {
        a[i] = 0;
      } else if (a[i] == cut && equalToGo > 0) {
        equalToGo--;
        a[i] = 0;
      }
    }
    a[0] = self;
  }

  /** {@code A + I} with every row renormalised to sum 1 (attention rollout's residual step). */
  static double[] normalisedWithIdentity(double[] a, int t) {
    double[] m = plusIdentity(a, t);
    for (int i = 0; i < t; i++) {
      double sum = 0;
      for (int j = 0; j < t; j++) sum += m[i * t + j];
      for (int j = 0; j < t; j++) m[i * t + j] /= sum;
    }
    return m;
  }

  /** {@code A + I} (gradient rollout: {@code R + Abar R = (I + Abar) R}). */
  static double[] plusIdentity(double[] a, int t) {
    double[] m = a.clone();
    for (int i = 0; i < t; i++) m[i * t + i] += 1;
    return m;
  }

  /** Mean over heads of {@code max(0, grad ⊙ attn)} for image {@code s}. */
  static double[] weighted(Tensor a, Tensor grad, int s) {
    int h = a.dim(1), t = a.dim(2), tt = t * t;
    float[] ad = a.toArray(), gd = grad.toArray();
    double[] r = new double[tt];
    for (int q = 0; q < h; q++) {
      int o = (s * h + q) * tt;
      for (int i = 0; i < tt; i++) r[i] += Math.max(0.0, (double) ad[o + i] * gd[o + i]);
    }
    for (int i = 0; i < tt; i++) r[i] /= h;
    return r;
  }

  /**
   * Row 0 (the class token) of {@code R = M_L ... M_2 M_1} (blocks in input order): {@code e_0^T M_L ... M_1},
   * vector times matrix from the last block back, {@code O(L T^2)} instead of the full product's {@code O(L T^3)}.
   */
  static double[] classRowOfProduct(List<double[]> blocks, int t) {
    double[] v = new double[t];
    v[0] = 1;
    for (int b = blocks.size() - 1; b >= 0; b--) {
      double[] m = blocks.get(b), w = new double[t];
      for (int i = 0; i < t; i++) {
        double vi = v[i];
        if (vi == 0) continue;
        int o = i * t;
        for (int j = 0; j < t; j++) w[j] += vi * m[o + j];
      }
      v = w;
    }
    return v;
  }
}
