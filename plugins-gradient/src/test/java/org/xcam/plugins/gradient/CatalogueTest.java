package org.xcam.plugins.gradient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.LayerInfo;
import org.xcam.api.Model;
import org.xcam.api.Objective;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.api.UnsupportedCapabilityException;
import org.xcam.api.spi.EngineProvider;
import org.xcam.api.spi.Providers;
import org.xcam.tck.fixtures.Reference;

/**
 * Closed forms and independent cross-checks for the catalogue methods (the pytorch-grad-cam and Captum references are
 * in {@link DjlReferenceTest} and {@link CaptumReferenceTest}): the 2-channel 3x3 fixture of {@link Fx} worked by hand,
 * central finite differences, and one method against another where the mathematics says they coincide.
 */
class CatalogueTest {

  static Optional<Model> engine(String name) {
    return Providers.all(EngineProvider.class, CatalogueTest.class.getClassLoader()).stream().filter(e -> e.name().equals(name))
        .findFirst().map(e -> e.load(Reference.bundle(), name.equals("onnx") ? Map.of("device", "cpu") : Map.of()));
  }

  @Nested @DisplayName("FEM")
  class Fem {
    @Test @DisplayName("k = 1 on the hand-sized fixture: weights 1/9 (A0 > 2.105) and 2/9 (A1 > 1.943), map A0/9 + 2 A1/9")
    void closedForm() {
      // A0 = {1,2,0,0,3,1,2,0,1}: mean 10/9, population std sqrt(20/9 - 100/81) = 0.9938, threshold 2.105: only the 3
      // A1 = {0,1,1,2,0,0,1,1,3}: mean 1, std sqrt(17/9 - 1) = 0.9428, threshold 1.943: the 2 and the 3
      float[] raw = Fx.raw(Fx.explain("fem", Fx.model(), Fx.input(), Target.none(), Map.of("k", "1")));
      for (int p = 0; p < 9; p++) assertThat((double) raw[p]).as("cell %d", p).isCloseTo(Fx.A0[p] / 9.0 + 2 * Fx.A1[p] / 9.0, within(1e-6));
    }

    @Test @DisplayName("k = 2 (default): A0's threshold 3.099 keeps nothing, A1's 2.886 keeps the 3, so the map is A1 / 9")
    void defaultK() {
      float[] raw = Fx.raw(Fx.explain("fem", Fx.model(), Fx.input(), Target.none(), Map.of()));
      for (int p = 0; p < 9; p++) assertThat((double) raw[p]).as("cell %d", p).isCloseTo(Fx.A1[p] / 9.0, within(1e-6));
    }

    @Test @DisplayName("k = 3 on 9 positions: no value can lie 3 std above the mean (at most sqrt(8) = 2.83), the map is zero and says so")
    void allZero() {
      Explanation e = Fx.explain("fem", Fx.model(), Fx.input(), Target.none(), Map.of("k", "3"));
      assertThat(e.raw().max()).isZero();
      assertThat(e.notes()).anyMatch(n -> n.contains("constant"));
    }
  }

  @Nested @DisplayName("KPCA-CAM")
  class Kpca {
    @Test @DisplayName("With the linear kernel it is EigenCAM up to scale: the hand-worked 2x2 principal direction of the fixture")
    void linearIsEigenCam() {
      float[] raw = Fx.raw(Fx.explain("kpca-cam", Fx.model(), Fx.input(), Target.none(), Map.of("kernel", "linear")));
      double[] p = Fx.project2(Fx.toDouble(Fx.A0), Fx.toDouble(Fx.A1), true);
      double[] sum = new double[9];
      for (int i = 0; i < 9; i++) sum[i] = Fx.A0[i] + Fx.A1[i];
      if (Fx.corr(p, sum) < 0) for (int i = 0; i < 9; i++) p[i] = -p[i];
      // linear KPCA's projection sqrt(lambda) u is the principal projection itself (sigma u = M v), not just its direction
      for (int i = 0; i < 9; i++) assertThat((double) raw[i]).as("cell %d", i).isCloseTo(Math.max(0, p[i]), within(1e-5));
    }

    @Test @DisplayName("sign=sklearn reproduces pytorch-grad-cam's own sign (not just either sign) on all 12 references")
    void sklearnSign() {
      Optional<Model> m = engine("djl");
      org.junit.jupiter.api.Assumptions.assumeTrue(m.isPresent(), "engine-djl not on the class path");
      try (Model model = m.get()) {
        int n = 0;
        for (Map<String, Object> e : Reference.entries()) {
          if (!"kpca-cam".equals(e.get("method_cli"))) continue;
          int i = Integer.parseInt(((String) e.get("input")).replaceAll("\\D", ""));
          Explanation got = Fx.explainer("kpca-cam", Map.of("sign", "sklearn")).explain(model,
              ExplainRequest.builder(Reference.input(i)).target(Target.none()).layer((String) e.get("layer")).build()).get(0);
          double[] c = Reference.compare(got.raw().values(), Reference.tensor("phantom-small/" + e.get("ref")).toArray());
          assertThat(c[1]).as("%s input %d", e.get("layer"), i).isLessThan(1e-3);
          n++;
        }
        assertThat(n).isEqualTo(12);
      }
    }

    @Test @DisplayName("The kernel principal component is found the same way above the dense limit (power iteration) as below it")
    void powerIterationAgrees() {
      SplittableRandom r = new SplittableRandom(3);
      int n = 1100, d = 6;
      double[] x = new double[n * d];
      for (int p = 0; p < n; p++) {
        double blob = p % 37 < 5 ? 3 : 0; // a dominant direction, as real activations have
        for (int c = 0; c < d; c++) x[p * d + c] = blob * (c % 2 == 0 ? 1 : 0.5) + r.nextDouble() * 0.3;
      }
      double[] big = KpcaCam.projection(x, n, d, "sigmoid", 1.0 / d, 1, 3);
      double[] small = KpcaCam.projection(java.util.Arrays.copyOf(x, 1000 * d), 1000, d, "sigmoid", 1.0 / d, 1, 3);
      assertThat(big).hasSize(n);
      double norm = 0;
      for (double v : big) norm += v * v;
      assertThat(norm).isGreaterThan(0);
      // both are eigenvector projections of similar kernels: the blob positions dominate with one sign
      assertThat(Math.signum(big[0]) * Math.signum(big[1])).isLessThan(0.5 + Math.signum(big[0]) * Math.signum(small[0]) * Math.signum(small[1]));
    }
  }

  @Nested @DisplayName("Random-CAM")
  class RandomCamTest {
    @Test @DisplayName("ReLU(sum_c w_c A_c) with w uniform in [-1, 1] from the seed: the same seed the same map, another seed another")
    void seeded() {
      double[] w = RandomCam.weights(7, 2);
      for (double v : w) assertThat(v).isBetween(-1.0, 1.0);
      Explanation a = Fx.explainer("random-cam", Map.of()).explain(Fx.model(), ExplainRequest.builder(Fx.input()).seed(7).build()).get(0);
      Explanation b = Fx.explainer("random-cam", Map.of()).explain(Fx.model(), ExplainRequest.builder(Fx.input()).seed(7).build()).get(0);
      Explanation c = Fx.explainer("random-cam", Map.of()).explain(Fx.model(), ExplainRequest.builder(Fx.input()).seed(8).build()).get(0);
      for (int p = 0; p < 9; p++) assertThat((double) a.raw().values()[p]).isCloseTo(Math.max(0, w[0] * Fx.A0[p] + w[1] * Fx.A1[p]), within(1e-6));
      assertThat(a.raw().values()).containsExactly(b.raw().values());
      assertThat(RandomCam.weights(8, 2)).isNotEqualTo(w);
      assertThat(c.raw()).isNotNull();
    }
  }

  @Nested @DisplayName("Finer-CAM")
  class Finer {
    @Test @DisplayName("The contrast objective's gradient equals central finite differences of its value (softmax weights differentiated)")
    void gradient() {
      SplittableRandom r = new SplittableRandom(11);
      for (int trial = 0; trial < 20; trial++) {
        float[] y = new float[5];
        for (int i = 0; i < 5; i++) y[i] = (float) (r.nextDouble() * 6 - 3);
        Objective o = new FinerCam.Contrast(trial % 5, "t", new int[] {(trial + 1) % 5, (trial + 3) % 5}, trial % 2 == 0 ? 1 : 0.5);
        float[] g = o.gradient(y);
        for (int k = 0; k < 5; k++) {
          float[] up = y.clone(), dn = y.clone();
          double h = 1e-2;
          up[k] += (float) h;
          dn[k] -= (float) h;
          double fd = (o.value(up) - o.value(dn)) / ((double) up[k] - dn[k]);
          assertThat((double) g[k]).as("trial %d, output %d", trial, k).isCloseTo(fd, within(1e-3 * (1 + Math.abs(fd))));
        }
      }
    }

    @Test @DisplayName("Value by hand: logits (2, 1, 0), target 0 against classes 1 and 2: (p1 (2 - 1) + p2 (2 - 0)) / (p1 + p2)")
    void value() {
      double e0 = Math.exp(2), e1 = Math.exp(1), e2 = 1, s = e0 + e1 + e2;
      double p1 = e1 / s, p2 = e2 / s;
      Objective o = new FinerCam.Contrast(0, "t", new int[] {1, 2}, 1);
      assertThat(o.value(new float[] {2, 1, 0})).isCloseTo((p1 * 1 + p2 * 2) / (p1 + p2 + 1e-9), within(1e-12));
    }

    @Test @DisplayName("It picks the classes whose logits are closest to the target's (pytorch-grad-cam's ranks 1..n), capped at the others")
    void comparisons() {
      FinerCam f = new FinerCam("finer-cam", GradientCam.Common.DEFAULT, WeightedCam.Kind.GRADCAM, 3, 1);
      Objective o = f.refine(org.xcam.api.Objectives.logit(2, "c"), new float[] {5f, 0.5f, 1f, 4f}, Fx.model().info());
      assertThat(o.describe()).contains("[1, 3, 0]");
      Objective two = new FinerCam("finer-cam", GradientCam.Common.DEFAULT, WeightedCam.Kind.GRADCAM, 3, 1)
          .refine(org.xcam.api.Objectives.logit(0, "a"), new float[] {1f, 3f, 0f}, Fx.model().info());
      assertThat(two.describe()).contains("[2, 1]");
    }
  }

  @Nested @DisplayName("GradientSHAP")
  class Shap {
    @Test @DisplayName("Zero baselines and no noise on a model linear where the input is positive: every sample gives x * grad, so it equals gradient x input")
    void linearClosedForm() {
      Tensor x = Fx.input(); // positive where not zero: the identity 1x1 conv + ReLU is linear along every path point
      float[] shap = Fx.raw(Fx.explain("gradient-shap", Fx.model(), x, Target.classIndex(1),
          Map.of("baselines", "zeros", "sigma", "0", "samples", "7", "map", "signed")));
      float[] gxi = Fx.raw(Fx.explain("gradient-x-input", Fx.model(), x, Target.classIndex(1), Map.of("map", "signed")));
      assertThat(shap).hasSize(9);
      for (int p = 0; p < 9; p++) assertThat((double) shap[p]).as("cell %d", p).isCloseTo(gxi[p], within(1e-5));
    }

    @Test @DisplayName("The same seed gives the same map; a batch equals single calls; another seed another map")
    void seeded() {
      Optional<Model> m = engine("djl");
      org.junit.jupiter.api.Assumptions.assumeTrue(m.isPresent(), "engine-djl not on the class path");
      try (Model model = m.get()) {
        Tensor two = Tensor.stack(List.of(Reference.input(0), Reference.input(1)));
        List<Explanation> batch = Fx.explainer("gradient-shap", Map.of("samples", "6")).explain(model,
            ExplainRequest.builder(two).target(Target.classIndex(1)).seed(5).build());
        Explanation single = Fx.explainer("gradient-shap", Map.of("samples", "6")).explain(model,
            ExplainRequest.builder(Reference.input(1).unsqueeze()).target(Target.classIndex(1)).seed(5).build()).get(0);
        Explanation other = Fx.explainer("gradient-shap", Map.of("samples", "6")).explain(model,
            ExplainRequest.builder(Reference.input(1).unsqueeze()).target(Target.classIndex(1)).seed(6).build()).get(0);
        assertThat(Reference.compare(batch.get(1).raw().values(), single.raw().values())[1]).isLessThan(1e-5);
        assertThat(Reference.compare(other.raw().values(), single.raw().values())[1]).isGreaterThan(1e-3);
      }
    }
  }

  @Nested @DisplayName("Capabilities")
  class Capabilities {
    @Test @DisplayName("On DJL the swapped-rule and bias-gradient methods fail up front, naming the capability the engine lacks")
    void djlRefuses() {
      Optional<Model> m = engine("djl");
      org.junit.jupiter.api.Assumptions.assumeTrue(m.isPresent(), "engine-djl not on the class path");
      try (Model model = m.get()) {
        for (String[] mc : new String[][] {{"guided-backprop", "MODIFIED_BACKWARD"}, {"deeplift", "MODIFIED_BACKWARD"},
            {"guided-gradcam", "MODIFIED_BACKWARD"}, {"fullgrad", "BIAS_GRADIENTS"}}) {
          org.xcam.api.CountingModel counted = new org.xcam.api.CountingModel(model);
          assertThatThrownBy(() -> Fx.explain(mc[0], counted, Reference.input(0).unsqueeze(), Target.predicted(), Map.of()))
              .as(mc[0]).isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining(mc[1]);
          assertThat(counted.passes().total()).as("%s passes before refusing", mc[0]).isZero();
        }
      }
    }

    @Test @DisplayName("shapleycam hvp=exact on an engine without the product fails up front; auto falls back to the finite difference and says so")
    void shapleyFallback() {
      Model restricted = new org.xcam.tck.fixtures.RestrictedModel(Fx.model(),
          java.util.EnumSet.of(org.xcam.api.Capability.FORWARD, org.xcam.api.Capability.LAYER_CUT, org.xcam.api.Capability.VJP));
      assertThatThrownBy(() -> Fx.explain("shapleycam", restricted, Fx.input(), Target.classIndex(0), Map.of("hvp", "exact")))
          .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("HESSIAN_VECTOR_PRODUCT");
      Explanation e = Fx.explain("shapleycam", restricted, Fx.input(), Target.classIndex(0), Map.of());
      assertThat(e.extras().get("hvp")).isEqualTo("finite-difference");
      assertThat(e.notes()).anyMatch(n -> n.contains("finite difference"));
    }
  }

  /** Input-level methods name the input as their raw map's layer. */
  static boolean atInput(Explanation e) { return LayerInfo.INPUT.equals(e.raw().layer()); }

  static List<Float> list(float[] v) {
    List<Float> l = new ArrayList<>();
    for (float f : v) l.add(f);
    return l;
  }
}
