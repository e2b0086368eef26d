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

/** {@code rise}: randomized input sampling, seeded and batch-size independent (see {@link Rise}). */
public final class RiseProvider implements ExplainerProvider {
  @Override public String name() { return Rise.NAME; }

  @Override public String description() {
    return "RISE: the score-weighted average of N random smooth binary masks (model-agnostic, forward passes only)";
  }

  @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD); }

  @Override public List<OptionSpec> options() {
    return List.of(
        new OptionSpec("masks", "4000", "number of random masks N (4000 is the paper's choice for single images)"),
        new OptionSpec("grid", "8", "mask grid cells per side s"),
        new OptionSpec("p", "0.5", "probability that a grid cell is kept"),
        Common.BATCH_SIZE, Common.MAX_PASSES);
  }

  @Override public Explainer create(Options o) {
    int masks = o.getInt("masks"), grid = o.getInt("grid");
    double p = o.getDouble("p");
    if (masks < 1) throw new InvalidInputException("option masks of rise must be >= 1, got " + masks);
    if (grid < 1) throw new InvalidInputException("option grid of rise must be >= 1, got " + grid);
    if (!(p > 0 && p <= 1)) throw new InvalidInputException("option p of rise must be in (0, 1], got " + p);
    return new Rise(masks, grid, p, Common.batchSize(o, name()), Common.maxPasses(o, name()));
  }

  @Override public boolean layerBased() { return false; }

  @Override public String cost() { return "1 forward + ceil(masks / batch-size) forwards per image"; }
}
