package org.xcam.plugins.gradient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xcam.api.CountingModel;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.Passes;
import org.xcam.api.Target;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.api.UnknownNameException;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.api.spi.Providers;
import org.xcam.tck.fixtures.PoolLinearModel;

@DisplayName("The shared core: registration, passes, batching, targets, guards, fusion")
class CoreTest {
  static final List<String> ALL = List.of("gradcam", "gradcam-plusplus", "hirescam", "gradcam-elementwise", "xgradcam",
      "layercam", "eigencam", "eigengradcam", "hessian-ciam", "gg-cam", "smooth-gradcam-plusplus", "shapleycam",
      "saliency", "gradient-x-input", "integrated-gradients", "smoothgrad", "kpca-cam", "fem", "finer-cam", "random-cam",
      "fullgrad", "guided-backprop", "guided-gradcam", "deeplift", "gradient-shap", "attention-rollout", "gradient-rollout");

  @Nested
  @DisplayName("Registration")
  class Registration {
    @Test
    @DisplayName("All twenty-seven methods are found through ServiceLoader, with a cost and valid option defaults")
    void allRegistered() {
      Set<String> names = new TreeSet<>();
      for (ExplainerProvider p : Providers.all(ExplainerProvider.class, getClass().getClassLoader())) {
        if (!p.getClass().getName().startsWith("org.xcam.plugins.gradient")) continue;
        names.add(p.name());
        assertThat(p.cost()).isNotEqualTo("unspecified");
        assertThat(p.description()).isNotBlank();
        assertThat(p.create(org.xcam.api.Options.defaults(p.name(), p.options()))).isNotNull();
      }
      assertThat(names).containsExactlyInAnyOrderElementsOf(ALL);
      assertThat(Fx.provider("hessian-ciam").categoryIndependent()).isTrue();
      assertThat(Fx.provider("gradcam").categoryIndependent()).isFalse();
      assertThat(Fx.provider("saliency").layerBased()).isFalse();
      for (String m : List.of("kpca-cam", "fem", "random-cam")) assertThat(Fx.provider(m).categoryIndependent()).as(m).isTrue();
      for (String m : List.of("fullgrad", "guided-backprop", "deeplift", "gradient-shap")) assertThat(Fx.provider(m).layerBased()).as(m).isFalse();
    }

    @Test
    @DisplayName("An unknown option names the method's options")
    void unknownOption() {
      assertThatThrownBy(() -> Fx.explainer("gradcam", Map.of("eigen-smoth", "true")))
          .isInstanceOf(UnknownNameException.class).hasMessageContaining("eigen-smooth");
    }
  }

  @Nested
  @DisplayName("Passes")
  class PassCounts {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gradcam", "gradcam-plusplus", "hirescam", "gradcam-elementwise", "xgradcam", "layercam",
        "eigengradcam", "gg-cam", "hessian-ciam", "shapleycam", "smooth-gradcam-plusplus", "saliency", "gradient-x-input",
        "integrated-gradients", "smoothgrad"})
    @DisplayName("Gradient methods cost exactly one head, one tail and one VJP for a batch of three images (batch-size 0: one call)")
    void single(String method) {
      CountingModel m = new CountingModel(Fx.model());
      Tensor x = batch3();
      List<Explanation> out = Fx.explainAll(method, m, ExplainRequest.builder(x).target(Target.predicted()).build(),
          method.equals("integrated-gradients") ? Map.of("batch-size", "0", "tolerance", "0") : Map.of("batch-size", "0"));
      assertThat(out).hasSize(3);
      assertThat(m.passes()).isEqualTo(new Passes(0, 1, 1, 1));
      assertThat(out.get(0).passes()).isEqualTo(new Passes(0, 1, 1, 1));
    }

    @Test
    @DisplayName("EigenCAM costs one head and one tail (the score), no VJP")
    void eigencam() {
      CountingModel m = new CountingModel(Fx.model());
      Fx.explainAll("eigencam", m, ExplainRequest.builder(batch3()).build(), Map.of());
      assertThat(m.passes()).isEqualTo(new Passes(0, 1, 1, 0));
    }

    @Test
    @DisplayName("Rows beyond batch-size are split into chunks, targets resolved by one extra tail, maps unchanged")
    void chunks() {
      CountingModel m = new CountingModel(Fx.model());
      ExplainRequest r = ExplainRequest.builder(batch3()).target(Target.predicted()).build();
      List<Explanation> a = Fx.explainAll("smoothgrad", m, r, Map.of("batch-size", "10", "samples", "5"));
      assertThat(m.passes()).isEqualTo(new Passes(0, 1, 1 + 2, 2)); // 18 rows: 2 chunks
      List<Explanation> b = Fx.explainAll("smoothgrad", Fx.model(), r, Map.of("samples", "5"));
      for (int i = 0; i < 3; i++) assertThat(a.get(i).raw().values()).containsExactly(b.get(i).raw().values());
    }

    @Test
    @DisplayName("A pass budget smaller than the cost stops the call before any pass")
    void budget() {
      CountingModel m = new CountingModel(Fx.model());
      ExplainRequest r = ExplainRequest.builder(batch3()).maxPasses(2).build();
      assertThatThrownBy(() -> Fx.explainAll("gradcam", m, r, Map.of())).isInstanceOf(org.xcam.api.CancelledException.class)
          .hasMessageContaining("budget");
    }
  }

  @Nested
  @DisplayName("Batches and targets")
  class Targets {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gradcam", "gradcam-plusplus", "xgradcam", "eigencam", "hessian-ciam", "smooth-gradcam-plusplus",
        "integrated-gradients", "smoothgrad", "gg-cam"})
    @DisplayName("A batch of three images gives the same maps as three single calls")
    void batchEqualsSingles(String method) {
      Tensor x = batch3();
      List<Explanation> batch = Fx.explainAll(method, Fx.model(), ExplainRequest.builder(x).target(Target.classIndex(1)).seed(3).build(), Map.of());
      for (int i = 0; i < 3; i++) {
        Explanation one = Fx.explainAll(method, Fx.model(), ExplainRequest.builder(x.item(i)).target(Target.classIndex(1)).seed(3).build(), Map.of()).get(0);
        float[] a = batch.get(i).raw().values(), b = one.raw().values();
        for (int p = 0; p < a.length; p++) assertThat(a[p]).isCloseTo(b[p], within(1e-6f));
        assertThat(batch.get(i).index()).isEqualTo(i);
      }
    }

    @Test
    @DisplayName("Per-image targets: each image is explained for its own class; predicted resolves to the arg-max")
    void perImageTargets() {
      Tensor x = batch3();
      List<Explanation> out = Fx.explainAll("gradcam", Fx.model(), ExplainRequest.builder(x)
          .targets(List.of(Target.classIndex(0), Target.classIndex(2), Target.predicted())).build(), Map.of());
      assertThat(out).extracting(Explanation::classIndex).containsExactly(0, 2, 1);
      Explanation c0 = Fx.explain("gradcam", Fx.model(), x.item(0), Target.classIndex(0), Map.of());
      assertThat(out.get(0).raw().values()).containsExactly(c0.raw().values());
      assertThat(out.get(0).score()).isCloseTo(Fx.logits(Fx.P)[0], within(1e-5));
    }

    @Test
    @DisplayName("Multilabel 'all': one map per positive label, batched (1 head, 2 tails, 1 VJP), each equal to its single-class map")
    void allPositives() {
      PoolLinearModel model = Fx.model(Fx.P, Task.MULTILABEL);
      CountingModel m = new CountingModel(model);
      // sigmoid(y) > 0.5 for y > 0: y = (0.1, 3.05, -0.35) -> classes 0 and 1
      List<Explanation> out = Fx.explainAll("hirescam", m, ExplainRequest.builder(Fx.input()).target(Target.aboveThreshold(0.5)).build(), Map.of());
      assertThat(out).extracting(Explanation::classIndex).containsExactly(0, 1);
      assertThat(m.passes()).isEqualTo(new Passes(0, 1, 2, 1));
      for (Explanation e : out) {
        Explanation one = Fx.explain("hirescam", model, Fx.input(), Target.classIndex(e.classIndex()), Map.of());
        assertThat(e.raw().values()).containsExactly(one.raw().values());
      }
    }

    @Test
    @DisplayName("A regression target explains the raw output")
    void regression() {
      PoolLinearModel model = Fx.model(Fx.P, Task.REGRESSION);
      Explanation e = Fx.explain("hirescam", model, Fx.input(), Target.regression(0), Map.of());
      assertThat(e.raw().values()).containsExactly(0.1f, 0.1f, 0f, 0f, 0.6f, 0f, 0.1f, 0f, 0f);
    }

    @Test
    @DisplayName("A target index out of range fails with a one-line message naming the range")
    void badTarget() {
      assertThatThrownBy(() -> Fx.explain("gradcam", Fx.model(), Fx.input(), Target.classIndex(7), Map.of()))
          .isInstanceOf(org.xcam.api.InvalidInputException.class).hasMessageContaining("0..2");
    }
  }

  @Nested
  @DisplayName("Guards")
  class Guards {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gradcam", "gradcam-plusplus", "hirescam", "gradcam-elementwise", "xgradcam", "layercam",
        "eigencam", "eigengradcam", "hessian-ciam", "gg-cam", "smooth-gradcam-plusplus", "shapleycam", "saliency",
        "gradient-x-input", "integrated-gradients", "smoothgrad"})
    @DisplayName("An all-zero activation gives an all-zero map (noted), never NaN")
    void zeros(String method) {
      Tensor x = Tensor.zeros(1, 2, 3, 3);
      Explanation e = Fx.explain(method, Fx.model(), x, Target.classIndex(0), Map.of("sigma", "0").entrySet().stream()
          .filter(en -> Fx.provider(method).options().stream().anyMatch(o -> o.name().equals(en.getKey())))
          .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
      for (float v : e.raw().values()) assertThat(v).isEqualTo(0f);
      for (float v : e.map().values()) assertThat(v).isEqualTo(0f);
      assertThat(e.notes()).anyMatch(n -> n.contains("constant"));
    }

    @Test
    @DisplayName("aug-smooth cannot be combined with methods that already average over noise")
    void augWithNoise() {
      assertThatThrownBy(() -> Fx.explain("smoothgrad", Fx.model(), Fx.input(), Target.predicted(), Map.of("aug-smooth", "true")))
          .hasMessageContaining("aug-smooth");
    }
  }

  @Nested
  @DisplayName("Smoothing and fusion options")
  class Smoothing {
    @Test
    @DisplayName("Smooth Grad-CAM++ and SmoothGrad with sigma 0 equal Grad-CAM++ and saliency")
    void zeroNoise() {
      float[] a = Fx.raw(Fx.explain("smooth-gradcam-plusplus", Fx.model(), Fx.input(), Target.classIndex(1), Map.of("sigma", "0", "samples", "4")));
      float[] b = Fx.raw(Fx.explain("gradcam-plusplus", Fx.model(), Fx.input(), Target.classIndex(1), Map.of()));
      for (int p = 0; p < 9; p++) assertThat(a[p]).isCloseTo(b[p], within(1e-6f));
      float[] c = Fx.raw(Fx.explain("smoothgrad", Fx.model(), Fx.input(), Target.classIndex(1), Map.of("sigma", "0", "samples", "4")));
      float[] d = Fx.raw(Fx.explain("saliency", Fx.model(), Fx.input(), Target.classIndex(1), Map.of()));
      for (int p = 0; p < 9; p++) assertThat(c[p]).isCloseTo(d[p], within(1e-6f));
    }

    @Test
    @DisplayName("The same seed gives the same noisy map; another seed another one")
    void seeded() {
      Tensor x = Fx.input();
      float[] a = Fx.explainAll("smoothgrad", nonlinear(), ExplainRequest.builder(x).seed(1).build(), Map.of()).get(0).raw().values();
      float[] b = Fx.explainAll("smoothgrad", nonlinear(), ExplainRequest.builder(x).seed(1).build(), Map.of()).get(0).raw().values();
      float[] c = Fx.explainAll("smoothgrad", nonlinear(), ExplainRequest.builder(x).seed(2).build(), Map.of()).get(0).raw().values();
      assertThat(a).containsExactly(b);
      assertThat(a).isNotEqualTo(c);
    }

    @Test
    @DisplayName("aug-smooth on a flip-symmetric, intensity-homogeneous case equals the plain map (after min-max)")
    void augSmooth() {
      // Pooling and activation symmetric under a horizontal flip; the map scales linearly with intensity.
      float[] sym = {0.1f, 0.2f, 0.1f, 0.05f, 0.1f, 0.05f, 0.1f, 0.2f, 0.1f};
      PoolLinearModel m = new PoolLinearModel(new float[][] {{1, 0}, {0, 1}}, new float[] {0, 0}, sym, Fx.WFC, new float[] {0, 0, 0}, 3, 3, Task.MULTICLASS);
      float[] x = {1, 2, 1, 0, 3, 0, 2, 0, 2, 0, 1, 0, 2, 0, 2, 1, 1, 1};
      Tensor in = Tensor.wrap(x, 1, 2, 3, 3);
      CountingModel counted = new CountingModel(m);
      Explanation s = Fx.explain("hirescam", counted, in, Target.classIndex(1), Map.of("aug-smooth", "true"));
      assertThat(counted.passes()).isEqualTo(new Passes(0, 1, 1, 1));
      Explanation p = Fx.explain("hirescam", m, in, Target.classIndex(1), Map.of());
      float[] a = s.map().values(), b = p.map().values();
      for (int i = 0; i < a.length; i++) assertThat(a[i]).isCloseTo(b[i], within(1e-5f));
    }

    @Test
    @DisplayName("Several layers: the mean (or max) of the per-layer min-max normalised maps at input resolution")
    void fusion() {
      PoolLinearModel m = Fx.model();
      Tensor x = Fx.input();
      float[] f = Fx.explainAll("gradient-x-input", m, ExplainRequest.builder(x).target(Target.classIndex(1)).layers(List.of("features", "input")).build(), Map.of())
          .get(0).raw().values();
      float[] mx = Fx.explainAll("gradient-x-input", m, ExplainRequest.builder(x).target(Target.classIndex(1)).layers(List.of("features", "input")).build(), Map.of("fusion", "max"))
          .get(0).raw().values();
      float[] l1 = Fx.explainAll("gradient-x-input", m, ExplainRequest.builder(x).target(Target.classIndex(1)).layer("features").build(), Map.of()).get(0).map().values();
      float[] l2 = Fx.explainAll("gradient-x-input", m, ExplainRequest.builder(x).target(Target.classIndex(1)).layer("input").build(), Map.of()).get(0).map().values();
      for (int p = 0; p < 9; p++) {
        assertThat(f[p]).isCloseTo((l1[p] + l2[p]) / 2, within(1e-6f));
        assertThat(mx[p]).isCloseTo(Math.max(l1[p], l2[p]), within(1e-6f));
      }
    }
  }

  /** Three different images for the fixture model (non-negative, so the activation is the input). */
  static Tensor batch3() {
    List<Tensor> items = new ArrayList<>();
    items.add(Fx.input().item(0));
    float[] b = Fx.input().toArray();
    for (int i = 0; i < b.length; i++) b[i] = (b[i] + i % 4) * 0.5f;
    items.add(Tensor.wrap(b, 2, 3, 3));
    float[] c = Fx.input().toArray();
    for (int i = 0; i < c.length; i++) c[i] = 3 - c[i] + (i % 3);
    items.add(Tensor.wrap(c, 2, 3, 3));
    return Tensor.stack(items);
  }

  /** A model whose input ReLU matters: mixing 1x1 conv with biases, so gradients change with the input. */
  static PoolLinearModel nonlinear() {
    return new PoolLinearModel(new float[][] {{1, -0.5f}, {-0.7f, 1}, {0.3f, 0.4f}}, new float[] {-0.8f, 0.2f, -1.1f},
        Fx.P, new float[][] {{1, -1, 0.5f}, {0.5f, 2, -1}, {-1, 0.5f, 1}}, new float[] {0, 0, 0}, 3, 3, Task.MULTICLASS);
  }
}
