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
import org.xcam.api.Target;
import org.xcam.api.TailGradient;
import org.xcam.api.Tensor;

/**
 * Guided Grad-CAM (Selvaraju et al. 2017, Captum's {@code GuidedGradCam}): guided backpropagation at the input times
 * the layer's Grad-CAM map ({@code ReLU(sum_k w_k A_k)}) upsampled to the input by nearest neighbour (Captum's
 * {@code interpolate_mode="nearest"}: input cell {@code floor(y h / H), floor(x w / W)}), per channel; the raw map is the
 * channel sum through the option {@code map} ({@link AttributionMap}). Needs {@link Capability#MODIFIED_BACKWARD}
 * (guided ReLU) besides the layer's gradient. Cost: one head and one fused tail+VJP at the layer (Grad-CAM), one tail
 * and one guided backward at the input.
 */
final class GuidedGradCam implements Explainer {
  private final String name;
  private final AttributionMap mode;
  private final GradientCam.Common common;

  GuidedGradCam(String name, GradientCam.Common common, AttributionMap mode) {
    this.name = name;
    this.common = common;
    this.mode = mode;
  }

  @Override public String name() { return name; }

  @Override public List<Explanation> explain(Model model, ExplainRequest req) {
    if (req.layers().size() > 1) {
      throw new InvalidInputException("'" + name + "' uses one layer for its Grad-CAM (got " + req.layers() + ")");
    }
    String layer = req.layers().isEmpty() ? model.info().defaultLayer() : req.layers().get(0);
    if (layer == null) throw new InvalidInputException("'" + name + "' needs a layer for its Grad-CAM and model '" + model.info().name() + "' names none; pass --layer");
    model.info().layer(layer);
    model.require(EnumSet.of(Capability.LAYER_CUT, Capability.VJP, Capability.INPUT_GRADIENT, Capability.MODIFIED_BACKWARD), name);
    long[] forwards = {0};
    Slots slots = Slots.of(req, model.info(), x -> {
      forwards[0]++;
      return model.forward(x);
    });
    Slots.budget(req, name, forwards[0], 5);
    Tensor x = slots.inputs();
    int n = slots.size(), c = x.dim(1), h = x.dim(2), w = x.dim(3), hw = h * w;
    TailGradient guided = model.layer(LayerInfo.INPUT).tailWithRule(x, null, BackwardRule.GUIDED_RELU, slots.seed(0, 1));
    List<Target> targets = new ArrayList<>();
    for (int s = 0; s < n; s++) {
      Objective o = slots.objective(s);
      targets.add(o.classIndex() >= 0 ? Target.classIndex(o.classIndex()) : Target.none());
    }
    List<Explanation> cams = new WeightedCam(name, WeightedCam.Kind.GRADCAM, common)
        .explain(model, ExplainRequest.builder(x).targets(targets).layer(layer).seed(req.seed()).build());
    Passes passes = new Passes(forwards[0], 1, 2, 2);
    float[] g = guided.gradient().toArray();
    List<Explanation> out = new ArrayList<>();
    for (int s = 0; s < n; s++) {
      Explanation cam = cams.get(s);
      Heatmap lm = cam.raw();
      float[] up = nearest(lm.values(), lm.height(), lm.width(), h, w);
      double[] sum = new double[hw];
      for (int cc = 0; cc < c; cc++) for (int p = 0; p < hw; p++) sum[p] += (double) g[(s * c + cc) * hw + p] * up[p];
      Objective o = slots.objective(s);
      Map<String, Object> extras = new HashMap<>(cam.extras());
      extras.put("map", mode.id());
      extras.put("gradcamLayer", layer);
      String target = o.classIndex() >= 0 ? Integer.toString(o.classIndex()) : "none";
      Heatmap raw = Heatmap.of(CamMath.toFloat(mode.apply(sum)), h, w, name, layer, target, Heatmap.Resolution.INPUT);
      out.add(Explanation.of(slots.image(s), raw, h, w, o, cam.score(), passes, extras));
    }
    return out;
  }

  /** Nearest-neighbour upsampling as {@code torch.nn.functional.interpolate(mode="nearest")}: source {@code floor(i * in / out)}. */
  static float[] nearest(float[] m, int mh, int mw, int h, int w) {
    float[] out = new float[h * w];
    for (int y = 0; y < h; y++) {
      int sy = Math.min(mh - 1, (int) Math.floor(y * ((double) mh / h)));
      for (int x = 0; x < w; x++) out[y * w + x] = m[sy * mw + Math.min(mw - 1, (int) Math.floor(x * ((double) mw / w)))];
    }
    return out;
  }
}
