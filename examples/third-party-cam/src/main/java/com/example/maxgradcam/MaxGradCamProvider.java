package com.example.maxgradcam;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.xcam.api.Capability;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerLayout;
import org.xcam.api.Model;
import org.xcam.api.Objective;
import org.xcam.api.Objectives;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.Passes;
import org.xcam.api.Tensor;
import org.xcam.api.spi.ExplainerProvider;

/**
 * Max-gradient CAM: like Grad-CAM, but each channel's weight is the largest gradient in the channel instead of the
 * mean: {@code w_k = max_ij dY/dA_kij; map = ReLU(sum_k w_k A_k)}. One head pass, one fused tail+VJP per batch.
 */
public final class MaxGradCamProvider implements ExplainerProvider {
  @Override public String name() { return "max-gradcam"; }
  @Override public String description() { return "Grad-CAM with max-pooled gradients as channel weights (example plugin)"; }
  @Override public Set<Capability> requires() { return EnumSet.of(Capability.LAYER_CUT, Capability.VJP); }
  @Override public List<OptionSpec> options() { return List.of(); }
  @Override public String cost() { return "1 head, 1 tail, 1 vjp per batch"; }
  @Override public Explainer create(Options options) { return new MaxGradCam(); }

  static final class MaxGradCam implements Explainer {
    @Override public String name() { return "max-gradcam"; }

    @Override public List<Explanation> explain(Model model, ExplainRequest request) {
      String layer = request.layers().isEmpty() ? model.info().defaultLayer() : request.layers().get(0);
      LayerHook hook = model.layer(layer);
      Tensor x = request.input();
      // hooks are raw (tokens [N, T, D] on a ViT, [N, h, w, C] on Swin); the map is computed on the spatial view
      // [N, D, h, w], pytorch-grad-cam's reshape_transform, which is the identity for ordinary conv layers
      LayerLayout layout = model.info().layer(layer).layout();
      layout.requireSpatial(name(), layer);
      Tensor a = hook.activation(x);
      Tensor view = layout.toView(a);
      int n = view.dim(0), c = view.dim(1), hw = view.dim(2) * view.dim(3);
      List<Objective> objectives = new ArrayList<>();
      var tg = hook.tailWithGradient(a, y -> {
        float[] row = new float[y.dim(1)];
        for (int i = 0; i < n; i++) {
          y.copyTo(i * row.length, row, 0, row.length);
          objectives.add(request.target(i).resolve(model.info(), row).get(0));
        }
        return Objectives.gradients(objectives, y);
      });
      double[] scores = Objectives.values(objectives, tg.output());
      float[] av = view.toArray(), gv = layout.toView(tg.gradient()).toArray();
      List<Explanation> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        float[] map = new float[hw];
        for (int k = 0; k < c; k++) {
          int base = (i * c + k) * hw;
          float w = Float.NEGATIVE_INFINITY;
          for (int p = 0; p < hw; p++) w = Math.max(w, gv[base + p]);
          for (int p = 0; p < hw; p++) map[p] += w * av[base + p];
        }
        for (int p = 0; p < hw; p++) map[p] = Math.max(0, map[p]);
        Heatmap raw = Heatmap.of(map, view.dim(2), view.dim(3), name(), layer, objectives.get(i).describe(), Heatmap.Resolution.LAYER);
        out.add(Explanation.of(i, raw, x.dim(2), x.dim(3), objectives.get(i), scores[i], Passes.NONE, null));
      }
      return out;
    }
  }
}
