package org.xcam.plugins.gradient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xcam.api.CountingModel;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.Model;
import org.xcam.api.Passes;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.api.spi.EngineProvider;
import org.xcam.api.spi.Providers;
import org.xcam.tck.fixtures.Reference;

/**
 * The family on a real network through the DJL engine: the pytorch-grad-cam reference maps (phantom-small bundle,
 * six inputs, layers features.10 and features.14), integrated-gradients completeness, input gradients against finite
 * differences and Hessian-CIAM's finite-difference HVP against a finite difference of the objective itself.
 */
@DisplayName("Through the DJL engine on the pytorch-grad-cam reference bundle")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DjlReferenceTest {
  private static final Set<String> MINE = Set.of("gradcam", "gradcam-plusplus", "hirescam", "xgradcam", "layercam",
      "gradcam-elementwise", "eigencam", "eigengradcam", "shapleycam", "kpca-cam", "fem", "finer-cam", "fullgrad");
  private Model model;

  @BeforeAll
  void load() {
    Optional<EngineProvider> djl = Providers.all(EngineProvider.class, getClass().getClassLoader()).stream()
        .filter(e -> e.name().equals("djl")).findFirst();
    Assumptions.assumeTrue(djl.isPresent(), "engine-djl is not on the test class path yet");
    model = djl.get().load(Reference.bundle(), Map.of());
  }

  @AfterAll
  void close() {
    if (model != null) model.close();
  }

  private static Tensor inputs() {
    List<Tensor> xs = new ArrayList<>();
    for (int i = 0; i < 6; i++) xs.add(Reference.input(i));
    return Tensor.stack(xs);
  }

  private static int inputIndex(Map<String, Object> e) {
    String f = (String) e.get("input");
    return Integer.parseInt(f.substring(f.lastIndexOf('/') + 1, f.indexOf(".npy")));
  }

  @Test
  @DisplayName("Every pytorch-grad-cam reference of a method we implement matches: cosine >= 0.999, max diff <= 1e-3 (EigenCAM up to sign)")
  void references() {
    assertThat(checkReferences(model)).isEqualTo(12 * 12); // every method but FullGrad (bias gradients: ONNX only)
  }

  /**
   * Every reference map of the methods pytorch-grad-cam shares with us that the model's engine can run (FullGrad needs
   * bias gradients: ONNX only), batched per (method, layer). Returns how many were checked (12 per method).
   */
  static int checkReferences(Model model) {
    // group entries by (method, layer): all six inputs in one batched request with per-image targets
    Map<String, List<Map<String, Object>>> groups = new LinkedHashMap<>();
    Set<String> runnable = new java.util.TreeSet<>();
    for (Map<String, Object> e : Reference.entries()) {
      String m = (String) e.get("method_cli");
      if (!MINE.contains(m) || !model.capabilities().containsAll(Fx.provider(m).requires())) continue;
      runnable.add(m);
      groups.computeIfAbsent(m + "@" + e.get("layer"), k -> new ArrayList<>()).add(e);
    }
    assertThat(groups).hasSize(runnable.size() * 2);
    Tensor x = inputs();
    int checked = 0;
    double worstCos = 1, worstDiff = 0;
    StringBuilder report = new StringBuilder();
    for (Map.Entry<String, List<Map<String, Object>>> g : groups.entrySet()) {
      String method = g.getKey().substring(0, g.getKey().indexOf('@'));
      String layer = g.getKey().substring(g.getKey().indexOf('@') + 1);
      List<Target> targets = new ArrayList<>();
      Map<Integer, Map<String, Object>> byInput = new LinkedHashMap<>();
      for (Map<String, Object> e : g.getValue()) byInput.put(inputIndex(e), e);
      for (int i = 0; i < 6; i++) targets.add(Target.classIndex(((Number) byInput.get(i).get("target_class")).intValue()));
      Map<String, String> opts = method.equals("shapleycam") ? Map.of("hvp", "exact") : Map.of();
      List<Explanation> out = Fx.explainAll(method, model, ExplainRequest.builder(x).targets(targets).layer(layer).build(), opts);
      assertThat(out).hasSize(6);
      for (int i = 0; i < 6; i++) {
        Map<String, Object> e = byInput.get(i);
        if (e.get("finer") instanceof Map<?, ?> f) { // the comparison classes pytorch-grad-cam used
          assertThat(out.get(i).objective()).as("finer-cam input %d", i).contains(f.get("comparison_classes").toString().replace(",", ", ").replace(",  ", ", "));
        }
        float[] got = out.get(i).raw().values();
        float[] ref = Reference.tensor("phantom-small/" + e.get("ref")).toArray();
        double[] c = Reference.compare(got, ref);
        if (e.containsKey("ref_alt")) {
          double[] alt = Reference.compare(got, Reference.tensor("phantom-small/" + e.get("ref_alt")).toArray());
          if (alt[0] > c[0]) c = alt;
        }
        report.append(String.format("%s %s input %d: cos %.7f maxdiff %.2e%n", method, layer, i, c[0], c[1]));
        assertThat(c[0]).as("%s at %s, input %d: cosine", method, layer, i).isGreaterThanOrEqualTo(0.999);
        assertThat(c[1]).as("%s at %s, input %d: max diff", method, layer, i).isLessThanOrEqualTo(1e-3);
        worstCos = Math.min(worstCos, c[0]);
        worstDiff = Math.max(worstDiff, c[1]);
        checked++;
      }
    }
    System.out.print(report);
    System.out.printf("reference maps checked on %s: %d (%s), worst cosine %.7f, worst max diff %.2e%n", model.info().engine(),
        checked, runnable, worstCos, worstDiff);
    assertThat(checked).isEqualTo(12 * runnable.size());
    return checked;
  }

  @Test
  @DisplayName("Single-pass methods cost one head, one tail and one VJP for all six images")
  void passes() {
    CountingModel m = new CountingModel(model);
    Fx.explainAll("gradcam-plusplus", m, ExplainRequest.builder(inputs()).target(Target.predicted()).build(), Map.of());
    assertThat(m.passes()).isEqualTo(new Passes(0, 1, 1, 1));
  }

  @ParameterizedTest(name = "{0}, {1}")
  @CsvSource({"trapezoid, zeros", "gauss-legendre, zeros", "trapezoid, blurred", "gauss-legendre, blurred"})
  @DisplayName("Integrated gradients on the phantom network is complete within 1% for every input (steps doubled where needed)")
  void completeness(String rule, String baseline) {
    ExplainRequest r = ExplainRequest.builder(inputs()).target(Target.predicted()).build();
    List<Explanation> fixed = Fx.explainAll("integrated-gradients", model, r, Map.of("rule", rule, "baseline", baseline, "tolerance", "0"));
    List<Explanation> out = Fx.explainAll("integrated-gradients", model, r, Map.of("rule", rule, "baseline", baseline));
    double worst50 = 0, worst = 0;
    int maxSteps = 0;
    for (Explanation e : fixed) worst50 = Math.max(worst50, ((Number) e.extras().get("completenessError")).doubleValue());
    for (Explanation e : out) {
      worst = Math.max(worst, ((Number) e.extras().get("completenessError")).doubleValue());
      maxSteps = Math.max(maxSteps, ((Number) e.extras().get("steps")).intValue());
    }
    System.out.printf("integrated-gradients %s/%s, phantom-small, 6 inputs: worst completeness error %.3f%% at 50 steps, "
        + "%.3f%% after refinement (at most %d steps)%n", rule, baseline, 100 * worst50, 100 * worst, maxSteps);
    assertThat(worst).isLessThan(0.01);
  }

  @Test
  @DisplayName("Saliency and gradient x input equal central finite differences of the logit at the eight strongest pixels")
  void inputGradient() {
    Tensor x = Reference.input(0).unsqueeze();
    float[] sal = Fx.explain("saliency", model, x, Target.classIndex(1), Map.of()).raw().values();
    float[] gxi = Fx.explain("gradient-x-input", model, x, Target.classIndex(1), Map.of("map", "absolute")).raw().values();
    assertThat(sal).hasSize(64 * 64);
    Integer[] order = new Integer[sal.length];
    for (int i = 0; i < order.length; i++) order[i] = i;
    java.util.Arrays.sort(order, (p, q) -> Float.compare(sal[q], sal[p]));
    float[] xs = x.toArray();
    double h = 1e-2;
    for (int r = 0; r < 8; r++) {
      int p = order[r];
      float[] up = xs.clone(), dn = xs.clone();
      up[p] += (float) h;
      dn[p] -= (float) h;
      double fd = (model.forward(Tensor.wrap(up, 1, 1, 64, 64)).get(1) - model.forward(Tensor.wrap(dn, 1, 1, 64, 64)).get(1)) / (2 * h);
      assertThat((double) sal[p]).as("saliency at pixel %d", p).isCloseTo(Math.abs(fd), within(0.05 * Math.abs(fd) + 1e-3));
      assertThat((double) gxi[p]).as("|g x| at pixel %d", p).isCloseTo(Math.abs(fd * xs[p]), within(0.05 * Math.abs(fd * xs[p]) + 1e-3));
    }
  }

  @Nested
  @DisplayName("Category-independent and second-order methods on a real network")
  class SecondOrder {
    @Test
    @DisplayName("Hessian-CIAM, ShapleyCAM, EigenGradCAM and GG-CAM give finite maps with their documented cost")
    void finite() {
      for (String m : List.of("hessian-ciam", "shapleycam", "eigengradcam", "gg-cam", "smooth-gradcam-plusplus", "smoothgrad")) {
        CountingModel counted = new CountingModel(model);
        List<Explanation> out = Fx.explainAll(m, counted, ExplainRequest.builder(inputs()).target(Target.predicted()).build(),
            Map.of("batch-size", "0"));
        assertThat(out).hasSize(6);
        // ShapleyCAM's exact Hessian-vector product is one more backward (double backward) in the same call
        assertThat(counted.passes()).as(m).isEqualTo(new Passes(0, 1, 1, m.equals("shapleycam") ? 2 : 1));
        for (Explanation e : out) assertThat(e.raw().max()).as(m).isGreaterThan(0);
      }
    }

    @Test
    @DisplayName("Hessian-CIAM's Hv norm is stable under the step r (1e-2 vs 1e-3 within 5%)")
    void stableStep() {
      Tensor x = Reference.input(1).unsqueeze();
      double a = ((Number) Fx.explain("hessian-ciam", model, x, Target.none(), Map.of("r", "1e-2")).extras().get("hvpNorm")).doubleValue();
      double b = ((Number) Fx.explain("hessian-ciam", model, x, Target.none(), Map.of("r", "1e-3")).extras().get("hvpNorm")).doubleValue();
      System.out.printf("hessian-ciam on phantom-small input 1: ||Hv|| %.6g (r=1e-2), %.6g (r=1e-3)%n", a, b);
      assertThat(a).isGreaterThan(0);
      assertThat(b).isCloseTo(a, within(0.05 * a));
    }
  }
}
