package org.xcam.plugins.iba;

import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.xcam.api.Capability;
import org.xcam.api.Explainer;
import org.xcam.api.InvalidInputException;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.api.spi.Preparation;

/**
 * {@code regression-iba}: IBA for regression outputs (e.g. a severity score), model loss {@code mse}
 * {@code (Phi(Z) - y)^2} with {@code target-value=y}, {@code dv} {@code (Phi(Z) - Phi(X))^2} (default), or {@code rm}
 * (see {@link ModelLoss.RegressionLoss#RM} for its sign). {@code inverse=true} gives the inverse form.
 */
public final class RegressionIbaProvider implements ExplainerProvider {
  @Override public String name() { return "regression-iba"; }
  @Override public String description() { return "Regression IBA: IBA with an MSE / RM / DV loss on a regression output (needs xcam estimate)"; }
  @Override public Set<Capability> requires() { return EnumSet.of(Capability.LAYER_CUT, Capability.VJP); }
  @Override public List<OptionSpec> options() {
    List<OptionSpec> l = new java.util.ArrayList<>(IbaOptions.common(10));
    l.add(new OptionSpec("loss", "dv", "mse (needs target-value), rm or dv"));
    l.add(new OptionSpec("target-value", "", "y of the mse loss"));
    l.add(new OptionSpec("inverse", "false", "use the inverse bottleneck (Inverse IBA form)"));
    return l;
  }
  @Override public Explainer create(Options o) {
    ModelLoss.RegressionLoss loss = ModelLoss.RegressionLoss.fromId(o.getString("loss"));
    double y = Double.NaN;
    if (o.has("target-value")) y = o.getDouble("target-value");
    if (loss == ModelLoss.RegressionLoss.MSE && Double.isNaN(y)) {
      throw new InvalidInputException("regression-iba loss=mse needs target-value=Y; or use loss=dv");
    }
    return new IbaExplainer(name(), IbaOptions.config(o, o.getBoolean("inverse")), IbaOptions.stats(o), true, loss, y,
        o.getInt("images-per-call"));
  }
  @Override public String cost() { return "1 head + steps x (1 tail + 1 vjp) per images-per-call images"; }
  @Override public Optional<Preparation> preparation() { return Optional.of(ActivationStatsPreparation.INSTANCE); }
}
