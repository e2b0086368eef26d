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
  /**
   * 16, not the perturbation methods' 32: masked images are full-size inputs, and on resnet18 (3 x 224 x 224) with two
   * engine calls in flight 16 ran at 8.55-8.9 s per image against 9.09 s at 32 (two batches of 32 no longer share the
   * cache well); with one call in flight both sizes ran alike (16.7-17.2 s).
   */
  static final OptionSpec BATCH_SIZE = new OptionSpec("batch-size", "16",
      "masked images per engine call; the batch is the memory bound: masks are made per batch");

  @Override public String name() { return ScoreCam.NAME; }

  @Override public String description() {
    return "Score-CAM: each activation channel, upsampled and min-max scaled, masks the input; softmax of the target scores weights the channels (pytorch-grad-cam semantics)";
  }

  @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD, Capability.LAYER_CUT); }

  @Override public List<OptionSpec> options() {
    return List.of(BATCH_SIZE, Common.MAX_PASSES, Common.PARALLEL,
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
