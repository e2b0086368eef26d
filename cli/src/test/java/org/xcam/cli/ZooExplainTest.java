package org.xcam.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.xcam.cli.ExplainCommandTest.xcam;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xcam.api.Tensor;
import org.xcam.api.bundle.BundleManifest;
import org.xcam.api.bundle.Json;
import org.xcam.tck.fixtures.Reference;

/**
 * {@code xcam explain} on real architectures exported without wrapping (issue 12, {@code fixtures/zoo}, made by
 * {@code tools/zoo.py}): every method family (Grad-CAM, Score-CAM, RISE, saliency) through DJL on the bundle and
 * through ONNX Runtime on the plain {@code model.onnx} file; on the CXR-library-style model (outputs are
 * probabilities after an operating-point rescaling), {@code --target all:0.5} selects exactly the labels with
 * p > 0.5 and every Grad-CAM map equals the one computed with hooks and autograd on the unmodified PyTorch model.
 */
class ZooExplainTest {
  static Path zoo() {
    for (Path p : List.of(Path.of("../fixtures/zoo"), Path.of("fixtures/zoo"))) if (Files.isDirectory(p)) return p;
    return Path.of("../fixtures/zoo");
  }

  static final List<String> FIXTURES = List.of("cxr-densenet-tiny", "mobilenet-tiny", "convnext-mini");

  static Stream<Arguments> runs() {
    List<Arguments> l = new ArrayList<>();
    for (String f : FIXTURES) for (String e : List.of("djl", "onnx")) l.add(Arguments.of(f, e));
    return l.stream();
  }

  /** The model path and engine arguments: the bundle on DJL, the plain model.onnx (no manifest) on ONNX Runtime. */
  static List<String> modelArgs(String fixture, String engine) {
    return modelArgs(zoo().resolve(fixture), engine);
  }

  static List<String> modelArgs(Path b, String engine) {
    if (engine.equals("djl")) return List.of("--model", b.toString(), "--engine", "djl");
    List<String> a = new ArrayList<>(List.of("--model", b.resolve("model.onnx").toString(), "--engine", "onnx", "--device", "cpu"));
    if (BundleManifest.read(b).outputs() == org.xcam.api.OutputKind.PROBABILITIES) a.addAll(List.of("--engine-option", "outputs=probabilities"));
    return a;
  }

  /** The layer name on that engine: the manifest's name (bundle), or its ONNX tensor (plain file). */
  static String layer(Path bundle, String engine, String l) {
    return engine.equals("djl") ? l : BundleManifest.read(bundle).onnx().get(l);
  }

  static Path input(String fixture, Path dir, int i) throws Exception {
    return input(zoo().resolve(fixture), dir, i);
  }

  static Path input(Path bundle, Path dir, int i) throws Exception {
    Path p = dir.resolve("in" + i + ".npy");
    Files.copy(bundle.resolve("reference/inputs/" + i + ".npy"), p);
    return p;
  }

  @ParameterizedTest(name = "{0} on {1}") @MethodSource("runs")
  @DisplayName("gradcam, scorecam, rise and saliency run on the zoo fixture through both engines and give finite, non-constant maps")
  @SuppressWarnings("unchecked")
  void everyFamily(String fixture, String engine, @TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    BundleManifest man = BundleManifest.read(zoo().resolve(fixture));
    List<String> args = new ArrayList<>(List.of("explain"));
    args.addAll(modelArgs(fixture, engine));
    // each method at its own default: the model's default layer for the CAMs, the input for saliency
    args.addAll(List.of("--method", "gradcam,scorecam,rise,saliency", "--option", "masks=100", "--out", out.toString(),
        input(fixture, dir, 0).toString()));
    ExplainCommandTest.Run r = xcam(args.toArray(String[]::new));
    assertThat(r.code()).as(r.err()).isZero();
    for (String m : List.of("gradcam", "scorecam", "rise", "saliency")) {
      Tensor map = Tensor.readNpy(out.resolve("in0." + m + ".npy"));
      assertThat(map.isFinite()).isTrue();
      float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
      for (float v : map.toArray()) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      assertThat(hi - lo).as(m + " map is not constant").isGreaterThan(0f);
    }
    Map<String, Object> mf = (Map<String, Object>) Json.parse(Files.readString(out.resolve("manifest.json")));
    assertThat(((Map<String, Object>) mf.get("model")).get("outputs")).isEqualTo(man.outputs().id());
    String noun = man.outputs() == org.xcam.api.OutputKind.PROBABILITIES ? "probability of class" : "logit of class";
    for (Object o : (List<Object>) mf.get("results")) {
      Map<String, Object> res = (Map<String, Object>) o;
      assertThat((String) res.get("objective")).startsWith(noun);
    }
  }

  /** The CXR-style bundles: the committed fixture, and the full-size one when tools/.work/zoo holds it. */
  static Stream<Arguments> cxr() {
    List<Arguments> l = new ArrayList<>();
    List<Path> bundles = new ArrayList<>(List.of(zoo().resolve("cxr-densenet-tiny")));
    for (Path w : List.of(Path.of("../tools/.work/zoo/cxr-densenet121"), Path.of("tools/.work/zoo/cxr-densenet121"))) {
      if (BundleManifest.isBundle(w)) {
        bundles.add(w);
        break;
      }
    }
    for (Path b : bundles) for (String e : List.of("djl", "onnx")) l.add(Arguments.of(b, e));
    return l.stream();
  }

  @ParameterizedTest(name = "{0} on {1}") @MethodSource("cxr")
  @DisplayName("CXR-style model: all:0.5 selects exactly the labels with p > 0.5, and each Grad-CAM equals hooks + autograd on the unmodified model")
  @SuppressWarnings("unchecked")
  void cxrThresholdAndGradCam(Path b, String engine, @TempDir Path dir) throws Exception {
    Map<String, Object> ref = (Map<String, Object>) Json.parse(Files.readString(b.resolve("reference/logits.json")));
    List<Object> p0 = (List<Object>) ((List<Object>) ref.get("logits")).get(0);
    TreeSet<Integer> above = new TreeSet<>();
    for (int k = 0; k < p0.size(); k++) if (((Number) p0.get(k)).doubleValue() > 0.5) above.add(k);
    assertThat(above).as("the fixture has labels on both sides of 0.5").isNotEmpty().hasSizeLessThan(p0.size());
    Path in = input(b, dir, 0);
    for (String l : BundleManifest.read(b).layers()) {
      Path out = dir.resolve("out-" + l);
      List<String> args = new ArrayList<>(List.of("explain"));
      args.addAll(modelArgs(b, engine));
      args.addAll(List.of("--method", "gradcam", "--target", "all:0.5", "--layer", layer(b, engine, l), "--out", out.toString(),
          in.toString()));
      ExplainCommandTest.Run r = xcam(args.toArray(String[]::new));
      assertThat(r.code()).as(r.err()).isZero();
      Map<String, Object> mf = (Map<String, Object>) Json.parse(Files.readString(out.resolve("manifest.json")));
      TreeSet<Integer> selected = new TreeSet<>();
      for (Object o : (List<Object>) mf.get("results")) selected.add(((Number) ((Map<String, Object>) o).get("targetClass")).intValue());
      assertThat(selected).as("labels selected by all:0.5 at " + l).isEqualTo(above);
      for (int k : above) {
        Tensor raw = Tensor.readNpy(out.resolve("in0.gradcam.c" + k + ".raw.npy"));
        Tensor want = Tensor.readNpy(b.resolve("reference/gradcam/" + l + "/" + k + ".npy"));
        double[] c = Reference.compare(raw.toArray(), want.toArray());
        assertThat(c[0]).as("cosine, class " + k + " at " + l).isGreaterThanOrEqualTo(0.999);
        assertThat(c[1]).as("max difference, class " + k + " at " + l).isLessThanOrEqualTo(1e-3);
      }
    }
  }

  @Test @DisplayName("A plain ONNX file with no 4-D tensor to cut at: layers says why, gradcam is refused naming what runs, rise and saliency run")
  void noCut(@TempDir Path dir) throws Exception {
    String model = zoo().resolve("mlp-no-cut.onnx").toString();
    ExplainCommandTest.Run l = xcam("layers", "--model", model, "--device", "cpu", "--engine-option", "outputs=probabilities");
    assertThat(l.code()).as(l.err()).isZero();
    assertThat(l.out()).contains("no layer to cut at").contains("no 4-D float tensor").contains("INPUT_GRADIENT");
    Path in = dir.resolve("x.npy");
    Tensor.wrap(new float[256], 1, 16, 16).writeNpy(in);
    ExplainCommandTest.Run g = xcam("explain", "--model", model, "--device", "cpu", "--method", "gradcam", "--out",
        dir.resolve("g").toString(), in.toString());
    assertThat(g.code()).isEqualTo(2);
    String error = g.err().lines().filter(x -> x.startsWith("xcam: error:")).findFirst().orElse(g.err());
    assertThat(error).contains("no layer to cut at").contains("no 4-D float tensor").contains("rise").contains("saliency")
        .doesNotContain("djl");
    assertThat(g.err().lines().filter(x -> x.startsWith("xcam:")).count()).as("one error line").isEqualTo(1);
    ExplainCommandTest.Run r = xcam("explain", "--model", model, "--device", "cpu", "--engine-option", "outputs=probabilities",
        "--method", "rise,saliency", "--option", "masks=50", "--out", dir.resolve("r").toString(), in.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(files(dir.resolve("r"))).contains("x.rise.npy", "x.saliency.npy");
  }

  static List<String> files(Path d) throws Exception {
    return ExplainCommandTest.files(d);
  }

  @Test @DisplayName("xcam layers on the plain CXR-style ONNX file lists its clean cuts, the output kind and the capabilities")
  void layers() {
    ExplainCommandTest.Run r = xcam("layers", "--model", zoo().resolve("cxr-densenet-tiny/model.onnx").toString(), "--device", "cpu",
        "--engine-option", "outputs=probabilities");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("outputs: probabilities").contains("/features/norm5/BatchNormalization_output_0")
        .contains("VJP").contains("INPUT_GRADIENT");
  }
}
