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
 * {@code iba}: Information Bottleneck Attribution (Schulz et al. 2020), per-sample bottleneck at a layer. Needs the
 * layer's activation statistics ({@code xcam estimate}). See {@link Bottleneck} for the math.
 */
public final class IbaProvider implements ExplainerProvider {
  @Override public String name() { return "iba"; }
  @Override public String description() { return "Information Bottleneck Attribution: bits per pixel kept by a per-sample bottleneck (needs xcam estimate)"; }
  @Override public Set<Capability> requires() { return EnumSet.of(Capability.LAYER_CUT, Capability.VJP); }
  @Override public List<OptionSpec> options() { return IbaOptions.common(10); }
  @Override public Explainer create(Options o) {
    return new IbaExplainer(name(), IbaOptions.config(o, false), IbaOptions.stats(o), false, ModelLoss.RegressionLoss.DV,
        Double.NaN, o.getInt("images-per-call"));
  }
  @Override public String cost() { return "1 head + steps x (1 tail + 1 vjp) per images-per-call images (default 10 x 10 noise samples)"; }
  @Override public Optional<Preparation> preparation() { return Optional.of(ActivationStatsPreparation.INSTANCE); }
}
