package org.xcam.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.xcam.engine.onnx.TestGraphs.i;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.Capability;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerHook;
import org.xcam.api.ModelInfo;
import org.xcam.api.OutputKind;
import org.xcam.api.Tensor;
import org.xcam.api.UnsupportedCapabilityException;
import org.xcam.engine.onnx.proto.OnnxProto.ModelProto;

/**
 * Loading never fails for lack of a cut (issue 12): graphs without a 4-D tensor, or without a clean one, load with
 * forward passes and input gradients; {@code output=} explains any [N, K] tensor; {@code outputs=} says what the
 * outputs are; and errors name the operator, the node and the layer and say what still works.
 */
class OnnxLoadingTest {
  static final Map<String, String> CPU = Map.of("device", "cpu");

  /** A model with no 4-D tensor: Flatten and Gemm straight from the input. */
  static Path flatModel(Path dir) {
    TestGraphs g = new TestGraphs(1, 1, 4, 4);
    g.nodes.clear();
    String flat = g.op("Flatten", "in", i("axis", 1));
    String y = g.op("Tanh", g.op("Gemm", List.of(flat, g.weight(1, 16, 3))));
    ModelProto.Builder b = g.model(y).toBuilder();
    b.getGraphBuilder().removeNode(0); // the Identity to "x" the builder puts first (a 4-D tensor)
    return TestGraphs.write(b.build(), dir, "flat");
  }

  @Test @DisplayName("A graph without 4-D tensors loads with FORWARD and INPUT_GRADIENT, no layers, and says why")
  void no4d(@TempDir Path dir) {
    try (OnnxModel m = OnnxModel.load(flatModel(dir), CPU)) {
      assertThat(m.capabilities()).contains(Capability.FORWARD, Capability.INPUT_GRADIENT).doesNotContain(Capability.LAYER_CUT, Capability.VJP);
      assertThat(m.info().layers()).isEmpty();
      assertThat(m.info().defaultLayer()).isNull();
      assertThat((String) m.info().extra().get(ModelInfo.NO_LAYERS_REASON)).contains("no 4-D float tensor");
      Tensor x = OperatorGradientTest.input(new int[] {1, 4, 4}, 3);
      Tensor y = m.forward(x);
      assertThat(y.shape()).containsExactly(2, 3);
      Tensor gy = FiniteDifferences.gaussian(y.shape(), 5, 1);
      Tensor grad = m.layer("input").vjp(x, gy);
      assertThat(FiniteDifferences.check(m::forward, x, gy, grad, Integer.MAX_VALUE, 2e-3, 1).maxRelError()).isLessThanOrEqualTo(2e-3);
      // a layer method is refused up front, saying why there is no layer and what runs instead
      assertThatThrownBy(() -> m.require(EnumSet.of(Capability.LAYER_CUT, Capability.VJP), "gradcam"))
          .isInstanceOf(UnsupportedCapabilityException.class)
          .hasMessageContaining("no layer to cut at").hasMessageContaining("no 4-D float tensor")
          .hasMessageContaining("rise").hasMessageContaining("saliency").hasMessageNotContaining("djl").hasMessageNotContaining("\n");
    }
  }

  @Test @DisplayName("A graph whose 4-D tensors are all bypassed (no clean cut) loads with forward passes and input gradients")
  void noCleanCut(@TempDir Path dir) {
    TestGraphs g = new TestGraphs(2, 2, 3, 3);
    String a = g.op("Gemm", List.of(g.op("Flatten", g.op("Relu", "x"), i("axis", 1)), g.weight(0.5, 18, 3)));
    String b = g.op("Gemm", List.of(g.op("Flatten", "in", i("axis", 1)), g.weight(0.5, 18, 3)));
    try (OnnxModel m = OnnxModel.load(TestGraphs.write(g.model(g.op("Add", List.of(a, b))), dir, "bypass"), CPU)) {
      assertThat(m.info().layers()).isEmpty();
      assertThat(m.capabilities()).contains(Capability.FORWARD, Capability.INPUT_GRADIENT).doesNotContain(Capability.LAYER_CUT);
      assertThat((String) m.info().extra().get(ModelInfo.NO_LAYERS_REASON)).contains("clean cut").contains("bypass");
      Tensor x = OperatorGradientTest.input(new int[] {2, 3, 3}, 4);
      Tensor gy = FiniteDifferences.gaussian(new int[] {2, 3}, 6, 1);
      Tensor grad = m.layer("input").vjp(x, gy);
      assertThat(FiniteDifferences.check(m::forward, x, gy, grad, Integer.MAX_VALUE, 2e-3, 1, 2e-3).maxRelError()).isLessThanOrEqualTo(2e-3);
    }
  }

  /** logits = Gemm(Flatten(Relu(x))), y = Selu(logits): post-processing without a rule after the logits. */
  static Path postProcessed(Path dir) {
    TestGraphs g = new TestGraphs(3, 2, 3, 3);
    String logits = g.op("Gemm", List.of(g.op("Flatten", g.op("Relu", "x"), i("axis", 1)), g.weight(0.5, 18, 4)));
    return TestGraphs.write(g.model(g.op("Selu", logits)), dir, "post");
  }

  @Test @DisplayName("An unsupported post-processing op: the error names operator, node and layer, suggests output= the logits, never --engine djl")
  void adviceNamesTheLogits(@TempDir Path dir) {
    Path f = postProcessed(dir);
    try (OnnxModel m = OnnxModel.load(f, CPU)) {
      assertThat(m.capabilities()).doesNotContain(Capability.VJP, Capability.INPUT_GRADIENT).contains(Capability.LAYER_CUT);
      assertThatThrownBy(() -> m.require(EnumSet.of(Capability.LAYER_CUT, Capability.VJP), "gradcam"))
          .isInstanceOf(UnsupportedCapabilityException.class)
          .hasMessageContaining("Selu").hasMessageContaining("node 'selu_")
          .hasMessageContaining("layer '" + m.info().defaultLayer() + "'")
          .hasMessageContaining("output=gemm_").hasMessageContaining("rise")
          .hasMessageNotContaining("djl").hasMessageNotContaining("\n");
      LayerHook h = m.layer("x");
      Tensor x = OperatorGradientTest.input(new int[] {2, 3, 3}, 1);
      assertThatThrownBy(() -> h.vjp(h.activation(x), Tensor.zeros(2, 4)))
          .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("Selu").hasMessageContaining("'x'")
          .hasMessageContaining("output=gemm_").hasMessageNotContaining("djl");
    }
  }

  @Test @DisplayName("output=TENSOR explains a tensor before the post-processing: gradients there exist and equal finite differences")
  void outputOption(@TempDir Path dir) {
    Path f = postProcessed(dir);
    String logits;
    try (OnnxModel m = OnnxModel.load(f, CPU)) {
      logits = m.graph.nodes.stream().filter(n -> n.getOpType().equals("Gemm")).findFirst().orElseThrow().getOutput(0);
    }
    try (OnnxModel m = OnnxModel.load(f, Map.of("device", "cpu", "output", logits))) {
      assertThat(m.capabilities()).contains(Capability.VJP, Capability.INPUT_GRADIENT, Capability.LAYER_CUT);
      assertThat(m.info().extra()).containsEntry("onnxOutput", logits);
      Tensor x = OperatorGradientTest.input(new int[] {2, 3, 3}, 1);
      Tensor gy = FiniteDifferences.gaussian(new int[] {2, 4}, 2, 1);
      Tensor grad = m.layer("input").vjp(x, gy);
      assertThat(FiniteDifferences.check(m::forward, x, gy, grad, Integer.MAX_VALUE, 2e-3, 1, 2e-3).maxRelError()).isLessThanOrEqualTo(2e-3);
    }
    assertThatThrownBy(() -> OnnxModel.load(f, Map.of("device", "cpu", "output", "gemm_9x")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("no tensor").hasMessageContaining("gemm_");
    assertThatThrownBy(() -> OnnxModel.load(f, Map.of("device", "cpu", "output", "x")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("[N, K]");
  }

  @Test @DisplayName("outputs=probabilities marks the model's outputs as probabilities; a bad value fails in one line")
  void outputsOption(@TempDir Path dir) {
    Path f = postProcessed(dir);
    try (OnnxModel m = OnnxModel.load(f, Map.of("device", "cpu", "outputs", "probabilities"))) {
      assertThat(m.info().outputs()).isEqualTo(OutputKind.PROBABILITIES);
    }
    try (OnnxModel m = OnnxModel.load(f, CPU)) {
      assertThat(m.info().outputs()).isEqualTo(OutputKind.LOGITS);
    }
    assertThatThrownBy(() -> OnnxModel.load(f, Map.of("device", "cpu", "outputs", "probs")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("probabilities");
  }

  @Test @DisplayName("Gradients through the index-only paths of mask indexing are supported: no unsupported operator on the path")
  void maskIndexingIsDifferentiable(@TempDir Path dir) {
    TestGraphs g = new TestGraphs(4, 2, 2, 2);
    String y = ExportOperatorGradientTest.opNorm(g);
    try (OnnxModel m = OnnxModel.load(TestGraphs.write(g.model(y), dir, "opnorm"), CPU)) {
      assertThat(m.capabilities()).contains(Capability.VJP, Capability.INPUT_GRADIENT);
      String out = m.graph.outputName();
      assertThat(Autodiff.firstUnsupported(m.graph, m.graph.closure(List.of(out), Set.of("x")), "x", out, m.types)).isNull();
    }
  }
}
