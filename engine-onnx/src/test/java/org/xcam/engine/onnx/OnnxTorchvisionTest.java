package org.xcam.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xcam.api.Capability;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerHook;
import org.xcam.api.TailGradient;
import org.xcam.api.Tensor;

/**
 * torchvision architectures exported by tools/gen_torchvision.py (random seeded weights) against PyTorch's own
 * logits and autograd input gradients. The tiny DenseNet and ResNet are committed; resnet18 and densenet121 run when
 * tools/.work/ holds them (generate with {@code python3 tools/gen_torchvision.py}), and are skipped otherwise.
 */
class OnnxTorchvisionTest {
  static Path tinyDir() {
    try {
      return Path.of(OnnxTorchvisionTest.class.getResource("/torchvision/densenet-tiny.onnx").toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** tools/.work relative to the module directory (Maven runs tests there) or the repository root. */
  static Path workDir() {
    for (Path p : List.of(Path.of("../tools/.work"), Path.of("tools/.work"))) if (Files.isDirectory(p)) return p;
    return Path.of("../tools/.work");
  }

  static Stream<String> tiny() { return Stream.of("densenet-tiny", "resnet-tiny"); }

  static Stream<String> big() { return Stream.of("resnet18", "densenet121"); }

  static Tensor npy(Path dir, String name, String what) { return Tensor.readNpy(dir.resolve(name + "." + what + ".npy")); }

  static double maxAbs(Tensor t) {
    double m = 0;
    for (int i = 0; i < t.size(); i++) m = Math.max(m, Math.abs(t.get(i)));
    return m;
  }

  /** Forward and input gradient against PyTorch; returns the model for further checks. */
  /**
   * Forward and input gradient against PyTorch. {@code maxRel} bounds the largest error relative to max|g|; on big
   * networks a ReLU pre-activation or max-pool pair within float rounding of a tie can flip between PyTorch (batch norm
   * separate) and ONNX (batch norm folded into the conv), moving the gradient at a few pixels, so there the bound is on
   * the norm: ||g - ref|| / ||ref|| <= {@code normRel}.
   */
  static void againstPyTorch(OnnxModel m, Path dir, String name, double maxRel, double normRel) {
    Tensor x = npy(dir, name, "input"), logits = npy(dir, name, "logits"), seed = npy(dir, name, "seed");
    Tensor g = npy(dir, name, "input_grad");
    Tensor y = m.forward(x);
    double yErr = y.maxAbsDiff(logits) / Math.max(1, maxAbs(logits));
    assertThat(yErr).as(name + " logits vs PyTorch").isLessThanOrEqualTo(1e-4);
    assertThat(m.capabilities()).contains(Capability.VJP, Capability.INPUT_GRADIENT);
    Tensor gi = m.layer("input").vjp(x, seed);
    double gErr = gi.maxAbsDiff(g) / maxAbs(g);
    double num = 0, den = 0;
    for (int i = 0; i < g.size(); i++) {
      double d = gi.get(i) - g.get(i);
      num += d * d;
      den += (double) g.get(i) * g.get(i);
    }
    double nErr = Math.sqrt(num / den);
    System.out.printf("%s: logits rel err %.2e, input gradient vs PyTorch autograd: max rel err %.2e, norm rel err %.2e%n",
        name, yErr, gErr, nErr);
    assertThat(gErr).as(name + " input gradient vs PyTorch autograd (max)").isLessThanOrEqualTo(maxRel);
    assertThat(nErr).as(name + " input gradient vs PyTorch autograd (norm)").isLessThanOrEqualTo(normRel);
  }

  @ParameterizedTest(name = "{0}") @MethodSource("tiny")
  @DisplayName("Committed tiny torchvision models: forward and input gradient equal PyTorch's, every cut round-trips")
  void tinyModels(String name) {
    Path dir = tinyDir();
    try (OnnxModel m = OnnxModel.load(dir.resolve(name + ".onnx"), Map.of("device", "cpu"))) {
      againstPyTorch(m, dir, name, 1e-4, 1e-5);
      Tensor x = npy(dir, name, "input");
      Tensor y = m.forward(x);
      Tensor seed = npy(dir, name, "seed");
      for (String l : m.info().layerNames()) {
        LayerHook h = m.layer(l);
        Tensor a = h.activation(x);
        assertThat(h.tail(a).maxAbsDiff(y)).as(l).isLessThanOrEqualTo(1e-5);
        TailGradient tg = h.tailWithGradient(a, out -> seed);
        assertThat(tg.gradient().maxAbsDiff(h.vjp(a, seed))).as(l).isLessThanOrEqualTo(1e-6);
      }
      // finite differences at the default layer and at the first layer (kinks skipped, see FiniteDifferences)
      for (String l : List.of(m.info().defaultLayer(), m.info().layerNames().get(0))) {
        LayerHook h = m.layer(l);
        Tensor a = FiniteDifferences.jitter(h.activation(x), 0.05, 3);
        Tensor g = h.vjp(a, seed);
        FiniteDifferences.Check c = FiniteDifferences.check(h::tail, a, seed, g, 48, 3e-3, 9, 2e-3);
        System.out.printf("%s FD at %s: max error %.2e over %d coordinates (%d at kinks)%n", name, l, c.maxRelError(),
            c.coordinates() - c.kinks(), c.kinks());
        assertThat(c.maxRelError()).as(l).isLessThanOrEqualTo(2e-3);
        assertThat(c.kinks()).isLessThanOrEqualTo(24);
      }
    }
  }

  @Test @DisplayName("A tensor inside a residual block is not a cut point, and the error names the skip connection")
  void insideResidualBlock() {
    try (OnnxModel m = OnnxModel.load(tinyDir().resolve("resnet-tiny.onnx"), Map.of("device", "cpu"))) {
      List<String> inside = new ArrayList<>();
      for (String t : m.graph.producedTensors()) {
        long[] s = m.shapes.get(t);
        if (s != null && s.length == 4 && !m.info().layerNames().contains(t)) inside.add(t);
      }
      assertThat(inside).isNotEmpty();
      assertThatThrownBy(() -> m.layer(inside.get(0))).isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("not a cut point").hasMessageContaining("skip connection");
      assertThat(m.info().defaultLayer()).contains("layer2");
    }
  }

  @ParameterizedTest(name = "{0}") @MethodSource("big")
  @DisplayName("resnet18 / densenet121 (when generated locally): forward, input gradient and default-layer VJP equal PyTorch and finite differences")
  void bigModels(String name) {
    Path dir = workDir();
    assumeTrue(Files.isRegularFile(dir.resolve(name + ".onnx")), name + " not generated; run python3 tools/gen_torchvision.py");
    try (OnnxModel m = OnnxModel.load(dir.resolve(name + ".onnx"), Map.of("device", "cpu"))) {
      againstPyTorch(m, dir, name, 5e-2, 1e-2);
      Tensor x = npy(dir, name, "input"), seed = npy(dir, name, "seed");
      LayerHook h = m.layer(m.info().defaultLayer());
      Tensor a = h.activation(x);
      assertThat(h.tail(a).maxAbsDiff(m.forward(x))).isLessThanOrEqualTo(1e-4 * Math.max(1, maxAbs(m.forward(x))));
      Tensor aj = FiniteDifferences.jitter(a, 0.05, 3);
      Tensor g = h.vjp(aj, seed);
      FiniteDifferences.Check c = FiniteDifferences.check(h::tail, aj, seed, g, 16, 1e-2, 9, 2e-3);
      System.out.printf("%s FD at %s: max error %.2e over %d coordinates (%d at kinks)%n", name, m.info().defaultLayer(),
          c.maxRelError(), c.coordinates() - c.kinks(), c.kinks());
      assertThat(c.maxRelError()).isLessThanOrEqualTo(2e-3);
    }
  }
}
