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

/** {@code occlusion}: sliding-window occlusion, mean score drop per pixel (see {@link Occlusion}). */
public final class OcclusionProvider implements ExplainerProvider {
  @Override public String name() { return Occlusion.NAME; }

  @Override public String description() {
    return "Occlusion: a window slides over the image, replaced by a baseline; the map is the mean score drop over the windows covering each pixel";
  }

  @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD); }

  @Override public List<OptionSpec> options() {
    return List.of(
        new OptionSpec("window", "0", "window side in pixels (0 = 1/8 of each image side)"),
        new OptionSpec("stride", "0", "step between windows in pixels (0 = half the window)"),
        new OptionSpec("baseline", "zero", "what replaces the window: zero (normalised-space 0), mean (image mean) or blur"),
        new OptionSpec("blur-sigma", "0", "Gaussian sigma in pixels for baseline=blur (0 = half the window)"),
        Common.BATCH_SIZE, Common.MAX_PASSES);
  }

  @Override public Explainer create(Options o) {
    int window = o.getInt("window"), stride = o.getInt("stride");
    double sigma = o.getDouble("blur-sigma");
    if (window < 0) throw new InvalidInputException("option window of occlusion must be >= 0 (0 = 1/8 of the side), got " + window);
    if (stride < 0) throw new InvalidInputException("option stride of occlusion must be >= 0 (0 = half the window), got " + stride);
    if (sigma < 0) throw new InvalidInputException("option blur-sigma of occlusion must be >= 0, got " + sigma);
    String baseline = o.getChoice("baseline", "zero", "mean", "blur");
    return new Occlusion(window, stride, baseline, sigma, Common.batchSize(o, name()), Common.maxPasses(o, name()));
  }

  @Override public boolean layerBased() { return false; }

  @Override public String cost() { return "1 forward + ceil(windows / batch-size) forwards per image"; }
}
