package org.xcam.plugins.perturbation;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.xcam.api.Capability;
import org.xcam.api.Explainer;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.spi.ExplainerProvider;

/** {@code scorecam}: Score-CAM, channel masks scored by forward passes (see {@link ScoreCam}). */
public final class ScoreCamProvider implements ExplainerProvider {
  @Override public String name() { return ScoreCam.NAME; }

  @Override public String description() {
    return "Score-CAM: each activation channel, upsampled and min-max scaled, masks the input; softmax of the target scores weights the channels (pytorch-grad-cam semantics)";
  }

  @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD, Capability.LAYER_CUT); }

  @Override public List<OptionSpec> options() {
    return List.of(Common.BATCH_SIZE, Common.MAX_PASSES, Common.PARALLEL,
        new OptionSpec("upsample", "align-corners",
            "how channels are upsampled to the input: align-corners (pytorch-grad-cam's UpsamplingBilinear2d) or half-pixel"));
  }

  @Override public Explainer create(Options options) {
    String up = options.getChoice("upsample", "align-corners", "half-pixel");
    return new ScoreCam(Common.batchSize(options, name()), Common.maxPasses(options, name()),
        up.equals("align-corners") ? Resampler.Mode.ALIGN_CORNERS : Resampler.Mode.HALF_PIXEL).parallel(Common.parallel(options, name()));
  }

  @Override public String cost() {
    return "1 forward + 1 head + ceil(K' / batch-size) forwards per image and layer (K' = channels with a non-constant map, + 1 shared by the constant ones)";
  }
}
