package org.xcam.plugins.iba;

import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.xcam.api.Capability;
import org.xcam.api.Explainer;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.api.spi.Preparation;

/**
 * {@code inverse-iba}: Inverse IBA (Khakzar et al. 2021). {@code Z = lambda * eps + (1 - lambda) * F}, loss
 * {@code -model_loss + beta * capacity} with beta 30: lambda marks the least information whose removal destroys the
 * prediction, so every region that carries predictive information is marked, redundant ones included.
 */
public final class InverseIbaProvider implements ExplainerProvider {
  @Override public String name() { return "inverse-iba"; }
  @Override public String description() { return "Inverse IBA: marks every region with predictive information, redundant ones included (needs xcam estimate)"; }
  @Override public Set<Capability> requires() { return EnumSet.of(Capability.LAYER_CUT, Capability.VJP); }
  @Override public List<OptionSpec> options() { return IbaOptions.common(30); }
  @Override public Explainer create(Options o) {
    return new IbaExplainer(name(), IbaOptions.config(o, true), IbaOptions.stats(o), false, ModelLoss.RegressionLoss.DV,
        Double.NaN, o.getInt("images-per-call"));
  }
  @Override public String cost() { return "1 head + steps x (1 tail + 1 vjp) per images-per-call images"; }
  @Override public Optional<Preparation> preparation() { return Optional.of(ActivationStatsPreparation.INSTANCE); }
}
