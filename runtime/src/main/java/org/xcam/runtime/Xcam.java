package org.xcam.runtime;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.TypeLiteral;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xcam.api.CountingModel;
import org.xcam.api.DetectRequest;
import org.xcam.api.Detections;
import org.xcam.api.Detector;
import org.xcam.api.InvalidInputException;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.LayerInfo;
import org.xcam.api.Metric;
import org.xcam.api.Model;
import org.xcam.api.ModelLoadException;
import org.xcam.api.Options;
import org.xcam.api.Passes;
import org.xcam.api.Tensor;
import org.xcam.api.Target;
import org.xcam.api.UnknownNameException;
import org.xcam.api.XcamException;
import org.xcam.api.spi.BenchmarkProvider;
import org.xcam.api.spi.DetectorProvider;
import org.xcam.api.compile.CompileRequest;
import org.xcam.api.compile.CompileResult;
import org.xcam.api.spi.CompilerProvider;
import org.xcam.api.spi.EngineProvider;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.api.spi.MetricProvider;

/**
 * The facade: discovers engines, methods, metrics, detectors and plugin benchmarks on the class path, wires them with
 * Guice, loads models and hands out explainers and detectors that check capabilities (and, for detectors, the model's
 * task) before they run; explainers also record the passes they took.
 *
 * <pre>{@code
 * Xcam xcam = Xcam.create();
 * try (Model m = xcam.load(Path.of("models/phantom-cxr"))) {
 *   Tensor image = Images.load(Path.of("cxr.png"), m.info().input()).tensor();
 *   Explanation e = xcam.explainer("gradcam").explain(m, image, Target.predicted());
 *   e.map();   // [0,1] heatmap at the input's H x W
 * }
 * }</pre>
 *
 * <p>Engine choice for {@link #load(Path)}: an explicit engine name, else the system property {@code xcam.engine},
 * else the environment variable {@code XCAM_ENGINE}, else the highest-ranked engine that can load the path.
 * Thread-safe.
 */
public final class Xcam {
  private static final Logger LOG = LoggerFactory.getLogger(Xcam.class);
  private static final String HINT = "add the plugin jar to the class path (xcam list shows what is installed)";

  private final Discovery discovery;
  private final Map<String, EngineProvider> engines;
  private final Map<String, ExplainerProvider> explainers;
  private final Map<String, MetricProvider> metrics;
  private final Map<String, DetectorProvider> detectors;
  private final Map<String, BenchmarkProvider> benchmarks;
  private final Map<String, CompilerProvider> compilers;

  private Xcam(Discovery discovery) {
    this.discovery = discovery;
    Injector injector = Guice.createInjector(new XcamModule(discovery));
    this.engines = new TreeMap<>(injector.getInstance(Key.get(new TypeLiteral<Map<String, EngineProvider>>() { })));
    this.explainers = new TreeMap<>(injector.getInstance(Key.get(new TypeLiteral<Map<String, ExplainerProvider>>() { })));
    this.metrics = new TreeMap<>(injector.getInstance(Key.get(new TypeLiteral<Map<String, MetricProvider>>() { })));
    this.detectors = new TreeMap<>(injector.getInstance(Key.get(new TypeLiteral<Map<String, DetectorProvider>>() { })));
    this.benchmarks = new TreeMap<>(injector.getInstance(Key.get(new TypeLiteral<Map<String, BenchmarkProvider>>() { })));
    this.compilers = new TreeMap<>(injector.getInstance(Key.get(new TypeLiteral<Map<String, CompilerProvider>>() { })));
  }

  /** Discovers providers with the context class loader. */
  public static Xcam create() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    return create(cl == null ? Xcam.class.getClassLoader() : cl);
  }

  /** Discovers providers visible from {@code loader} (e.g. a loader over extra plugin jars). */
  public static Xcam create(ClassLoader loader) { return new Xcam(Discovery.scan(loader)); }

  public Discovery discovery() { return discovery; }

  public Map<String, EngineProvider> engines() { return engines; }
  public Map<String, ExplainerProvider> explainers() { return explainers; }
  public Map<String, MetricProvider> metrics() { return metrics; }
  public Map<String, DetectorProvider> detectors() { return detectors; }
  public Map<String, BenchmarkProvider> benchmarks() { return benchmarks; }
  public Map<String, CompilerProvider> compilers() { return compilers; }

  // ------------------------------------------------------------------ models

  /** Loads a model with the engine chosen as the class documentation says. */
  public Model load(Path path) { return load(path, null, Map.of()); }

  /**
   * Loads a model.
   *
   * @param engine  an engine name, or null to choose automatically
   * @param options engine options (e.g. {@code device=cpu})
   */
  public Model load(Path path, String engine, Map<String, String> options) {
    if (!Files.exists(path)) {
      throw new ModelLoadException("model path " + path + " does not exist; give a bundle directory (xcam-model.json) or an .onnx/.pt file");
    }
    String chosen = engine;
    if (chosen == null || chosen.isBlank()) chosen = System.getProperty("xcam.engine");
    if (chosen == null || chosen.isBlank()) chosen = System.getenv("XCAM_ENGINE");
    EngineProvider p;
    if (chosen != null && !chosen.isBlank()) {
      p = engines.get(chosen.toLowerCase(Locale.ROOT));
      if (p == null) throw UnknownNameException.of("engine", chosen, engines.keySet(), HINT);
      if (!p.canLoad(path)) {
        throw new ModelLoadException("engine '" + p.name() + "' cannot load " + path + "; engines that can: " + capable(path));
      }
    } else {
      p = engines.values().stream().filter(e -> safeCanLoad(e, path))
          .max(Comparator.comparingInt(EngineProvider::rank))
          .orElseThrow(() -> new ModelLoadException("no installed engine can load " + path + " (installed: "
              + String.join(", ", engines.keySet()) + "); a bundle directory needs model.pt (djl) or model.onnx (onnx)"));
    }
    LOG.debug("loading {} with engine {}", path, p.name());
    return p.load(path, options);
  }

  private List<String> capable(Path path) {
    return engines.values().stream().filter(e -> safeCanLoad(e, path)).map(EngineProvider::name).toList();
  }

  private static boolean safeCanLoad(EngineProvider e, Path path) {
    try {
      return e.canLoad(path);
    } catch (RuntimeException ex) {
      return false;
    }
  }

  // ------------------------------------------------------------------ methods

  public ExplainerProvider explainerProvider(String name) {
    ExplainerProvider p = explainers.get(name);
    if (p == null) throw UnknownNameException.of("method", name, explainers.keySet(), HINT);
    return p;
  }

  /** The method with its default options, wrapped so that it checks capabilities and records passes. */
  public Explainer explainer(String name) { return explainer(name, Map.of()); }

  /** The method with options (unknown option names fail, listing the known ones). */
  public Explainer explainer(String name, Map<String, String> options) {
    ExplainerProvider p = explainerProvider(name);
    Options o = Options.of("method " + name, p.options(), options);
    return new CheckedExplainer(p, p.create(o));
  }

  /** Shortcut: {@code explainer(method, options).explain(model, request)}. */
  public List<Explanation> explain(Model model, String method, Map<String, String> options, ExplainRequest request) {
    return explainer(method, options).explain(model, request);
  }

  // ------------------------------------------------------------------ compilers

  /**
   * The compiler for {@code model}: the one named {@code name}, else the first (by name) that can read the model.
   * Fails with one line listing the installed compilers when none fits.
   */
  public CompilerProvider compiler(String name, Path model) {
    if (name != null && !name.isBlank()) {
      CompilerProvider p = compilers.get(name.toLowerCase(Locale.ROOT));
      if (p == null) throw UnknownNameException.of("compiler", name, compilers.keySet(), HINT);
      return p;
    }
    for (CompilerProvider p : compilers.values()) {
      try {
        if (p.canCompile(model)) return p;
      } catch (RuntimeException e) {
        // a broken canCompile is not a match
      }
    }
    throw new ModelLoadException("no installed compiler can read " + model + " (installed: " + String.join(", ", compilers.keySet())
        + "); the onnx compiler (xcam-engine-onnx) reads .onnx files and bundles with model.onnx");
  }

  /** Compiles {@code request.methods()} into {@code request.model()} with the compiler that can read it. */
  public CompileResult compile(CompileRequest request) {
    if (!Files.exists(request.model())) {
      throw new ModelLoadException("model path " + request.model() + " does not exist; give a bundle directory with model.onnx or an .onnx file");
    }
    return compiler(null, request.model()).compile(request);
  }

  // ------------------------------------------------------------------ metrics

  public MetricProvider metricProvider(String name) {
    MetricProvider p = metrics.get(name);
    if (p == null) throw UnknownNameException.of("metric", name, metrics.keySet(), HINT);
    return p;
  }

  public Metric metric(String name) { return metric(name, Map.of()); }

  public Metric metric(String name, Map<String, String> options) {
    MetricProvider p = metricProvider(name);
    return p.create(Options.of("metric " + name, p.options(), options));
  }

  // ------------------------------------------------------------------ detectors

  public DetectorProvider detectorProvider(String name) {
    DetectorProvider p = detectors.get(name);
    if (p == null) throw UnknownNameException.of("detector", name, detectors.keySet(), HINT);
    return p;
  }

  /** The detector with its default options, wrapped so that it checks the model and the request first. */
  public Detector detector(String name) { return detector(name, Map.of()); }

  /** The detector with options (unknown option names fail, listing the known ones). */
  public Detector detector(String name, Map<String, String> options) {
    DetectorProvider p = detectorProvider(name);
    Options o = Options.of("detector " + name, p.options(), options);
    return new CheckedDetector(p, p.create(o));
  }

  /** Shortcut: {@code detector(name, options).detect(model, request)}. */
  public List<Detections> detect(Model model, String detector, Map<String, String> options, DetectRequest request) {
    return detector(detector, options).detect(model, request);
  }

  // ------------------------------------------------------------------ plugin benchmarks

  public BenchmarkProvider benchmarkProvider(String name) {
    BenchmarkProvider p = benchmarks.get(name);
    if (p == null) throw UnknownNameException.of("benchmark", name, benchmarks.keySet(), HINT);
    return p;
  }

  /**
   * Wraps a provider's detector: checks the model's capabilities and task, the input's shape, the request's layers
   * and whether it carries the explainer the detector needs, all before anything runs.
   */
  static final class CheckedDetector implements Detector {
    private final DetectorProvider provider;
    private final Detector inner;

    CheckedDetector(DetectorProvider provider, Detector inner) {
      this.provider = provider;
      this.inner = inner;
    }

    @Override public String name() { return provider.name(); }

    @Override public List<Detections> detect(Model model, DetectRequest request) {
      check(provider, model, request);
      List<Detections> out = inner.detect(model, request);
      if (out.size() != request.size()) {
        throw new XcamException("detector '" + provider.name() + "' returned " + out.size() + " results for " + request.size()
            + " images; it breaks the Detector contract (run xcam tck --plugin on its jar)");
      }
      return out;
    }

    /** The up-front checks, also for callers that hold a raw detector. */
    static void check(DetectorProvider provider, Model model, DetectRequest request) {
      String name = provider.name();
      if (!provider.tasks().contains(model.info().task())) {
        throw new InvalidInputException("detector '" + name + "' reads models with task "
            + String.join(" or ", provider.tasks().stream().map(org.xcam.api.Task::id).sorted().toList()) + ", but model '"
            + model.info().name() + "' has task " + model.info().task().id() + "; choose a detector for it (xcam list)");
      }
      model.require(provider.requires(), name);
      if (provider.usesExplainer() && request.explainer().isEmpty()) {
        throw new InvalidInputException("detector '" + name + "' cuts boxes from heatmaps and needs a method; "
            + "name one (e.g. xcam detect --detector " + name + " --method gradcam)");
      }
      if (!provider.usesExplainer() && request.explainer().isPresent()) {
        throw new InvalidInputException("detector '" + name + "' uses no method; drop --method");
      }
      for (String l : request.layers()) model.info().layer(l);
      int[] want = {model.info().input().channels(), model.info().input().height(), model.info().input().width()};
      int[] got = request.input().shape();
      if (got[1] != want[0] || got[2] != want[1] || got[3] != want[2]) {
        throw new InvalidInputException("input of shape " + java.util.Arrays.toString(got) + " does not fit model '"
            + model.info().name() + "', which takes [N, " + want[0] + ", " + want[1] + ", " + want[2] + "]; resize the image"
            + " (the CLI does this per the manifest) or fix the .npy");
      }
    }
  }

  /**
   * Wraps a provider's explainer: checks the model's capabilities and the request's layers before anything runs,
   * and records the passes each call took (through {@link CountingModel}).
   */
  static final class CheckedExplainer implements Explainer {
    private final ExplainerProvider provider;
    private final Explainer inner;

    CheckedExplainer(ExplainerProvider provider, Explainer inner) {
      this.provider = provider;
      this.inner = inner;
    }

    @Override public String name() { return provider.name(); }

    /** Capabilities, layers and input shape, then the method's own preconditions and estimate; no network pass. */
    @Override public org.xcam.api.Plan plan(Model model, ExplainRequest request) {
      checkRequest(model, request);
      return inner.plan(model, request);
    }

    private void checkRequest(Model model, ExplainRequest request) {
      model.require(provider.requires(), provider.name());
      for (String l : request.layers()) model.info().layer(l); // unknown layers fail here, listing the model's layers
      int[] want = {model.info().input().channels(), model.info().input().height(), model.info().input().width()};
      int[] got = request.input().shape();
      if (got[1] != want[0] || got[2] != want[1] || got[3] != want[2]) {
        throw new org.xcam.api.InvalidInputException("input of shape " + java.util.Arrays.toString(got) + " does not fit model '"
            + model.info().name() + "', which takes [N, " + want[0] + ", " + want[1] + ", " + want[2] + "]; resize the image"
            + " (the CLI does this per the manifest) or fix the .npy");
      }
    }

    @Override public List<Explanation> explain(Model model, ExplainRequest request) {
      checkRequest(model, request);
      CountingModel counted = new CountingModel(model);
      List<Explanation> out = inner.explain(counted, request);
      Passes p = counted.passes();
      List<Explanation> withPasses = new ArrayList<>(out.size());
      for (Explanation e : out) withPasses.add(e.withPasses(p));
      return withPasses;
    }
  }

  /** The layer a request uses when it names none: the model's default layer, or {@code input} for input-level methods. */
  public static String defaultLayer(Model model, ExplainerProvider p) {
    if (!p.layerBased()) return LayerInfo.INPUT;
    String d = model.info().defaultLayer();
    return d == null ? LayerInfo.INPUT : d;
  }

  /** Convenience: one image, one target, the model's default layer. */
  public Explanation explain(Model model, String method, Tensor image, Target target) {
    return explainer(method).explain(model, image, target);
  }
}
