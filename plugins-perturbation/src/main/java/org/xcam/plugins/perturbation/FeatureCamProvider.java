package org.xcam.plugins.perturbation;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.xcam.api.Capability;
import org.xcam.api.Explainer;
import org.xcam.api.InvalidInputException;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.UnknownNameException;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.api.spi.Providers;

/**
 * {@code feature-cam}: a base CAM fused with an edge descriptor of the input (see {@link FeatureCam}). The base CAM
 * ({@code gradcam}, {@code gradcam-plusplus} or {@code smooth-gradcam-plusplus}, from the xcam-plugins-gradient jar;
 * any installed layer method works) is looked up by name when the explainer is created.
 */
public final class FeatureCamProvider implements ExplainerProvider {
  /** The base CAMs the paper uses, and the jar that provides them. */
  static final List<String> PAPER_BASES = List.of("gradcam", "gradcam-plusplus", "smooth-gradcam-plusplus");
  static final String GRADIENT_JAR = "xcam-plugins-gradient";

  @Override public String name() { return FeatureCam.NAME; }

  @Override public String description() {
    return "Feature CAM: a base CAM (gradcam, gradcam-plusplus, smooth-gradcam-plusplus) fused with an edge descriptor of the image (Sobel, Canny or an edge network)";
  }

  /** What the default bases need; a chosen base's own needs are checked again before it runs. */
  @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD, Capability.LAYER_CUT, Capability.VJP); }

  @Override public List<OptionSpec> options() {
    return List.of(
        new OptionSpec("base", "gradcam", "the base CAM: gradcam, gradcam-plusplus or smooth-gradcam-plusplus (any installed method)"),
        new OptionSpec("base-options", "", "options for the base CAM, as key=value pairs separated by commas"),
        new OptionSpec("mode", "add", "add (k F + M, Experiment 1) or complement ((1 - F) M, Experiment 3)"),
        new OptionSpec("k", "0.25", "weight of the descriptor in mode add"),
        new OptionSpec("version", "feature", "descriptor version: feature, enhanced-2-1 or enhanced-1-1 (feature-enhanced image)"),
        new OptionSpec("descriptor", "sobel", "edge descriptor: sobel, canny, model:<path to an edge network>, or an installed FeatureDescriptor"));
  }

  @Override public Explainer create(Options o) {
    String baseName = o.getString("base").trim();
    if (baseName.equals(FeatureCam.NAME)) throw new InvalidInputException("feature-cam cannot use itself as its base CAM; use base=gradcam");
    ExplainerProvider base = find(baseName).orElseThrow(() -> missingBase(baseName));
    Map<String, String> baseOptions = parsePairs(o.getString("base-options"));
    Explainer baseExplainer = base.create(Options.of(baseName, base.options(), baseOptions));
    String mode = o.getChoice("mode", "add", "complement");
    String version = o.getChoice("version", "feature", "enhanced-2-1", "enhanced-1-1");
    double k = o.getDouble("k");
    return new FeatureCam(base, baseExplainer, descriptor(o.getString("descriptor").trim()), version, mode, k);
  }

  private static Optional<ExplainerProvider> find(String name) {
    Optional<ExplainerProvider> p = Providers.explainer(name);
    if (p.isEmpty()) p = Providers.explainer(name, FeatureCamProvider.class.getClassLoader());
    return p;
  }

  private static RuntimeException missingBase(String name) {
    List<String> available = new ArrayList<>();
    for (ExplainerProvider p : Providers.all(ExplainerProvider.class, FeatureCamProvider.class.getClassLoader())) {
      if (p.layerBased() && !p.name().equals(FeatureCam.NAME)) available.add(p.name());
    }
    String hint = PAPER_BASES.contains(name)
        ? "'" + name + "' comes from the " + GRADIENT_JAR + " jar (org.xcam:" + GRADIENT_JAR + "); add it to the class path"
        : "feature-cam's bases are " + String.join(", ", PAPER_BASES) + " from the " + GRADIENT_JAR + " jar";
    return UnknownNameException.of("base CAM for feature-cam", name, available, hint);
  }

  static Map<String, String> parsePairs(String s) {
    Map<String, String> m = new LinkedHashMap<>();
    if (s == null || s.isBlank()) return m;
    for (String part : s.split(",")) {
      int eq = part.indexOf('=');
      if (eq <= 0) throw new InvalidInputException("feature-cam base-options '" + s + "' must be key=value pairs separated by commas");
      m.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
    }
    return m;
  }

  /** The descriptor named by the option: built in, {@code model:<path>}, or a {@link FeatureDescriptor} service. */
  static FeatureDescriptor descriptor(String spec) {
    if (spec.equals("sobel")) return new SobelDescriptor();
    if (spec.equals("canny")) return new CannyDescriptor();
    if (spec.startsWith("model:")) {
      String p = spec.substring("model:".length()).trim();
      if (p.isEmpty()) throw new InvalidInputException("descriptor=model: needs a path, e.g. descriptor=model:hed.onnx");
      return new ModelDescriptor(Path.of(p));
    }
    List<FeatureDescriptor> found = Providers.all(FeatureDescriptor.class, FeatureCamProvider.class.getClassLoader());
    for (FeatureDescriptor d : found) if (d.name().equals(spec)) return d;
    java.util.Set<String> names = new java.util.TreeSet<>(List.of("sobel", "canny", "model:<path>"));
    found.forEach(d -> names.add(d.name()));
    throw UnknownNameException.of("feature descriptor", spec, names,
        "add a FeatureDescriptor jar (META-INF/services/org.xcam.plugins.perturbation.FeatureDescriptor)");
  }

  @Override public boolean layerBased() { return true; }

  @Override public String cost() { return "the base CAM's cost (e.g. 1 head, 1 tail, 1 vjp for gradcam) + one descriptor per image"; }
}
