package org.xcam.runtime.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.Box;
import org.xcam.api.Capability;
import org.xcam.api.DetectRequest;
import org.xcam.api.Detection;
import org.xcam.api.Detections;
import org.xcam.api.Detector;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.InputSpec;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.Objective;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.Passes;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.api.UnknownNameException;
import org.xcam.api.spi.DetectorProvider;
import org.xcam.api.spi.EngineProvider;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.runtime.Xcam;
import org.xcam.runtime.phantom.Phantom;
import org.xcam.runtime.phantom.PhantomGenerator;

/**
 * The detection evaluation reaches detectors only through the SPI: test detectors registered here (an oracle that
 * returns the phantom's own lesion boxes, one that finds nothing, one that cuts boxes with a method) on models of a test
 * engine. The oracle must score AP 1 at every IoU and the empty detector AP 0, with loc-acc the share of images
 * without each class, worked out from the phantoms' labels.
 */
class DetectionEvaluationTest {
  static final InputSpec INPUT = new InputSpec(1, 64, 64, new float[] {0.5f}, new float[] {0.25f});
  static Path zones;
  static Path classifier;
  static Xcam xcam;

  /** A model that outputs zeros; its task and labels come from its file name. */
  static final class FakeModel implements Model {
    final ModelInfo info;

    FakeModel(Path p) {
      boolean cls = p.getFileName().toString().startsWith("classifier");
      info = new ModelInfo(p.getFileName().toString(), cls ? Task.MULTILABEL : Task.ANATOMY_DETECTION,
          cls ? List.of("normal", "nodule", "effusion") : List.of("k"), INPUT, List.of(), null, p.toString(), "fake", Map.of());
    }

    @Override public ModelInfo info() { return info; }
    @Override public Set<Capability> capabilities() { return EnumSet.of(Capability.FORWARD); }
    @Override public Tensor forward(Tensor b) { return Tensor.zeros(b.dim(0), info.numOutputs()); }
    @Override public LayerHook layer(String l) { throw new UnsupportedOperationException(); }
    @Override public void close() { }
  }

  public static class FakeEngine implements EngineProvider {
    @Override public String name() { return "fake"; }
    @Override public int rank() { return 0; }
    @Override public boolean canLoad(Path p) { return p.toString().endsWith(".fake"); }
    @Override public Model load(Path p, Map<String, String> o) { return new FakeModel(p); }
  }

  /** Image (by content) -> its phantom's lesion boxes: what the oracle returns. */
  static final Map<Integer, List<Box>> TRUTH = new ConcurrentHashMap<>();

  abstract static class AnatomyBase implements DetectorProvider {
    @Override public String description() { return "test detector"; }
    @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD); }
    @Override public List<OptionSpec> options() { return List.of(new OptionSpec("score", "0.9", "score of every box")); }
    @Override public Set<Task> tasks() { return EnumSet.of(Task.ANATOMY_DETECTION); }
    @Override public List<String> classes(ModelInfo m) { return PhantomGenerator.KINDS.subList(1, PhantomGenerator.KINDS.size()); }
    @Override public Map<String, Path> sampleModels() { return Map.of("Zones", zones); }
  }

  /** Returns the phantom's own lesion boxes. */
  public static class Oracle extends AnatomyBase {
    @Override public String name() { return "oracle"; }
    @Override public Detector create(Options o) {
      double score = o.getDouble("score");
      return new Detector() {
        @Override public String name() { return "oracle"; }
        @Override public List<Detections> detect(Model model, DetectRequest r) {
          List<Detections> out = new ArrayList<>();
          int per = r.input().size() / r.size();
          for (int i = 0; i < r.size(); i++) {
            float[] img = new float[per];
            r.input().copyTo(i * per, img, 0, per);
            List<Detection> ds = new ArrayList<>();
            for (Box b : TRUTH.get(Arrays.hashCode(img))) {
              if (r.wants(b.label())) ds.add(Detection.ofModel(b.withScore(score)));
            }
            out.add(new Detections(i, r.frame(i).width(), r.frame(i).height(), ds, List.of(), Map.of(), List.of()));
          }
          return out;
        }
      };
    }
  }

  /** Finds nothing. */
  public static class Nothing extends AnatomyBase {
    @Override public String name() { return "nothing"; }
    @Override public Detector create(Options o) {
      return new Detector() {
        @Override public String name() { return "nothing"; }
        @Override public List<Detections> detect(Model model, DetectRequest r) {
          List<Detections> out = new ArrayList<>();
          for (int i = 0; i < r.size(); i++) out.add(new Detections(i, r.frame(i).width(), r.frame(i).height(), List.of(), List.of(), Map.of(), List.of()));
          return out;
        }
      };
    }
  }

  static final List<String> SEEN = new ArrayList<>();

  /** Uses the request's method: one whole-frame box per wanted class, and records what it was given. */
  public static class CamTest implements DetectorProvider {
    @Override public String name() { return "cam-test"; }
    @Override public String description() { return "test CAM detector"; }
    @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD); }
    @Override public List<OptionSpec> options() { return List.of(); }
    @Override public Set<Task> tasks() { return EnumSet.of(Task.MULTILABEL); }
    @Override public boolean usesExplainer() { return true; }
    @Override public Map<String, Path> sampleModels() { return Map.of("test-classifier", classifier); }
    @Override public Detector create(Options o) {
      return new Detector() {
        @Override public String name() { return "cam-test"; }
        @Override public List<Detections> detect(Model model, DetectRequest r) {
          Explainer e = r.explainer().orElseThrow();
          synchronized (SEEN) { SEEN.add(e.name() + " " + r.classes()); }
          e.explain(model, ExplainRequest.builder(r.input()).build());
          List<Detections> out = new ArrayList<>();
          for (int i = 0; i < r.size(); i++) {
            List<Detection> ds = new ArrayList<>();
            for (String c : r.classes()) ds.add(Detection.ofMap(new Box(0, 0, r.frame(i).width(), r.frame(i).height(), c, .5), e.name()));
            out.add(new Detections(i, r.frame(i).width(), r.frame(i).height(), ds, List.of(), Map.of(), List.of()));
          }
          return out;
        }
      };
    }
  }

  /** A method whose map is the input. */
  public static class Intensity implements ExplainerProvider {
    @Override public String name() { return "test-intensity"; }
    @Override public String description() { return "the input as the map"; }
    @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD); }
    @Override public List<OptionSpec> options() { return List.of(); }
    @Override public boolean layerBased() { return false; }
    @Override public Explainer create(Options options) {
      return new Explainer() {
        @Override public String name() { return "test-intensity"; }
        @Override public List<Explanation> explain(Model model, ExplainRequest request) {
          Tensor x = request.input();
          int n = x.dim(0), h = x.dim(2), w = x.dim(3), k = model.info().numOutputs();
          List<Explanation> out = new ArrayList<>();
          float[] plane = new float[h * w];
          for (int i = 0; i < n; i++) {
            x.copyTo(i * h * w, plane, 0, h * w);
            for (Objective o : request.target(i).resolve(model.info(), new float[k])) {
              Heatmap raw = Heatmap.of(plane, h, w, "test-intensity", "input", o.describe(), Heatmap.Resolution.LAYER);
              out.add(Explanation.of(i, raw, h, w, o, 0, Passes.NONE, Map.of()));
            }
          }
          return out;
        }
      };
    }
  }

  @BeforeAll
  static void setUp(@TempDir Path dir) throws IOException {
    zones = Files.writeString(dir.resolve("zones.fake"), "");
    classifier = Files.writeString(dir.resolve("classifier.fake"), "");
    Path services = dir.resolve("classes/META-INF/services");
    Files.createDirectories(services);
    Files.writeString(services.resolve(EngineProvider.class.getName()), FakeEngine.class.getName() + "\n");
    Files.writeString(services.resolve(ExplainerProvider.class.getName()), Intensity.class.getName() + "\n");
    Files.writeString(services.resolve(DetectorProvider.class.getName()),
        String.join("\n", Oracle.class.getName(), Nothing.class.getName(), CamTest.class.getName()) + "\n");
    xcam = Xcam.create(new URLClassLoader(new URL[] {dir.resolve("classes").toUri().toURL()}, DetectionEvaluationTest.class.getClassLoader()));
  }

  /** Registers the truth of phantoms seed .. seed+n-1, keyed by the normalised image the detectors will see. */
  static List<Phantom> phantoms(long seed, int n) {
    List<Phantom> ps = new ArrayList<>();
    for (int i = 0; i < n; i++) ps.add(PhantomGenerator.generate(seed + i, 64));
    Tensor x = DetectionEvaluation.batch(ps, INPUT, 64);
    int per = 64 * 64;
    for (int i = 0; i < n; i++) {
      float[] img = new float[per];
      x.copyTo(i * per, img, 0, per);
      TRUTH.put(Arrays.hashCode(img), ps.get(i).lesions());
    }
    return ps;
  }

  @Test
  @DisplayName("every installed detector gets its rows; an oracle scores AP 1 at every IoU, an empty detector AP 0 and loc-acc the share of images without each class")
  void oracleAndNothing() {
    int n = 40;
    List<Phantom> ps = phantoms(500, n);
    var s = DetectionEvaluation.Settings.defaults().withCount(n).withSeed(500).withBatch(16)
        .withCamMethods(List.of("test-intensity", "no-such-method"));
    var r = DetectionEvaluation.run(xcam, s, null);
    // the classifier knows normal, nodule, effusion: only nodule and effusion are scored
    assertThat(r.classes()).containsExactly("nodule", "effusion");
    assertThat(r.rows()).extracting(DetectionEvaluation.Row::method)
        .containsExactlyInAnyOrder("oracle", "nothing", "cam-test (test-intensity)");
    assertThat(r.notes()).anyMatch(x -> x.contains("no-such-method"));
    var oracle = r.rows().stream().filter(x -> x.method().equals("oracle")).findFirst().orElseThrow();
    assertThat(oracle.model()).isEqualTo("Zones");
    for (double v : oracle.ap()) assertThat(v).isCloseTo(1.0, within(1e-12));
    assertThat(oracle.map()).isCloseTo(1.0, within(1e-12));
    assertThat(oracle.locAcc()).isCloseTo(1.0, within(1e-12));
    var nothing = r.rows().stream().filter(x -> x.method().equals("nothing")).findFirst().orElseThrow();
    for (double v : nothing.ap()) assertThat(v).isEqualTo(0.0);
    double expected = 0;
    for (String c : List.of("nodule", "effusion")) expected += ps.stream().filter(p -> !p.label().equals(c)).count() / (double) n;
    assertThat(nothing.locAcc()).isCloseTo(expected / 2, within(1e-12));
    assertThat(SEEN).contains("test-intensity [nodule, effusion]");
    assertThat(r.options()).containsEntry("oracle", Map.of("score", "0.9"));
    String md = DetectionEvaluation.markdown(r);
    assertThat(md).contains("| Detector | Model | Box supervision | AP@0.1").contains("| oracle | Zones |")
        .contains("AP@0.5 per class").contains("detector oracle: {score=0.9}");
  }

  @Test
  @DisplayName("detector options reach the detector: the oracle's boxes scored 0.2 fall below loc-acc's 0.5 box score")
  void options() {
    phantoms(600, 20);
    var s = DetectionEvaluation.Settings.defaults().withCount(20).withSeed(600).withDetectors(List.of("oracle"))
        .withDetectorOptions(Map.of("oracle", Map.of("score", "0.2")));
    var row = DetectionEvaluation.run(xcam, s, null).rows().get(0);
    assertThat(row.map()).isCloseTo(1.0, within(1e-12));   // ranking is unchanged
    assertThat(row.locAcc()).isLessThan(1.0);              // but no box reaches the 0.5 score
  }

  @Test
  @DisplayName("a model the chosen detector does not read, an unknown detector or no detector at all fail in one line before any work")
  void errors() {
    var s = DetectionEvaluation.Settings.defaults().withCount(5).withDetectors(List.of("oracle"))
        .withModels(Map.of("c", classifier));
    assertThatThrownBy(() -> DetectionEvaluation.run(xcam, s, null)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("does not read model");
    assertThatThrownBy(() -> DetectionEvaluation.run(xcam, s.withDetectors(List.of("adpdd")), null))
        .isInstanceOf(UnknownNameException.class).hasMessageContaining("available: cam-test, nothing, oracle");
    assertThatThrownBy(() -> DetectionEvaluation.run(Xcam.create(DetectionEvaluationTest.class.getClassLoader()),
        DetectionEvaluation.Settings.defaults().withCount(5), null))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("no detector is installed");
  }
}
