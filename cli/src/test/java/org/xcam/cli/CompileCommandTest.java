package org.xcam.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.Tensor;
import org.xcam.api.compile.CompiledModel;
import org.xcam.api.spi.CompilerProvider;
import org.xcam.runtime.Xcam;
import org.xcam.tck.fixtures.Reference;

/** {@code xcam compile} end to end: the file, its maps against {@code xcam explain}'s, the ONNX checker, and bad input. */
class CompileCommandTest {
  static final List<String> ALL = List.of("gradcam", "gradcam-plusplus", "hirescam", "xgradcam", "layercam", "gradcam-elementwise",
      "gg-cam", "saliency", "gradient-x-input");

  private static CompilerProvider onnx() { return Xcam.create().compilers().get("onnx"); }

  @Test @DisplayName("compile writes one model whose maps equal xcam explain's .npy maps (max |diff| <= 1e-4) for the same input")
  void equalsExplain(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("ref.xcam.onnx");
    var r = ExplainCommandTest.xcam("compile", "--model", Reference.bundle().toString(), "--method", "gradcam,hirescam", "--out", model.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("xcam_gradcam", "xcam_hirescam");
    Path out = dir.resolve("explain");
    var e = ExplainCommandTest.xcam("explain", "--model", Reference.bundle().toString(), "--method", "gradcam,hirescam", "--out",
        out.toString(), ExplainCommandTest.input(dir, 0).toString());
    assertThat(e.code()).as(e.err()).isZero();
    try (CompiledModel cm = onnx().open(model, Map.of("device", "cpu"))) {
      Map<String, Tensor> res = cm.run(Reference.input(0).unsqueeze());
      for (String m : List.of("gradcam", "hirescam")) {
        float[] mine = res.get("xcam_" + m).toArray();
        float[] theirs = Tensor.readNpy(out.resolve("in0." + m + ".npy")).toArray();
        double d = 0;
        for (int i = 0; i < mine.length; i++) d = Math.max(d, Math.abs(mine[i] - theirs[i]));
        assertThat(d).as("%s: max |compiled - explain|", m).isLessThanOrEqualTo(1e-4);
      }
      assertThat(cm.metadata()).containsEntry("xcam.methods", "gradcam,hirescam").containsEntry("xcam.layer", "features.14");
    }
  }

  @Test @DisplayName("recipro-cam: the compiled model's map equals xcam explain --method recipro-cam (max |diff| <= 1e-4), both kernels")
  void reciproCamEqualsExplain(@TempDir Path dir) throws Exception {
    for (String kernel : List.of("onehot", "gaussian")) {
      Path model = dir.resolve(kernel + ".xcam.onnx");
      var r = ExplainCommandTest.xcam("compile", "--model", Reference.bundle().toString(), "--method", "recipro-cam", "--option",
          "kernel=" + kernel, "--out", model.toString());
      assertThat(r.code()).as(r.err()).isZero();
      Path out = dir.resolve("explain-" + kernel);
      var e = ExplainCommandTest.xcam("explain", "--model", Reference.bundle().toString(), "--method", "recipro-cam", "--option",
          "kernel=" + kernel, "--out", out.toString(), ExplainCommandTest.input(dir, 0).toString(), ExplainCommandTest.input(dir, 3).toString());
      assertThat(e.code()).as(e.err()).isZero();
      try (CompiledModel cm = onnx().open(model, Map.of("device", "cpu"))) {
        Map<String, Tensor> res = cm.run(Tensor.stack(List.of(Reference.input(0), Reference.input(3))));
        float[] mine = res.get("xcam_recipro_cam").toArray();
        for (int i = 0; i < 2; i++) {
          float[] theirs = Tensor.readNpy(out.resolve("in" + (i == 0 ? 0 : 3) + ".recipro-cam.npy")).toArray();
          double d = 0, spread = 0;
          for (int j = 0; j < theirs.length; j++) {
            d = Math.max(d, Math.abs(mine[i * theirs.length + j] - theirs[j]));
            spread = Math.max(spread, theirs[j]);
          }
          assertThat(spread).as("explain's map is not constant").isGreaterThan(0.5);
          assertThat(d).as("%s image %d: max |compiled - explain|", kernel, i).isLessThanOrEqualTo(1e-4);
        }
        assertThat(cm.metadata()).containsEntry("xcam.methods", "recipro-cam").containsEntry("xcam.recipro-cam.kernel", kernel);
      }
    }
  }

  @Test @DisplayName("compiled models pass the Python ONNX checker with full shape inference (where python3 with onnx is installed)")
  void onnxChecker(@TempDir Path dir) throws Exception {
    Path script = Path.of("..", "tools", "check_onnx.py");
    assumeTrue(Files.isRegularFile(script) && python("-c", "import onnx") == 0,
        "python3 with the onnx package is not installed (CI has no Python): the Java-side checks and ONNX Runtime stand in");
    List<String> files = new ArrayList<>();
    String[][] cases = {
        {Reference.bundle().toString(), String.join(",", ALL), "predicted", "input"},
        {Reference.bundle().toString(), "gradcam,gg-cam", "all", "layer"},
        {org.xcam.runtime.Fixtures.phantomBundle().toString(), String.join(",", ALL), "2", "input"},
        // overlapping MaxPool: the backward needs ScatterElements with reduction=add, opset raised 13 -> 16
        {Path.of("..", "engine-onnx", "src", "test", "resources", "torchvision", "resnet-tiny.onnx").toString(), String.join(",", ALL), "all", "input"},
        {Path.of("..", "engine-onnx", "src", "test", "resources", "torchvision", "densenet-tiny.onnx").toString(), "gradcam,saliency", "predicted", "input"},
        // recipro-cam (a copy of the tail at batch N * h * w) with gradient methods, and alone with target all
        {Reference.bundle().toString(), "recipro-cam,gradcam", "predicted", "input"},
        {Path.of("..", "engine-onnx", "src", "test", "resources", "torchvision", "resnet-tiny.onnx").toString(), "recipro-cam", "all", "layer"}};
    for (int i = 0; i < cases.length; i++) {
      Path f = dir.resolve("c" + i + ".xcam.onnx");
      var r = ExplainCommandTest.xcam("compile", "--model", cases[i][0], "--method", cases[i][1], "--target", cases[i][2], "--size",
          cases[i][3], "--out", f.toString());
      assertThat(r.code()).as(r.err()).isZero();
      files.add(f.toString());
    }
    List<String> cmd = new ArrayList<>(List.of(script.toString()));
    cmd.addAll(files);
    assertThat(python(cmd.toArray(String[]::new))).as("tools/check_onnx.py on the compiled models").isZero();
  }

  private static int python(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3"));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String text = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return -1;
      }
      if (!text.isBlank()) System.out.print(text); // the checker's verdict per file, in the build log
      return p.exitValue();
    } catch (java.io.IOException e) {
      return -1;
    }
  }

  @Test @DisplayName("a method that cannot be compiled exits 2 with the reason in one line and writes nothing")
  void refused(@TempDir Path dir) {
    Path f = dir.resolve("x.onnx");
    var r = ExplainCommandTest.xcam("compile", "--model", Reference.bundle().toString(), "--method", "gradcam,scorecam", "--out", f.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().lines().filter(l -> l.startsWith("xcam:")).toList()).singleElement().asString()
        .contains("scorecam").contains("perturbation");
    assertThat(f).doesNotExist();
  }

  @Test @DisplayName("bad target, layer or size exit 2 in one line and write nothing")
  void badInput(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("x.onnx");
    String m = Reference.bundle().toString();
    for (String[] args : new String[][] {
        {"--target", "17"}, {"--target", "best"}, {"--layer", "no-such-layer"}, {"--size", "huge"}, {"--option", "smoothing=maybe"}}) {
      List<String> a = new ArrayList<>(List.of("compile", "--model", m, "--method", "gg-cam", "--out", f.toString()));
      a.addAll(List.of(args));
      var r = ExplainCommandTest.xcam(a.toArray(String[]::new));
      assertThat(r.code()).as(String.join(" ", args) + ": " + r.err()).isEqualTo(2);
      assertThat(r.err().lines().filter(l -> l.startsWith("xcam:")).toList()).as(String.join(" ", args) + ": " + r.err()).hasSize(1);
    }
    try (var s = Files.list(dir)) {
      assertThat(s.toList()).as("nothing written").isEmpty();
    }
  }
}
