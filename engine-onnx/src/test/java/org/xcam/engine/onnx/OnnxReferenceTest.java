package org.xcam.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xcam.api.Capability;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerInfo;
import org.xcam.api.TailGradient;
import org.xcam.api.Tensor;

/** The ONNX engine on the shared phantom-small bundle, against TorchScript / pytorch-grad-cam reference data. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OnnxReferenceTest {
  OnnxModel bundle;
  OnnxModel plain;
  Tensor x;

  @BeforeAll void load() {
    bundle = OnnxModel.load(Ref.bundle(), Map.of("device", "cpu"));
    plain = OnnxModel.load(Ref.onnx(), Map.of("device", "cpu"));
    x = Ref.inputs();
  }

  @AfterAll void close() {
    bundle.close();
    plain.close();
  }

  static Tensor oneHot(int n, int k, int[] cls) {
    float[] g = new float[n * k];
    for (int i = 0; i < n; i++) g[i * k + cls[i]] = 1f;
    return Tensor.wrap(g, n, k);
  }

  static double dot(Tensor a, Tensor b) {
    double s = 0;
    for (int i = 0; i < a.size(); i++) s += (double) a.get(i) * b.get(i);
    return s;
  }

  static Tensor axpy(Tensor a, double h, Tensor v) {
    float[] r = a.toArray();
    for (int i = 0; i < r.length; i++) r[i] += (float) (h * v.get(i));
    return Tensor.wrap(r, a.shape());
  }

  static Tensor gaussian(int[] shape, long seed) {
    int n = 1;
    for (int s : shape) n *= s;
    float[] r = new float[n];
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) r[i] = (float) rnd.nextGaussian();
    return Tensor.wrap(r, shape);
  }

  @Nested @DisplayName("Loading")
  class Loading {
    @Test @DisplayName("The bundle's layers are the manifest's, with the activation shapes of the ONNX tensors")
    void layers() {
      assertThat(bundle.info().layerNames()).containsExactly("features.10", "features.14");
      assertThat(bundle.info().layer("features.10").shape()).containsExactly(48, 16, 16);
      assertThat(bundle.info().layer("features.14").shape()).containsExactly(64, 8, 8);
      assertThat(bundle.info().defaultLayer()).isEqualTo("features.14");
      assertThat(bundle.info().engine()).isEqualTo("onnx");
      assertThat(bundle.capabilities()).contains(Capability.FORWARD, Capability.LAYER_CUT, Capability.VJP, Capability.INPUT_GRADIENT);
      assertThat(bundle.device()).isEqualTo("cpu");
    }

    @Test @DisplayName("A plain file lists its 4-D tensors and defaults to the last one before global pooling")
    void plainLayers() {
      List<String> names = plain.info().layerNames();
      assertThat(names).hasSize(12).contains("/features/features.10/Relu_output_0", "/features/features.14/Relu_output_0");
      assertThat(plain.info().defaultLayer()).isEqualTo("/features/features.14/Relu_output_0");
      assertThat(plain.info().labels()).containsExactly("class 0", "class 1", "class 2");
    }
  }

  @Nested @DisplayName("Forward and cuts")
  class Forward {
    @Test @DisplayName("The ONNX forward equals the TorchScript logits within 1e-4")
    void logits() {
      Tensor y = bundle.forward(x);
      float[][] ref = Ref.logits();
      assertThat(y.shape()).containsExactly(6, 3);
      for (int i = 0; i < 6; i++) for (int k = 0; k < 3; k++) assertThat(y.get(i, k)).isCloseTo(ref[i][k], within(1e-4f));
    }

    @Test @DisplayName("tail(head(x)) equals forward(x) for every 4-D tensor of the graph, batched")
    void everyCut() {
      Tensor y = plain.forward(x);
      for (String l : plain.info().layerNames()) {
        LayerHook h = plain.layer(l);
        Tensor a = h.activation(x);
        assertThat(a.dim(0)).isEqualTo(6);
        assertThat(h.tail(a).maxAbsDiff(y)).as(l).isLessThanOrEqualTo(1e-5);
      }
    }

    @ParameterizedTest @ValueSource(strings = {"features.10", "features.14"})
    @DisplayName("The activation at a manifest layer equals PyTorch's")
    void activation(String layer) {
      Tensor a = bundle.layer(layer).activation(Ref.input(0));
      Tensor ref = Ref.activation(layer);
      assertThat(a.reshape(ref.shape()).maxAbsDiff(ref)).isLessThanOrEqualTo(1e-4);
    }
  }

  @Nested @DisplayName("Gradients")
  class Gradients {
    @ParameterizedTest @ValueSource(strings = {"features.10", "features.14"})
    @DisplayName("The VJP of the target logit equals PyTorch's gradient at the layer")
    void referenceGradient(String layer) {
      LayerHook h = bundle.layer(layer);
      Tensor a = h.activation(Ref.input(0));
      Tensor g = h.vjp(a, oneHot(1, 3, new int[] {Ref.targetClass(0)}));
      Tensor ref = Ref.gradient(layer);
      double scale = 0;
      for (int i = 0; i < ref.size(); i++) scale = Math.max(scale, Math.abs(ref.get(i)));
      assertThat(g.reshape(ref.shape()).maxAbsDiff(ref) / scale).isLessThanOrEqualTo(1e-4);
    }

    @ParameterizedTest @ValueSource(strings = {"features.10", "features.14", "input"})
    @DisplayName("The VJP equals central finite differences (64 coordinates per layer, all six inputs)")
    void finiteDifferences(String layer) {
      LayerHook h = bundle.layer(layer);
      // a point without ties: post-ReLU zeros make max-pool non-differentiable, which no difference quotient resolves
      Tensor a = layer.equals("input") ? x : FiniteDifferences.jitter(h.activation(x), 0.05, 5);
      Tensor gy = gaussian(new int[] {6, 3}, 11);
      Tensor g = h.vjp(a, gy);
      FiniteDifferences.Check c = FiniteDifferences.check(h::tail, a, gy, g, 64, 3e-3, 3, 2e-3);
      System.out.printf("FD %s: max error %.2e (relative to max|g| %.3g) over %d coordinates, %d skipped at kinks%n",
          layer, c.maxRelError(), c.maxAbsGrad(), c.coordinates() - c.kinks(), c.kinks());
      assertThat(c.maxRelError()).isLessThanOrEqualTo(2e-3);
      assertThat(c.kinks()).as("coordinates at kinks").isLessThanOrEqualTo(32);
    }

    @ParameterizedTest @ValueSource(strings = {"features.10", "features.14", "input"})
    @DisplayName("tailWithGradient gives tail(a) and the VJP of the seed computed from it")
    void fused(String layer) {
      LayerHook h = bundle.layer(layer);
      Tensor a = h.activation(x);
      Tensor y = h.tail(a);
      TailGradient tg = h.tailWithGradient(a, out -> {
        // softmax probability of class 1: a seed that depends on the output
        float[] g = new float[out.size()];
        for (int i = 0; i < out.dim(0); i++) {
          double m = Math.max(out.get(i, 0), Math.max(out.get(i, 1), out.get(i, 2)));
          double s = 0;
          double[] e = new double[3];
          for (int k = 0; k < 3; k++) s += e[k] = Math.exp(out.get(i, k) - m);
          double p = e[1] / s;
          for (int k = 0; k < 3; k++) g[i * 3 + k] = (float) (p * ((k == 1 ? 1 : 0) - e[k] / s));
        }
        return Tensor.wrap(g, out.shape());
      });
      assertThat(tg.output().maxAbsDiff(y)).isLessThanOrEqualTo(1e-5);
      float[] seed = new float[18];
      for (int i = 0; i < 6; i++) {
        double m = Math.max(y.get(i, 0), Math.max(y.get(i, 1), y.get(i, 2)));
        double s = 0;
        double[] e = new double[3];
        for (int k = 0; k < 3; k++) s += e[k] = Math.exp(y.get(i, k) - m);
        for (int k = 0; k < 3; k++) seed[i * 3 + k] = (float) (e[1] / s * ((k == 1 ? 1 : 0) - e[k] / s));
      }
      Tensor g = h.vjp(a, Tensor.wrap(seed, 6, 3));
      assertThat(tg.gradient().maxAbsDiff(g)).isLessThanOrEqualTo(1e-6);
      TailGradient one = ((OnnxLayer) h).tailAndVjp(a, Tensor.wrap(seed, 6, 3));
      assertThat(one.gradient().maxAbsDiff(g)).isLessThanOrEqualTo(1e-6);
      assertThat(one.output().maxAbsDiff(y)).isLessThanOrEqualTo(1e-5);
    }

    @ParameterizedTest @ValueSource(strings = {"features.10", "features.14"})
    @DisplayName("Grad-CAM from the ONNX activation and gradient equals pytorch-grad-cam on all six inputs")
    void gradCam(String layer) {
      LayerHook h = bundle.layer(layer);
      Tensor a = h.activation(x);
      int[] cls = new int[6];
      for (int i = 0; i < 6; i++) cls[i] = Ref.targetClass(i);
      Tensor g = h.vjp(a, oneHot(6, 3, cls));
      int c = a.dim(1), hw = a.dim(2) * a.dim(3);
      for (int i = 0; i < 6; i++) {
        float[] cam = new float[hw];
        for (int k = 0; k < c; k++) {
          double w = 0;
          int off = (i * c + k) * hw;
          for (int p = 0; p < hw; p++) w += g.get(off + p);
          w /= hw;
          for (int p = 0; p < hw; p++) cam[p] += (float) (w * a.get(off + p));
        }
        for (int p = 0; p < hw; p++) cam[p] = Math.max(0, cam[p]);
        double[] cmp = Ref.compare(cam, Ref.gradCam(layer, i).toArray());
        assertThat(cmp[0]).as("cosine, input " + i).isGreaterThanOrEqualTo(0.999);
        assertThat(cmp[1]).as("max diff, input " + i).isLessThanOrEqualTo(1e-3);
      }
    }
  }
}
