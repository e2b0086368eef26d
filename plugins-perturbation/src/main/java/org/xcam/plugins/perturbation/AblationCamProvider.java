package org.xcam.plugins.perturbation;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.xcam.api.Capability;
import org.xcam.api.Explainer;
import org.xcam.api.InvalidInputException;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.spi.ExplainerProvider;

/** {@code ablationcam}: Ablation-CAM, channels ablated through the layer's tail (see {@link AblationCam}). */
public final class AblationCamProvider implements ExplainerProvider {
  @Override public String name() { return AblationCam.NAME; }

  @Override public String description() {
    return "Ablation-CAM: each activation channel is ablated through the tail; the relative score drop weights the channel (pytorch-grad-cam semantics)";
  }

  @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD, Capability.LAYER_CUT); }

  @Override public List<OptionSpec> options() {
    return List.of(Common.BATCH_SIZE, Common.MAX_PASSES, Common.PARALLEL,
        new OptionSpec("ratio-channels", "1.0",
            "fraction (0,1] of channels to ablate, the top ones by a cheap principal-component score; the rest get weight 0"));
  }

  @Override public Explainer create(Options options) {
    double r = options.getDouble("ratio-channels");
    if (!(r > 0 && r <= 1)) {
      throw new InvalidInputException("option ratio-channels of ablationcam must be in (0, 1], got " + r);
    }
    return new AblationCam(Common.batchSize(options, name()), Common.maxPasses(options, name()), r)
        .parallel(Common.parallel(options, name()));
  }

  @Override public String cost() {
    return "1 head + 1 tail + ceil(K * ratio-channels / batch-size) tails per image and layer (all-zero channels of post-ReLU layers are not run)";
  }
}
