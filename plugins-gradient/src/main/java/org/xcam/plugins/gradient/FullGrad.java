package org.xcam.plugins.gradient;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xcam.api.BiasGradients;
import org.xcam.api.Capability;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.LayerInfo;
import org.xcam.api.Model;
import org.xcam.api.Objective;
import org.xcam.api.Passes;
import org.xcam.api.Tensor;

/**
 * FullGrad (Srinivas and Fleuret 2019; pytorch-grad-cam's {@code FullGrad}): the input-gradient term plus one
 * bias-gradient term per layer that adds a per-channel bias to a feature map, each normalised and brought to the
 * input's resolution, summed. Needs {@link Capability#BIAS_GRADIENTS} (the ONNX engine, whose graph names its bias
 * layers; DJL's traced modules do not expose them and refuse up front).
 *
 * <p>As pytorch-grad-cam: the input term is {@code |x ⊙ dy/dx|}, every channel min-max normalised
 * ({@code (v - min) / (1e-7 + max - min)}); each bias term is {@code |b_c ⊙ dy/d(out_c)|} for every channel, each
 * normalised the same way and resized bilinearly (half-pixel centres, as {@code cv2.resize}) to the input, then
 * summed over the layer's channels (summed before the resize, which is linear: the same map); the raw map is the sum of all terms at the input's resolution (pytorch-grad-cam's
 * own output is its min-max normalisation: the normalised map here). Like pytorch-grad-cam it ignores the requested
 * layer (and says so in a note). Bias layers are the engine's: on ONNX every Conv with a bias and every
 * BatchNormalization writing a 4-D tensor, the effective bias of a batch norm being {@code beta - mean gamma /
 * sqrt(var + eps)}. An exporter that folds a batch norm into the preceding convolution (PyTorch's ONNX export in eval
 * mode does) gives one Conv whose bias is exactly that effective bias, so the term equals pytorch-grad-cam's for the
 * batch norm; a convolution that had a bias of its own before a batch norm is one term on ONNX where
 * pytorch-grad-cam has two.
 *
 * <p>Cost: one forward and one backward pass (the input and every bias layer's output in the same backward graph),
 * plus one forward when a target yields several objectives.
 */
final class FullGrad implements Explainer {
  private final String name;

  FullGrad(String name) { this.name = name; }

  @Override public String name() { return name; }

  @Override public List<Explanation> explain(Model model, ExplainRequest req) {
    model.require(EnumSet.of(Capability.BIAS_GRADIENTS), name);
    for (String l : req.layers()) if (!LayerInfo.INPUT.equals(l)) model.info().layer(l); // unknown layers still fail
    long[] forwards = {0};
    Slots slots = Slots.of(req, model.info(), x -> {
      forwards[0]++;
      return model.forward(x);
    });
    Slots.budget(req, name, forwards[0], 2);
    req.checkCancelled();
    Tensor x = slots.inputs();
    BiasGradients bg = model.biasGradients(x, slots.seed(0, 1));
    Passes passes = new Passes(forwards[0] + 1, 0, 0, 1);
    int n = slots.size(), c = x.dim(1), h = x.dim(2), w = x.dim(3), hw = h * w;
    float[] xd = x.toArray(), gd = bg.inputGradient().toArray();
    int k = bg.output().dim(1);
    float[] yd = bg.output().toArray();
    List<Explanation> out = new ArrayList<>();
    for (int s = 0; s < n; s++) {
      double[] sum = new double[hw];
      float[] ch = new float[hw];
      float[] acc = new float[hw];
      for (int cc = 0; cc < c; cc++) {
        int o = (s * c + cc) * hw;
        for (int p = 0; p < hw; p++) ch[p] = Math.abs(xd[o + p] * gd[o + p]);
        addScaled(acc, ch);
      }
      addResized(sum, acc, h, w, h, w);
      for (BiasGradients.Layer l : bg.layers()) {
        Tensor g = l.gradient();
        int lc = g.dim(1), lh = g.dim(2), lw = g.dim(3), lhw = lh * lw;
        float[] b = l.bias(), ld = g.toArray();
        float[] m = new float[lhw], lacc = new float[lhw];
        for (int cc = 0; cc < lc; cc++) {
          int o = (s * lc + cc) * lhw;
          for (int p = 0; p < lhw; p++) m[p] = Math.abs(b[cc] * ld[o + p]);
          addScaled(lacc, m);
        }
        addResized(sum, lacc, lh, lw, h, w);
      }
      Objective obj = slots.objective(s);
      float[] row = java.util.Arrays.copyOfRange(yd, s * k, (s + 1) * k);
      String target = obj.classIndex() >= 0 ? Integer.toString(obj.classIndex()) : "none";
      Heatmap raw = Heatmap.of(CamMath.toFloat(sum), h, w, name, "bias-layers", target, Heatmap.Resolution.INPUT);
      Map<String, Object> extras = new HashMap<>();
      extras.put("biasLayers", bg.layers().size());
      Explanation e = Explanation.of(slots.image(s), raw, h, w, obj, obj.value(row), passes, extras);
      if (!req.layers().isEmpty() && !req.layers().equals(List.of(LayerInfo.INPUT))) {
        e = e.withNote("'" + name + "' ignores the layer (as pytorch-grad-cam): it sums the input and all "
            + bg.layers().size() + " bias layers");
      }
      out.add(e);
    }
    return out;
  }

  /**
   * Adds {@code m} min-max normalised as pytorch-grad-cam's {@code scale_cam_image} ({@code (v - min) / (1e-7 + max -
   * min)}, in float32) to {@code acc}. pytorch-grad-cam resizes every normalised channel to the input and then sums;
   * bilinear resizing is linear, so summing a layer's channels first and resizing once is the same map at a fraction
   * of the cost (a resnet has thousands of bias channels).
   */
  static void addScaled(float[] acc, float[] m) {
    float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
    for (float v : m) min = Math.min(min, v);
    for (float v : m) max = Math.max(max, v - min);
    float d = 1e-7f + max;
    for (int i = 0; i < m.length; i++) acc[i] += (m[i] - min) / d;
  }

  /** Adds {@code m} ({@code mh x mw}) resized bilinearly (half-pixel centres, as {@code cv2.resize}) to {@code h x w}. */
  static void addResized(double[] sum, float[] m, int mh, int mw, int h, int w) {
    float[] r = Heatmap.resizeBilinear(m, mh, mw, h, w);
    for (int i = 0; i < r.length; i++) sum[i] += r[i];
  }
}
