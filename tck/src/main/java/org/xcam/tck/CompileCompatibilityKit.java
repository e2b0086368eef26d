package org.xcam.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.Model;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.api.XcamException;
import org.xcam.api.compile.CompileRequest;
import org.xcam.api.compile.CompileResult;
import org.xcam.api.compile.CompiledModel;
import org.xcam.api.spi.CompilerProvider;
import org.xcam.runtime.Fixtures;
import org.xcam.runtime.Xcam;
import org.xcam.runtime.phantom.PhantomGenerator;
import org.xcam.tck.fixtures.Reference;

/**
 * The compile kit: a {@link CompilerProvider} builds methods into a model, and running the compiled file gives the same
 * maps as the Java methods (the explainers found on the class path) on the kit's fixtures, while the model's own
 * outputs stay bit-identical. A compiler author writes
 *
 * <pre>{@code
 * class MyCompilerCompatibilityTest extends CompileCompatibilityKit {
 *   @Override protected CompilerProvider compiler() { return new MyCompilerProvider(); }
 * }
 * }</pre>
 *
 * <p>with the methods' plugin jars and an engine that loads the fixtures as test dependencies. Fixtures: the
 * {@code phantom-cxr} bundle, the pytorch-grad-cam reference bundle ({@code phantom-small}), and two torchvision-style
 * ONNX models ({@code resnet-tiny}, {@code densenet-tiny}, see {@code org/xcam/tck/compile/README.md}). The Java
 * methods run on the engine named like the compiler when there is one (so the comparison is about the compilation,
 * not about two engines), else on the default engine.
 *
 * <p>Requirements, each with its tolerance: cosine between a compiled map and the Java map (normalised, at the input's
 * H x W) at least {@value #MIN_COSINE}, at batch 1 and batch 4, for every compilable method whose explainer is
 * installed; original outputs bit-identical to the plain model's in the same runtime; {@code K} and {@code all} targets
 * equal the Java class-index maps; {@code --size layer} equals the normalised raw map; refused methods fail in one line
 * and write nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class CompileCompatibilityKit {
  /** The agreement every map must reach (the bar). */
  public static final double MIN_COSINE = 0.9999;

  /** The compiler under test. */
  protected abstract CompilerProvider compiler();

  /** One model the kit compiles: a name, a path the compiler reads, and options for loading it. */
  public record Fixture(String name, Path path, Map<String, String> engineOptions) {
    @Override public String toString() { return name; }
  }

  private Path work;
  private final Map<String, Model> models = new LinkedHashMap<>();
  private final Map<String, Path> compiled = new LinkedHashMap<>();
  /** Worst agreement per check, printed when the kit ends (what the closing notes quote). */
  private final Map<String, double[]> worst = new java.util.TreeMap<>();

  @BeforeAll void setUp() throws IOException { work = Files.createTempDirectory("xcam-compile-kit"); }

  @AfterAll void tearDown() throws IOException {
    if (!worst.isEmpty()) {
      System.out.println("compile kit (" + compiler().name() + "): worst cosine and max |diff| per fixture and method");
      worst.forEach((k, v) -> System.out.printf(Locale.ROOT, "  %-44s cosine %.7f  max diff %.2e%n", k, v[0], v[1]));
    }
    for (Model m : models.values()) m.close();
    models.clear();
    if (work != null) {
      try (Stream<Path> s = Files.walk(work)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** The fixtures; override to add your own. */
  protected List<Fixture> fixtures() {
    List<Fixture> l = new ArrayList<>();
    if (Fixtures.available()) l.add(new Fixture("phantom-cxr", Fixtures.phantomBundle(), Map.of()));
    l.add(new Fixture("phantom-small", Reference.bundle(), Map.of()));
    for (String n : List.of("resnet-tiny", "densenet-tiny")) l.add(new Fixture(n, extract(n + ".onnx"), Map.of()));
    // more models for a local run, e.g. -Dxcam.compile.kit.models=tools/.work/resnet50.onnx (comma-separated)
    for (String p : System.getProperty("xcam.compile.kit.models", "").split(",")) {
      if (p.isBlank()) continue;
      Path path = Path.of(p.trim()).toAbsolutePath();
      String name = path.getFileName().toString().replaceFirst("\\.onnx$", "");
      l.add(new Fixture(name, path, Map.of()));
    }
    return l;
  }

  /** The methods checked: the compiler's, where the Java method is installed. */
  protected List<String> methods() {
    List<String> l = new ArrayList<>();
    for (String m : new java.util.TreeSet<>(compiler().methods())) if (xcam().explainers().containsKey(m)) l.add(m);
    return l;
  }

  /** Inputs for a fixture: reference inputs, phantoms for 1-channel models, seeded normal noise otherwise. */
  protected Tensor inputs(Fixture f, Model m, int n) {
    if (f.name().equals("phantom-small")) {
      List<Tensor> l = new ArrayList<>();
      for (int i = 0; i < n; i++) l.add(Reference.input(i % 6));
      return Tensor.stack(l);
    }
    var in = m.info().input();
    if (in.channels() == 1 && in.height() == in.width()) return PhantomGenerator.batch(2000, n, in.height(), in.mean()[0], in.std()[0]);
    float[] v = new float[n * in.channels() * in.height() * in.width()];
    SplittableRandom r = new SplittableRandom(5);
    for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
    return Tensor.wrap(v, n, in.channels(), in.height(), in.width());
  }

  protected Xcam xcam() { return KitModels.xcam(); }

  // ------------------------------------------------------------------ helpers

  private Model model(Fixture f) {
    return models.computeIfAbsent(f.name(), k -> {
      Map<String, String> o = new LinkedHashMap<>(f.engineOptions());
      o.putIfAbsent("device", "cpu");
      String engine = xcam().engines().containsKey(compiler().name()) ? compiler().name() : null;
      return xcam().load(f.path(), engine, o);
    });
  }

  private Path compile(Fixture f, List<String> methods, String target, CompileRequest.MapSize size) {
    String key = f.name() + "|" + methods + "|" + target + "|" + size;
    return compiled.computeIfAbsent(key, k -> {
      Path out = work.resolve(f.name() + "." + compiled.size() + ".xcam.onnx");
      CompileResult r = compiler().compile(CompileRequest.builder(f.path(), out).methods(methods).target(target).size(size)
          .engineOptions(Map.of("device", "cpu")).build());
      assertThat(r.file()).exists();
      return r.file();
    });
  }

  private Path compiledAll(Fixture f) { return compile(f, methods(), "predicted", CompileRequest.MapSize.INPUT); }

  private static String output(String method) { return "xcam_" + method.replace('-', '_'); }

  private List<Explanation> java(String method, Model m, Tensor x, Target t) {
    return xcam().explainer(method).explain(m, ExplainRequest.builder(x).target(t).seed(7).build());
  }

  /** Cosine of two maps; two all-zero maps agree (both constant). */
  static double cosine(float[] a, float[] b) {
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < a.length; i++) {
      ab += (double) a[i] * b[i];
      aa += (double) a[i] * a[i];
      bb += (double) b[i] * b[i];
    }
    if (aa == 0 && bb == 0) return 1;
    if (aa == 0 || bb == 0) return 0;
    return ab / Math.sqrt(aa * bb);
  }

  static double maxDiff(float[] a, float[] b) {
    double d = 0;
    for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
    return d;
  }

  private static float[] item(Tensor t, int i) {
    int per = t.size() / t.dim(0);
    float[] v = new float[per];
    t.copyTo(i * per, v, 0, per);
    return v;
  }

  private void agree(String what, float[] compiledMap, float[] javaMap) {
    double c = cosine(compiledMap, javaMap);
    String key = what.replaceAll(" image \\d+", "");
    double[] w = worst.computeIfAbsent(key, k -> new double[] {1, 0});
    w[0] = Math.min(w[0], c);
    w[1] = Math.max(w[1], maxDiff(compiledMap, javaMap));
    assertThat(c).as("%s: cosine %.7f (max diff %.2e) between the compiled map and the Java method's", what, c,
        maxDiff(compiledMap, javaMap)).isGreaterThanOrEqualTo(MIN_COSINE);
  }

  private Path extract(String file) {
    Path p = work.resolve(file);
    if (Files.exists(p)) return p;
    try (InputStream in = CompileCompatibilityKit.class.getResourceAsStream("/org/xcam/tck/compile/" + file)) {
      if (in == null) throw new XcamException("the kit's fixture " + file + " is missing from xcam-tck");
      Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }

  /** The plain model file the compiler read (a bundle's model.onnx, or the file itself). */
  private static Path plainFile(Fixture f) {
    return Files.isDirectory(f.path()) ? f.path().resolve("model.onnx") : f.path();
  }

  // ------------------------------------------------------------------ groups

  @Nested @DisplayName("Agreement with the Java methods")
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class Agreement {
    @TestFactory @DisplayName("every compiled map equals the Java method's map (cosine >= 0.9999), batch 1 and batch 4")
    Stream<DynamicTest> predictedTarget() {
      assumeTrue(!methods().isEmpty(), "no compilable method's explainer is on the class path; add the plugin jars as test dependencies");
      List<DynamicTest> tests = new ArrayList<>();
      for (Fixture f : fixtures()) {
        for (int n : new int[] {1, 4}) {
          tests.add(DynamicTest.dynamicTest(f + ", batch " + n, () -> {
            Model m = model(f);
            Tensor x = inputs(f, m, n);
            try (CompiledModel cm = compiler().open(compiledAll(f), Map.of("device", "cpu"))) {
              Map<String, Tensor> out = cm.run(x);
              int informative = 0;
              for (String method : methods()) {
                Tensor maps = out.get(output(method));
                assertThat(maps).as("output %s of the compiled %s", output(method), f).isNotNull();
                assertThat(maps.shape()).as("shape of %s", output(method))
                    .containsExactly(n, m.info().input().height(), m.info().input().width());
                List<Explanation> ex = java(method, m, x, Target.predicted());
                for (int i = 0; i < n; i++) {
                  agree(f + " " + method + " image " + i, item(maps, i), ex.get(i).map().values());
                  if (!ex.get(i).raw().constant()) informative++;
                }
              }
              assertThat(informative).as("%s: maps that are not constant (all-zero maps agree trivially)", f).isGreaterThan(0);
            }
          }));
        }
      }
      return tests.stream();
    }
  }

  @Nested @DisplayName("Original outputs")
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class OriginalOutputs {
    @TestFactory @DisplayName("the compiled model's original outputs are bit-identical to the plain model's (same runtime)")
    Stream<DynamicTest> bitIdentical() {
      assumeTrue(!methods().isEmpty(), "no compilable method's explainer is on the class path");
      return fixtures().stream().map(f -> DynamicTest.dynamicTest(f.toString(), () -> {
        Model m = model(f);
        Tensor x = inputs(f, m, 4);
        try (CompiledModel plain = compiler().open(plainFile(f), Map.of("device", "cpu"));
             CompiledModel cm = compiler().open(compiledAll(f), Map.of("device", "cpu"))) {
          Map<String, Tensor> a = plain.run(x), b = cm.run(x);
          assertThat(cm.outputs().subList(0, plain.outputs().size())).as("original outputs first, in order").isEqualTo(plain.outputs());
          for (String o : plain.outputs()) {
            if (!a.containsKey(o)) continue;
            assertThat(b.get(o).toArray()).as("output %s of %s", o, f).isEqualTo(a.get(o).toArray());
          }
        }
      }));
    }
  }

  @Nested @DisplayName("Targets and sizes")
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class Targets {
    private Fixture first() {
      List<Fixture> l = fixtures();
      assumeTrue(!l.isEmpty() && !methods().isEmpty(), "no fixture or no compilable method installed");
      return l.get(0);
    }

    private String method() { return methods().contains("gradcam") ? "gradcam" : methods().get(0); }

    @Test @DisplayName("a class-index target gives the Java map of that class, for every image")
    void classIndex() {
      Fixture f = first();
      Model m = model(f);
      int k = m.info().numOutputs() - 1;
      Tensor x = inputs(f, m, 3);
      try (CompiledModel cm = compiler().open(compile(f, List.of(method()), Integer.toString(k), CompileRequest.MapSize.INPUT), Map.of())) {
        Tensor maps = cm.run(x).get(output(method()));
        List<Explanation> ex = java(method(), m, x, Target.classIndex(k));
        for (int i = 0; i < 3; i++) agree(f + " class " + k + " image " + i, item(maps, i), ex.get(i).map().values());
      }
    }

    @Test @DisplayName("target all gives [N, K, H, W]: map t equals the Java map of class t")
    void all() {
      Fixture f = first();
      Model m = model(f);
      int kk = m.info().numOutputs();
      Tensor x = inputs(f, m, 2);
      try (CompiledModel cm = compiler().open(compile(f, List.of(method()), "all", CompileRequest.MapSize.INPUT), Map.of())) {
        Tensor maps = cm.run(x).get(output(method()));
        int h = m.info().input().height(), w = m.info().input().width();
        assertThat(maps.shape()).containsExactly(2, kk, h, w);
        float[] all = maps.toArray();
        for (int t = 0; t < kk; t++) {
          List<Explanation> ex = java(method(), m, x, Target.classIndex(t));
          for (int i = 0; i < 2; i++) {
            float[] mine = java.util.Arrays.copyOfRange(all, (i * kk + t) * h * w, (i * kk + t + 1) * h * w);
            agree(f + " all, class " + t + " image " + i, mine, ex.get(i).map().values());
          }
        }
      }
    }

    @Test @DisplayName("size layer gives the normalised raw map at the layer's resolution")
    void layerSize() {
      Fixture f = first();
      Model m = model(f);
      Tensor x = inputs(f, m, 2);
      try (CompiledModel cm = compiler().open(compile(f, List.of(method()), "predicted", CompileRequest.MapSize.LAYER), Map.of())) {
        Tensor maps = cm.run(x).get(output(method()));
        List<Explanation> ex = java(method(), m, x, Target.predicted());
        for (int i = 0; i < 2; i++) {
          Heatmap raw = ex.get(i).raw();
          assertThat(maps.shape()).containsExactly(2, raw.height(), raw.width());
          agree(f + " size layer image " + i, item(maps, i), raw.normalized().values());
        }
      }
    }

    @Test @DisplayName("the metadata names the methods, layer, target rule and version")
    void metadata() {
      Fixture f = first();
      try (CompiledModel cm = compiler().open(compiledAll(f), Map.of())) {
        Map<String, String> md = cm.metadata();
        assertThat(md).containsKeys("xcam.methods", "xcam.layer", "xcam.target", "xcam.version");
        assertThat(md.get("xcam.methods").split(",")).containsExactlyInAnyOrderElementsOf(methods());
        assertThat(md.get("xcam.target")).isEqualTo("predicted");
      }
    }
  }

  @Nested @DisplayName("Errors")
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class Errors {
    @Test @DisplayName("a method the compiler cannot compile is refused in one line with the reason, and nothing is written")
    void refused() {
      List<Fixture> l = fixtures();
      assumeTrue(!l.isEmpty(), "no fixture");
      String bad = xcam().explainers().keySet().stream().filter(n -> !compiler().methods().contains(n)).findFirst().orElse("no-such-method");
      Path out = work.resolve("refused.xcam.onnx");
      assertThatThrownBy(() -> compiler().compile(CompileRequest.builder(l.get(0).path(), out).methods(List.of(bad)).build()))
          .isInstanceOf(XcamException.class)
          .satisfies(e -> assertThat(e.getMessage()).contains(bad).doesNotContain("\n"));
      assertThat(out).doesNotExist();
      assertThat(compiler().refusal(bad)).isNotNull();
    }

    @Test @DisplayName("a class index beyond the outputs is refused before anything is written")
    void badTarget() {
      List<Fixture> l = fixtures();
      assumeTrue(!l.isEmpty() && !methods().isEmpty(), "no fixture or method");
      Path out = work.resolve("badtarget.xcam.onnx");
      assertThatThrownBy(() -> compiler().compile(CompileRequest.builder(l.get(0).path(), out).methods(List.of(methods().get(0)))
          .target("999").build())).isInstanceOf(XcamException.class)
          .satisfies(e -> assertThat(e.getMessage().toLowerCase(Locale.ROOT)).contains("999"));
      assertThat(out).doesNotExist();
    }
  }
}
