package org.xcam.cli;

import java.util.Arrays;
import java.util.concurrent.Callable;
import org.xcam.api.LayerInfo;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.runtime.Xcam;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code xcam layers --model PATH}: the model's cut layers with activation shapes; the default is marked. */
@Command(name = "layers", mixinStandardHelpOptions = true, description = "List a model's layers with activation shapes.")
public final class LayersCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Override public Integer call() {
    Xcam xcam = Xcam.create();
    try (Model m = model.load(xcam)) {
      var info = m.info();
      System.out.printf("%s (%s, outputs: %s, %s, engine %s, input %s)%n", info.name(), info.task().id(), info.outputs().id(),
          info.labels(), info.engine(), info.input());
      System.out.printf("  %-48s %s%n", LayerInfo.INPUT, Arrays.toString(info.layer(LayerInfo.INPUT).shape()));
      for (LayerInfo l : info.layers()) {
        // token / channels-last layers: the view methods see, then the raw layout (prefix tokens, grid)
        System.out.printf("  %-48s %s%s%s%n", l.name(), Arrays.toString(l.shape()),
            l.layout().identity() ? "" : "  " + l.layout().describe(), l.name().equals(info.defaultLayer()) ? "  (default)" : "");
      }
      Object reason = info.extra().get(ModelInfo.DEFAULT_LAYER_REASON);
      if (reason != null) System.out.printf("  default layer %s: %s%n", info.defaultLayer(), reason);
      if (info.layers().isEmpty()) {
        Object why = info.extra().get(ModelInfo.NO_LAYERS_REASON);
        System.out.printf("  no layer to cut at%s; methods that need only forward passes still run (rise, occlusion)%s%n",
            why == null ? "" : ": " + why, m.capabilities().contains(org.xcam.api.Capability.INPUT_GRADIENT)
                ? ", and input-gradient methods (saliency, gradient-x-input, integrated-gradients, smoothgrad)" : "");
      }
      for (org.xcam.api.Attention.Layer a : m.attentionLayers()) {
        System.out.printf("  %-48s %s  attention (heads, tokens, tokens): attention-rollout, gradient-rollout%n", a.name(), Arrays.toString(a.shape()));
      }
      System.out.printf("  capabilities: %s%n", m.capabilities());
    }
    return 0;
  }
}
