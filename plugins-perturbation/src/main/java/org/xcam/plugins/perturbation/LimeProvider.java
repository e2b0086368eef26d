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

/** {@code lime}: LIME over superpixels with Captum's defaults (see {@link SuperpixelAttribution}). */
public final class LimeProvider implements ExplainerProvider {
  static final String NAME = "lime";

  @Override public String name() { return NAME; }

  @Override public String description() {
    return "LIME: random superpixel subsets (grid or SLIC) scored by forward passes; a weighted Lasso's coefficients are the map (Captum's defaults, signed with map=signed)";
  }

  @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD); }

  @Override public List<OptionSpec> options() {
    List<OptionSpec> o = new ArrayList<>(common("1000"));
    o.add(new OptionSpec("alpha", "0.01", "L1 weight of the Lasso (Captum's SkLearnLasso default 0.01; 0 = weighted least squares)"));
    o.add(new OptionSpec("kernel-width", "1.0", "width of the exponential kernel on the cosine distance between image and perturbed image (Captum's default 1.0)"));
    return o;
  }

  /** Options shared with kernel-shap. */
  static List<OptionSpec> common(String samples) {
    return List.of(
        new OptionSpec("superpixels", "slic", "features: slic (BoofCV SLIC superpixels) or grid (segments x segments cells)"),
        new OptionSpec("segments", "0", "slic: about this many superpixels; grid: cells per side (0 = 50 for slic, 4 for grid)"),
        new OptionSpec("samples", samples, "perturbed images to evaluate (sampled methods)"),
        new OptionSpec("baseline", "zero", "what a removed superpixel becomes: zero (0 in normalised space, Captum's default), mean or blur"),
        new OptionSpec("blur-sigma", "4", "sigma in pixels of the blur baseline"),
        org.xcam.api.AttributionMap.option(), // the map option gradient attributions share (positive, absolute, signed)
        Common.BATCH_SIZE, Common.MAX_PASSES);
  }

  static int segments(Options o, String method, String kind) {
    int s = o.getInt("segments");
    if (s < 0) throw new InvalidInputException("option segments of " + method + " must be >= 0, got " + s);
    if (s == 0) return kind.equals("grid") ? 4 : 50;
    if (kind.equals("grid") && s > 64) throw new InvalidInputException("option segments of " + method + " with grid must be <= 64 cells per side, got " + s);
    return s;
  }

  static int samples(Options o, String method) {
    int s = o.getInt("samples");
    if (s < 2) throw new InvalidInputException("option samples of " + method + " must be >= 2, got " + s);
    return s;
  }

  static double blurSigma(Options o, String method) {
    double s = o.getDouble("blur-sigma");
    if (!(s > 0)) throw new InvalidInputException("option blur-sigma of " + method + " must be > 0, got " + s);
    return s;
  }

  @Override public Explainer create(Options o) {
    String sp = o.getChoice("superpixels", "slic", "grid");
    double alpha = o.getDouble("alpha"), width = o.getDouble("kernel-width");
    if (alpha < 0) throw new InvalidInputException("option alpha of lime must be >= 0, got " + alpha);
    if (!(width > 0)) throw new InvalidInputException("option kernel-width of lime must be > 0, got " + width);
    return new SuperpixelAttribution(SuperpixelAttribution.Kind.LIME, NAME, sp, segments(o, NAME, sp), samples(o, NAME), 0,
        alpha, width, o.getChoice("baseline", "zero", "mean", "blur"), blurSigma(o, NAME),
        org.xcam.api.AttributionMap.of(o).id(), Common.batchSize(o, NAME), Common.maxPasses(o, NAME));
  }

  @Override public boolean layerBased() { return false; }

  @Override public String cost() { return "1 forward + ceil(samples / batch-size) forwards per image"; }
}
