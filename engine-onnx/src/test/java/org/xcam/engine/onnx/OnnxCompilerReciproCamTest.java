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
import org.xcam.api.Tensor;
import org.xcam.api.UnsupportedCapabilityException;
import org.xcam.api.compile.CompileRequest;
import org.xcam.api.compile.CompileResult;
import org.xcam.engine.onnx.proto.OnnxProto.ModelProto;

/**
 * recipro-cam compiled into a model small enough to work by hand: x [N, 2, 3, 3] -> 1x1 Conv (W [3, 2], bias b) ->
 * GlobalAveragePool -> Flatten -> y [N, 3]. Masking x to position p (one-hot) gives
 * {@code y_k(p) = (sum_c W[k, c] x[c, p]) / 9 + b_k}; with the 3x3 Gaussian mask G_p (cut at the border)
 * {@code y_k(p) = (sum_q G_p[q] sum_c W[k, c] x[c, q]) / 9 + b_k}. The map is y_target(p) (or its softmax probability),
 * min-max normalised per map; the target {@code predicted} is the arg-max of the unmasked y. The expected maps are
 * computed here in double from those formulas, not by xcam's Java method.
 */
class OnnxCompilerReciproCamTest {
  static final float[] W = {0.9f, -0.4f, -0.7f, 1.1f, 0.3f, 0.5f};
  static final float[] B = {0.1f, -0.2f, 0.05f};
  static final double[][] G = {{1 / 16.0, 1 / 8.0, 1 / 16.0}, {1 / 8.0, 1 / 4.0, 1 / 8.0}, {1 / 16.0, 1 / 8.0, 1 / 16.0}};

  static ModelProto model(boolean fixedBatch) {
    TestGraphs t = new TestGraphs(3, 2, 3, 3);
    String conv = t.op("Conv", List.of("x", t.constant(W, 3, 2, 1, 1), t.constant(B, 3)), TestGraphs.ints("kernel_shape", 1, 1));
    String gap = t.op("GlobalAveragePool", conv);
    ModelProto m = t.model(t.op("Flatten", gap));
    if (!fixedBatch) return m;
    ModelProto.Builder b = m.toBuilder();
    var in = b.getGraphBuilder().getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().getDimBuilder(0);
    in.clearDimParam().setDimValue(1);
    return b.build();
  }

  static Tensor input(int n) {
    float[] v = new float[n * 18];
    SplittableRandom r = new SplittableRandom(21);
    for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
    return Tensor.wrap(v, n, 2, 3, 3);
  }

  /** y_k at every position p of image i, by the closed form. */
  static double[][] scores(float[] x, int i, boolean gaussian) {
    double[][] y = new double[9][3];
    for (int p = 0; p < 9; p++) {
      for (int k = 0; k < 3; k++) {
        double s = 0;
        for (int q = 0; q < 9; q++) {
          int di = q / 3 - p / 3, dj = q % 3 - p % 3;
          double m = gaussian ? (Math.abs(di) <= 1 && Math.abs(dj) <= 1 ? G[di + 1][dj + 1] : 0) : (q == p ? 1 : 0);
          for (int c = 0; c < 2; c++) s += m * W[k * 2 + c] * x[i * 18 + c * 9 + q];
        }
        y[p][k] = s / 9 + B[k];
      }
    }
    return y;
  }

  static int predicted(float[] x, int i) {
    int best = 0;
    double bv = Double.NEGATIVE_INFINITY;
    for (int k = 0; k < 3; k++) {
      double s = B[k];
      for (int q = 0; q < 9; q++) for (int c = 0; c < 2; c++) s += W[k * 2 + c] * x[i * 18 + c * 9 + q] / 9;
      if (s > bv) {
        bv = s;
        best = k;
      }
    }
    return best;
  }

  static double[] normalised(double[] v) {
    double mn = Double.MAX_VALUE, mx = -Double.MAX_VALUE;
    for (double d : v) {
      mn = Math.min(mn, d);
      mx = Math.max(mx, d);
    }
    double[] r = new double[v.length];
    for (int i = 0; i < v.length; i++) r[i] = mx > mn ? (v[i] - mn) / (mx - mn) : 0;
    return r;
  }

  static double[] expected(float[] x, int i, int k, boolean gaussian, boolean softmax) {
    double[][] y = scores(x, i, gaussian);
    double[] m = new double[9];
    for (int p = 0; p < 9; p++) {
      if (!softmax) {
        m[p] = y[p][k];
        continue;
      }
      double z = 0;
      for (int j = 0; j < 3; j++) z += Math.exp(y[p][j]);
      m[p] = Math.exp(y[p][k]) / z;
    }
    return normalised(m);
  }

  static CompileResult compile(Path model, Path out, String target, Map<String, String> options) {
    return OnnxCompiler.compile(CompileRequest.builder(model, out).methods(List.of("recipro-cam")).layer("x").target(target)
        .options(options).engineOptions(Map.of("device", "cpu")).build());
  }

  @Test @DisplayName("predicted, a class index and all, both kernels and both scores: the closed form within 1e-5 (softmax 1e-4: float32"
      + " probabilities that differ little across positions, stretched by the min-max scaling), batch 1 and 5")
  void closedForm(@TempDir Path dir) throws Exception {
    Path f = TestGraphs.write(model(false), dir, "tiny");
    int checked = 0;
    for (String kernel : List.of("onehot", "gaussian")) {
      for (String score : List.of("objective", "softmax")) {
        for (String target : List.of("predicted", "1", "all")) {
          Path out = dir.resolve(kernel + score + target + ".onnx");
          CompileResult r = compile(f, out, target, Map.of("kernel", kernel, "score", score));
          assertThat(r.metadata()).containsEntry("xcam.recipro-cam.kernel", kernel);
          try (OnnxCompiledModel cm = OnnxCompiledModel.open(out, Map.of("device", "cpu"))) {
            for (int n : new int[] {1, 5}) {
              Tensor x = input(n);
              float[] xs = x.toArray();
              Tensor maps = cm.run(x).get("xcam_recipro_cam");
              float[] got = maps.toArray();
              int per = target.equals("all") ? 3 : 1;
              assertThat(maps.dim(0)).isEqualTo(n);
              for (int i = 0; i < n; i++) {
                for (int t = 0; t < per; t++) {
                  int k = target.equals("all") ? t : target.equals("predicted") ? predicted(xs, i) : 1;
                  double[] want = expected(xs, i, k, kernel.equals("gaussian"), score.equals("softmax"));
                  for (int p = 0; p < 9; p++) {
                    assertThat((double) got[(i * per + t) * 9 + p]).as("%s %s %s n=%d image %d class %d position %d", kernel, score,
                        target, n, i, k, p).isCloseTo(want[p], org.assertj.core.data.Offset.offset(score.equals("softmax") ? 1e-4 : 1e-5));
                  }
                  checked++;
                }
              }
            }
          }
        }
      }
    }
    assertThat(checked).isEqualTo(2 * 2 * (6 + 6 + 18));
  }

  @Test @DisplayName("compiled beside gradcam (whose backward copies need the seeds): recipro-cam's all and predicted maps are still the closed form")
  void besideGradCam(@TempDir Path dir) throws Exception {
    Path f = TestGraphs.write(model(false), dir, "tiny");
    for (String target : List.of("all", "predicted")) {
      Path out = dir.resolve("both-" + target + ".onnx");
      OnnxCompiler.compile(CompileRequest.builder(f, out).methods(List.of("gradcam", "recipro-cam")).layer("x").target(target)
          .engineOptions(Map.of("device", "cpu")).build());
      try (OnnxCompiledModel cm = OnnxCompiledModel.open(out, Map.of("device", "cpu"))) {
        Tensor x = input(3);
        float[] xs = x.toArray();
        Map<String, Tensor> res = cm.run(x);
        assertThat(res).containsKey("xcam_gradcam");
        float[] got = res.get("xcam_recipro_cam").toArray();
        int per = target.equals("all") ? 3 : 1;
        for (int i = 0; i < 3; i++) {
          for (int t = 0; t < per; t++) {
            double[] want = expected(xs, i, per == 3 ? t : predicted(xs, i), false, false);
            for (int p = 0; p < 9; p++) {
              assertThat((double) got[(i * per + t) * 9 + p]).as("%s image %d class %d position %d", target, i, t, p)
                  .isCloseTo(want[p], org.assertj.core.data.Offset.offset(1e-5));
            }
          }
        }
      }
    }
  }

  @Test @DisplayName("no backward graph is built (recipro-cam needs none), the outputs keep the symbolic batch")
  void gradientFree(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("rc.onnx");
    compile(TestGraphs.write(model(false), dir, "tiny"), out, "predicted", Map.of());
    ModelProto m = ModelProto.parseFrom(Files.readAllBytes(out));
    assertThat(m.getGraph().getNodeList()).noneMatch(n -> n.getName().startsWith("xcam/b"));
    assertThat(m.getGraph().getNodeList()).anyMatch(n -> n.getOpType().equals("EyeLike"));
    var o = m.getGraph().getOutputList().stream().filter(v -> v.getName().equals("xcam_recipro_cam")).findFirst().orElseThrow();
    assertThat(o.getType().getTensorType().getShape().getDim(0).getDimParam()).isEqualTo("batch");
  }

  @Test @DisplayName("a fixed batch of 1 and bad options are refused in one line; nothing is written")
  void refusals(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("no.onnx");
    assertThatThrownBy(() -> compile(TestGraphs.write(model(true), dir, "fixed"), out, "predicted", Map.of()))
        .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("fixed batch of 1").hasMessageNotContaining("\n");
    assertThatThrownBy(() -> compile(TestGraphs.write(model(false), dir, "tiny"), out, "predicted", Map.of("kernel", "box")))
        .hasMessageContaining("kernel=box");
    assertThat(out).doesNotExist();
    assertThat(OnnxCompiler.refusal("recipro-cam")).isNull();
  }
}
