package org.xcam.plugins.gradient;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xcam.api.Capability;
import org.xcam.api.Explanation;
import org.xcam.api.InputSpec;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerInfo;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.Target;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.tck.fixtures.Reference;

/**
 * The maths alone against pytorch-grad-cam, with no engine: a stand-in model replays the activation and the gradient
 * pytorch recorded for reference input 0 (target class 1) at each layer, and every method's raw map must match the
 * library's reference map for that input (cosine >= 0.999, max diff <= 1e-3 after max-abs normalisation).
 */
@DisplayName("Method maths on pytorch's recorded activations and gradients vs pytorch-grad-cam")
class RecordedTensorsTest {

  /** Replays recorded tensors: head = the recorded activation, VJP = the recorded gradient times the seed's class-1 entry. */
  static final class Replay implements Model {
    private final String layer;
    private final Tensor act;
    private final Tensor grad;
    private final float[] logits;

    Replay(String layer) {
      this.layer = layer;
      this.act = Reference.tensor("phantom-small/tensors/" + layer + "/0.activation.npy").unsqueeze();
      this.grad = Reference.tensor("phantom-small/tensors/" + layer + "/0.gradient.npy").unsqueeze();
      @SuppressWarnings("unchecked")
      List<Number> l = (List<Number>) ((List<Map<String, Object>>) ((Map<String, Object>) Reference.logits()).get("logits")).get(0).get("logits");
      logits = new float[] {l.get(0).floatValue(), l.get(1).floatValue(), l.get(2).floatValue()};
    }

    @Override public ModelInfo info() {
      int[] s = act.shape();
      return new ModelInfo("replay", Task.MULTICLASS, List.of("normal", "nodule", "effusion"),
          new InputSpec(1, 64, 64, new float[] {0.5f}, new float[] {0.25f}),
          List.of(new LayerInfo(layer, new int[] {s[1], s[2], s[3]})), layer, "replay", "replay", Map.of());
    }

    @Override public Set<Capability> capabilities() { return EnumSet.of(Capability.FORWARD, Capability.LAYER_CUT, Capability.VJP); }

    @Override public Tensor forward(Tensor batch) { return Tensor.of(logits, 1, 3); }

    @Override public LayerHook layer(String name) {
      return new LayerHook() {
        @Override public String name() { return layer; }
        @Override public Tensor activation(Tensor input) { return act; }
        @Override public Tensor tail(Tensor activation) { return Tensor.of(logits, 1, 3); }
        @Override public Tensor vjp(Tensor activation, Tensor gradOutput) {
          float[] g = grad.toArray();
          float s = gradOutput.get(1);
          assertThat(gradOutput.get(0)).isZero();
          assertThat(gradOutput.get(2)).isZero();
          for (int i = 0; i < g.length; i++) g[i] *= s;
          return Tensor.wrap(g, grad.shape());
        }
      };
    }

    @Override public void close() { }
  }

  @ParameterizedTest(name = "{0} at {1}")
  @CsvSource({
      "gradcam, GradCAM, features.10", "gradcam, GradCAM, features.14",
      "gradcam-plusplus, GradCAMPlusPlus, features.10", "gradcam-plusplus, GradCAMPlusPlus, features.14",
      "hirescam, HiResCAM, features.10", "hirescam, HiResCAM, features.14",
      "xgradcam, XGradCAM, features.10", "xgradcam, XGradCAM, features.14",
      "layercam, LayerCAM, features.10", "layercam, LayerCAM, features.14",
      "gradcam-elementwise, GradCAMElementWise, features.10", "gradcam-elementwise, GradCAMElementWise, features.14",
      "eigencam, EigenCAM, features.10", "eigencam, EigenCAM, features.14"})
  @DisplayName("The raw map from pytorch's recorded A and dY/dA equals pytorch-grad-cam's (EigenCAM: either sign)")
  void matches(String method, String refName, String layer) {
    Explanation e = Fx.explain(method, new Replay(layer), Tensor.zeros(1, 1, 64, 64), Target.classIndex(1), Map.of());
    float[] got = e.raw().values();
    double[] c = Reference.compare(got, Reference.raw(layer, refName, 0).toArray());
    if (method.equals("eigencam")) {
      double[] alt = Reference.compare(got, Reference.tensor("phantom-small/refs/" + layer + "/EigenCAM/0.alt.npy").toArray());
      if (alt[0] > c[0]) c = alt;
    }
    System.out.printf("recorded tensors, %s at %s: cos %.8f, max diff %.2e%n", method, layer, c[0], c[1]);
    assertThat(c[0]).isGreaterThanOrEqualTo(0.999);
    assertThat(c[1]).isLessThanOrEqualTo(1e-3);
  }
}
