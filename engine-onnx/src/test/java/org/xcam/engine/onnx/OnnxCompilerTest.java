package org.xcam.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Tensor;
import org.xcam.api.UnsupportedCapabilityException;
import org.xcam.api.compile.CompileRequest;
import org.xcam.api.compile.CompileResult;
import org.xcam.engine.onnx.proto.OnnxProto.ModelProto;

/**
 * The compiler's opset handling and refusals (the compile kit in xcam-tck checks the maps against the Java methods):
 * the same model declared at opset 11 (Resize with empty roi/scales, reductions with axes attributes) and 18 (every
 * reduction's axes as an input) compiles to the same maps as at its own opset 13; opset 10 is refused; a compiled
 * model is not compiled again; the batch axis keeps the input's symbolic name; a raise to opset 16 is said.
 */
class OnnxCompilerTest {
  static final List<String> ALL = List.of("gradcam", "gradcam-plusplus", "hirescam", "xgradcam", "layercam", "gradcam-elementwise",
      "gg-cam", "saliency", "gradient-x-input");

  private static Path reference() throws Exception {
    return Path.of(OnnxCompilerTest.class.getResource("/reference/bundle/model.onnx").toURI());
  }

  /** The reference model with its default-domain opset import set to {@code opset}. */
  private static Path atOpset(Path dir, int opset) throws Exception {
    ModelProto m = ModelProto.parseFrom(Files.readAllBytes(reference()));
    ModelProto.Builder b = m.toBuilder();
    for (int i = 0; i < b.getOpsetImportCount(); i++) if (b.getOpsetImport(i).getDomain().isEmpty()) b.setOpsetImport(i, b.getOpsetImport(i).toBuilder().setVersion(opset));
    Path p = dir.resolve("ref-opset" + opset + ".onnx");
    Files.write(p, b.build().toByteArray());
    return p;
  }

  private static CompileResult compile(Path model, Path out, List<String> methods, String target) {
    return OnnxCompiler.compile(CompileRequest.builder(model, out).methods(methods).target(target).engineOptions(Map.of("device", "cpu")).build());
  }

  private static Tensor input(int n) {
    float[] v = new float[n * 64 * 64];
    SplittableRandom r = new SplittableRandom(9);
    for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
    return Tensor.wrap(v, n, 1, 64, 64);
  }

  @Test @DisplayName("opsets 11 and 18 give the maps of opset 13 (max |diff| <= 1e-6) and keep their opset")
  void opsets(@TempDir Path dir) throws Exception {
    Path base = dir.resolve("13.xcam.onnx");
    compile(reference(), base, ALL, "predicted");
    Tensor x = input(3);
    Map<String, Tensor> want;
    try (OnnxCompiledModel m = OnnxCompiledModel.open(base, Map.of("device", "cpu"))) {
      want = m.run(x);
    }
    for (int opset : new int[] {11, 18}) {
      Path out = dir.resolve(opset + ".xcam.onnx");
      CompileResult r = compile(atOpset(dir, opset), out, ALL, "predicted");
      assertThat(r.opset()).isEqualTo(opset);
      assertThat(r.notes()).isEmpty();
      try (OnnxCompiledModel m = OnnxCompiledModel.open(out, Map.of("device", "cpu"))) {
        Map<String, Tensor> got = m.run(x);
        for (String method : ALL) {
          String o = OnnxCompiler.outputName(method);
          float[] a = got.get(o).toArray(), b = want.get(o).toArray();
          double d = 0;
          for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
          assertThat(d).as("opset %d, %s: max |diff| to opset 13", opset, method).isLessThanOrEqualTo(1e-6);
        }
      }
    }
  }

  @Test @DisplayName("opset 10 is refused, naming the lowest opset that works; nothing is written")
  void opset10(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("x.onnx");
    assertThatThrownBy(() -> compile(atOpset(dir, 10), out, List.of("gradcam"), "predicted"))
        .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("opset 10").hasMessageContaining("opset_version=11");
    assertThat(out).doesNotExist();
  }

  @Test @DisplayName("a compiled model is not compiled again; unknown options and eigen-smooth are refused before loading")
  void refusals(@TempDir Path dir) throws Exception {
    Path once = dir.resolve("once.xcam.onnx");
    compile(reference(), once, List.of("gradcam"), "predicted");
    assertThatThrownBy(() -> compile(once, dir.resolve("twice.onnx"), List.of("hirescam"), "predicted"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("already compiled");
    assertThatThrownBy(() -> OnnxCompiler.compile(CompileRequest.builder(dir.resolve("missing.onnx"), dir.resolve("y.onnx"))
        .methods(List.of("gradcam")).options(Map.of("eigen-smooth", "true")).build()))
        .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("eigen-smooth");
    assertThatThrownBy(() -> OnnxCompiler.compile(CompileRequest.builder(dir.resolve("missing.onnx"), dir.resolve("y.onnx"))
        .methods(List.of("gradcam")).options(Map.of("bogus", "1")).build()))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("bogus");
    assertThat(OnnxCompiler.refusal("eigencam")).contains("principal component");
    assertThat(OnnxCompiler.refusal("gradcam")).isNull();
    try (var s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("once.xcam.onnx");
    }
  }

  @Test @DisplayName("map outputs share the input's symbolic batch axis; an overlapping MaxPool raises the opset to 16 and says so")
  void batchAxisAndOpsetRaise(@TempDir Path dir) throws Exception {
    Path tiny = Path.of(OnnxCompilerTest.class.getResource("/torchvision/resnet-tiny.onnx").toURI());
    Path out = dir.resolve("tiny.xcam.onnx");
    CompileResult r = compile(tiny, out, List.of("gradcam", "saliency"), "all");
    assertThat(r.opset()).isEqualTo(16);
    assertThat(r.notes()).singleElement().asString().contains("opset raised from 13 to 16");
    ModelProto m = ModelProto.parseFrom(Files.readAllBytes(out));
    String batch = m.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam();
    assertThat(batch).isNotEmpty();
    for (var o : m.getGraph().getOutputList()) {
      if (!o.getName().startsWith("xcam_")) continue;
      var dims = o.getType().getTensorType().getShape().getDimList();
      assertThat(dims.get(0).getDimParam()).as(o.getName()).isEqualTo(batch);
      assertThat(dims.subList(1, dims.size()).stream().map(d -> d.getDimValue()).toList()).containsExactly(3L, 64L, 64L);
    }
    try (OnnxCompiledModel cm = OnnxCompiledModel.open(out, Map.of("device", "cpu"))) {
      assertThat(cm.run(input3(5)).get("xcam_gradcam").shape()).containsExactly(5, 3, 64, 64);
    }
  }

  private static Tensor input3(int n) {
    float[] v = new float[n * 3 * 64 * 64];
    SplittableRandom r = new SplittableRandom(4);
    for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
    return Tensor.wrap(v, n, 3, 64, 64);
  }
}
