package org.xcam.plugins.gradient;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xcam.api.AttributionMap;
import org.xcam.api.BackwardRule;
import org.xcam.api.Capability;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerInfo;
import org.xcam.api.Model;
import org.xcam.api.Objective;
import org.xcam.api.Passes;
import org.xcam.api.TailGradient;
import org.xcam.api.Tensor;

/**
 * Attributions from a backward pass with swapped rules ({@link Capability#MODIFIED_BACKWARD}, offered by the ONNX
 * engine; DJL refuses up front, naming the capability), at the input by default or at one layer:
 *
 * <ul>
 *   <li>{@code guided-backprop} (Springenberg et al. 2015, Captum's {@code GuidedBackprop}): the gradient through a
 *       backward pass whose ReLUs pass only positive gradients ({@link BackwardRule#GUIDED_RELU}); attribution = that
 *       gradient, per channel.</li>
 *   <li>{@code deeplift} (Shrikumar et al. 2017, Captum's {@code DeepLift}, rescale rule): multipliers {@code m} from
 *       a backward pass with {@link BackwardRule#DEEPLIFT_RESCALE} against a baseline {@code x0} (option
 *       {@code baseline}: {@code zeros}, Captum's default, or {@code blurred}, a Gaussian blur of the input with
 *       {@code blur-sigma} pixels); attribution = {@code (x - x0) ⊙ m}. The extras record {@code attributionSum},
 *       {@code outputDelta} = {@code f(x) - f(x0)} and their difference {@code convergenceDelta} (Captum's
 *       {@code return_convergence_delta}; not zero where a max-pool takes its plain gradient, as in Captum).</li>
 * </ul>
 *
 * The raw map is the channel sum, through the option {@code map} ({@link AttributionMap}: {@code positive} default,
 * {@code absolute}, {@code signed} as Captum). Cost per batch: one tail and one backward (DeepLift's tail also runs the
 * baseline, and one more tail gives {@code f(x0)}); a head when a layer is named; one forward first when a target
 * yields several objectives.
 */
final class RuleAttribution implements Explainer {
  private final String name;
  private final BackwardRule rule;
  private final AttributionMap mode;
  private final boolean blurred;
  private final double blurSigma;
  private final int batchSize;

  RuleAttribution(String name, BackwardRule rule, AttributionMap mode, boolean blurred, double blurSigma, int batchSize) {
    this.name = name;
    this.rule = rule;
    this.mode = mode;
    this.blurred = blurred;
    this.blurSigma = blurSigma;
    this.batchSize = batchSize;
  }

  @Override public String name() { return name; }

  @Override public List<Explanation> explain(Model model, ExplainRequest req) {
    if (req.layers().size() > 1) {
      throw new InvalidInputException("'" + name + "' explains one layer at a time (got " + req.layers() + "); name one layer or none (the input)");
    }
    String layer = req.layers().isEmpty() ? LayerInfo.INPUT : req.layers().get(0);
    org.xcam.api.LayerLayout layout = model.info().layer(layer).layout();
    if (!layout.identity()) {
      // a swapped-rule attribution's baseline and sum are defined on the raw activation; not carried to token layouts
      throw new InvalidInputException("'" + name + "' runs at the input or at channels-first layers; layer '" + layer + "' is "
          + layout.describe() + "; drop --layer (the input) or use a Grad-CAM-family method there");
    }
    EnumSet<Capability> needs = EnumSet.of(Capability.MODIFIED_BACKWARD);
    needs.addAll(LayerInfo.INPUT.equals(layer) ? EnumSet.of(Capability.INPUT_GRADIENT) : EnumSet.of(Capability.LAYER_CUT, Capability.VJP));
    model.require(needs, name);
    long[] calls = new long[4]; // forwards, heads, tails, vjps
    Slots slots = Slots.of(req, model.info(), x -> {
      calls[0]++;
      return model.forward(x);
    });
    LayerHook hook = model.layer(layer);
    boolean input = LayerInfo.INPUT.equals(layer);
    Tensor x = slots.inputs();
    Slots.budget(req, name, calls[0], (input ? 0 : 1) + 2L * chunks(slots.size()) + (rule == BackwardRule.DEEPLIFT_RESCALE ? 1 : 0));
    Tensor a = input ? x : hook.activation(x);
    if (!input) calls[1]++;
    int n = slots.size(), rowLen = a.size() / n;
    int[] shape = a.shape();
    int k = shape.length > 1 ? shape[1] : 1;
    int hh = shape.length > 3 ? shape[2] : 1, ww = shape.length > 3 ? shape[3] : rowLen / k;
    float[] ad = a.toArray();
    float[] ref = null;
    if (rule == BackwardRule.DEEPLIFT_RESCALE) {
      ref = new float[ad.length];
      if (blurred) {
        for (int s = 0; s < n; s++) {
          float[] b = CamMath.blur(java.util.Arrays.copyOfRange(ad, s * rowLen, (s + 1) * rowLen), k, hh, ww, blurSigma);
          System.arraycopy(b, 0, ref, s * rowLen, rowLen);
        }
      }
    }
    float[] gAll = new float[ad.length], yAll = null;
    int b = batchSize <= 0 ? n : Math.min(n, batchSize);
    for (int from = 0; from < n; from += b) {
      req.checkCancelled();
      int to = Math.min(n, from + b);
      Tensor chunk = a.slice(from, to);
      Tensor refChunk = ref == null ? null : Tensor.wrap(java.util.Arrays.copyOfRange(ref, from * rowLen, to * rowLen), chunk.shape());
      TailGradient tg = hook.tailWithRule(chunk, refChunk, rule, slots.seed(from, 1));
      calls[2]++;
      calls[3]++;
      tg.gradient().copyTo(0, gAll, from * rowLen, (to - from) * rowLen);
      float[] y = tg.output().toArray();
      if (yAll == null) yAll = new float[n * tg.output().dim(1)];
      System.arraycopy(y, 0, yAll, from * tg.output().dim(1), y.length);
      req.progress().progress(to, n, name);
    }
    float[] y0 = null;
    if (ref != null) {
      y0 = hook.tail(Tensor.wrap(ref, shape)).toArray();
      calls[2]++;
    }
    Passes passes = new Passes(calls[0], calls[1], calls[2], calls[3]);
    int kout = yAll.length / n;
    int inH = req.input().dim(2), inW = req.input().dim(3);
    List<Explanation> out = new ArrayList<>();
    for (int s = 0; s < n; s++) {
      double[] sum = new double[hh * ww];
      double total = 0;
      for (int c = 0; c < k; c++)
        for (int p = 0; p < hh * ww; p++) {
          int i = s * rowLen + c * hh * ww + p;
          double attr = ref == null ? gAll[i] : ((double) ad[i] - ref[i]) * gAll[i];
          sum[p] += attr;
          total += attr;
        }
      Objective o = slots.objective(s);
      float[] row = java.util.Arrays.copyOfRange(yAll, s * kout, (s + 1) * kout);
      Map<String, Object> extras = new HashMap<>();
      extras.put("map", mode.id());
      if (y0 != null) {
        double delta = o.value(row) - o.value(java.util.Arrays.copyOfRange(y0, s * kout, (s + 1) * kout));
        extras.put("attributionSum", total);
        extras.put("outputDelta", delta);
        extras.put("convergenceDelta", total - delta);
        extras.put("baseline", blurred ? "blurred" : "zeros");
      }
      String target = o.classIndex() >= 0 ? Integer.toString(o.classIndex()) : "none";
      Heatmap raw = Heatmap.of(CamMath.toFloat(mode.apply(sum)), hh, ww, name, layer, target,
          input ? Heatmap.Resolution.INPUT : Heatmap.Resolution.LAYER);
      out.add(Explanation.of(slots.image(s), raw, inH, inW, o, o.value(row), passes, extras));
    }
    return out;
  }

  private int chunks(int n) {
    int b = batchSize <= 0 ? n : Math.min(n, batchSize);
    return (n + b - 1) / b;
  }
}
