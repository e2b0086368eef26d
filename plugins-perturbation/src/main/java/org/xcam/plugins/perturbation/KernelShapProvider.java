package org.xcam.plugins.perturbation;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.xcam.api.Capability;
import org.xcam.api.Explainer;
import org.xcam.api.InvalidInputException;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.spi.ExplainerProvider;

/** {@code kernel-shap}: Shapley values of superpixels, exact up to 12 features (see {@link SuperpixelAttribution}). */
public final class KernelShapProvider implements ExplainerProvider {
  static final String NAME = "kernel-shap";

  @Override public String name() { return NAME; }

  @Override public String description() {
    return "KernelSHAP: Shapley values of superpixels (grid or SLIC) from forward passes, exact by enumeration up to 12 features (signed with map=signed)";
  }

  @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD); }

  @Override public List<OptionSpec> options() {
    List<OptionSpec> o = new ArrayList<>(LimeProvider.common("1000"));
    o.add(new OptionSpec("exact-max-features", "12", "up to this many features, exact Shapley values from all 2^M coalitions (at most 20); above, sampled KernelSHAP"));
    return o;
  }

  @Override public Explainer create(Options o) {
    String sp = o.getChoice("superpixels", "slic", "grid");
    int exact = o.getInt("exact-max-features");
    if (exact < 0 || exact > 20) {
      throw new InvalidInputException("option exact-max-features of kernel-shap must be in [0, 20] (2^M forwards), got " + exact);
    }
    return new SuperpixelAttribution(SuperpixelAttribution.Kind.KERNEL_SHAP, NAME, sp, LimeProvider.segments(o, NAME, sp),
        LimeProvider.samples(o, NAME), exact, 0, 1, o.getChoice("baseline", "zero", "mean", "blur"),
        LimeProvider.blurSigma(o, NAME), org.xcam.api.AttributionMap.of(o).id(), Common.batchSize(o, NAME),
        Common.maxPasses(o, NAME));
  }

  @Override public boolean layerBased() { return false; }

  @Override public String cost() {
    return "1 forward + ceil(2^M / batch-size) forwards per image with M <= exact-max-features superpixels, else ceil((samples + 2) / batch-size)";
  }
}
