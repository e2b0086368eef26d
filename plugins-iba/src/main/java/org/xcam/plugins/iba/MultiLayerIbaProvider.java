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

/** {@code multilayer-iba}: IBA at several layers, thresholded and combined at input resolution. */
public final class MultiLayerIbaProvider implements ExplainerProvider {
  @Override public String name() { return "multilayer-iba"; }
  @Override public String description() { return "Multi-layer IBA: IBA at every layer, thresholded maps intersected or multiplied (needs xcam estimate per layer)"; }
  @Override public Set<Capability> requires() { return EnumSet.of(Capability.LAYER_CUT, Capability.VJP); }
  @Override public List<OptionSpec> options() {
    List<OptionSpec> l = new java.util.ArrayList<>(IbaOptions.common(10));
    l.add(new OptionSpec("threshold", "p50", "pNN (percentile of each map) or a number of bits per pixel"));
    l.add(new OptionSpec("combine", "product", "product (first map x binarised others) or intersection"));
    return l;
  }
  @Override public Explainer create(Options o) {
    IbaExplainer iba = new IbaExplainer("multilayer-iba", IbaOptions.config(o, false), IbaOptions.stats(o), false,
        ModelLoss.RegressionLoss.DV, Double.NaN, o.getInt("images-per-call"));
    return new MultiLayerIbaExplainer(iba, o.getString("threshold"), o.getString("combine"));
  }
  @Override public String cost() { return "per layer: 1 head + steps x (1 tail + 1 vjp) per images-per-call images"; }
  @Override public Optional<Preparation> preparation() { return Optional.of(ActivationStatsPreparation.INSTANCE); }
}
