package org.xcam.plugins.perturbation;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.xcam.api.Capability;
import org.xcam.api.Explainer;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.spi.ExplainerProvider;

/** {@code recipro-cam}: each layer position alone through the tail, in batches; no gradient (see {@link ReciproCam}). */
public final class ReciproCamProvider implements ExplainerProvider {
  @Override public String name() { return ReciproCam.NAME; }

  @Override public String description() {
    return "Recipro-CAM: the activation masked to each layer position in turn goes through the tail; the target's score there is the map (OpenVINO XAI's default, gradient-free)";
  }

  @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD, Capability.LAYER_CUT); }

  @Override public List<OptionSpec> options() {
    return List.of(
        new OptionSpec("batch-size", "64",
            "masked activations per tail call (64 covers a 7x7 or 8x8 layer and the unmasked row in 1-2 calls)"),
        Common.MAX_PASSES,
        new OptionSpec("kernel", "onehot",
            "spatial mask per position: onehot (OpenVINO XAI's ReciproCAM) or gaussian (3x3 [1 2 1; 2 4 2; 1 2 1]/16, its ViT variant)"),
        new OptionSpec("score", "objective",
            "objective: the target's logit/objective, as OpenVINO XAI; softmax: the target's softmax probability, as the authors' code"));
  }

  @Override public Explainer create(Options options) {
    String kernel = options.getChoice("kernel", "onehot", "gaussian");
    String score = options.getChoice("score", "objective", "softmax");
    return new ReciproCam(Common.batchSize(options, name()), Common.maxPasses(options, name()),
        kernel.equals("gaussian"), score.equals("softmax"));
  }

  @Override public String cost() { return "1 head + ceil((h*w + 1) / batch-size) tails per image and layer (h x w = the layer's size)"; }
}
