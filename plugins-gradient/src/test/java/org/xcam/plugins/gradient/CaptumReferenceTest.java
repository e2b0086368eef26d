package org.xcam.plugins.gradient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.xcam.api.Capability;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.Model;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.api.spi.EngineProvider;
import org.xcam.api.spi.Providers;
import org.xcam.tck.fixtures.Reference;

/**
 * Captum's attributions on phantom-small (tck reference {@code phantom-small/captum}, its README gives Captum's
 * settings) against xcam's methods with {@code map=signed}, through every engine that has the capability: cosine
 * >= 0.999 and max difference <= 1e-3 after max-normalising, as the pytorch-grad-cam references. Integrated
 * gradients use Captum's quadrature (64 Gauss-Legendre nodes; Captum's "riemann_trapezoid" with 64 points is a
 * trapezoid on 63 intervals up to the factor 63/64, which the normalisation removes); where Captum's float32 and
 * float64 runs disagree (a ReLU or max-pool decision flips at some path point) either is accepted.
 */
@DisplayName("Captum references: signed attributions through both engines")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CaptumReferenceTest {
  private final List<Model> models = new ArrayList<>();

  @BeforeAll
  void load() {
    for (String e : List.of("djl", "onnx")) {
      Optional<EngineProvider> p = Providers.all(EngineProvider.class, getClass().getClassLoader()).stream()
          .filter(x -> x.name().equals(e)).findFirst();
      p.ifPresent(engine -> models.add(engine.load(Reference.bundle(), e.equals("onnx") ? Map.of("device", "cpu") : Map.of())));
    }
    Assumptions.assumeTrue(!models.isEmpty(), "no engine on the test class path");
  }

  @AfterAll
  void close() { models.forEach(Model::close); }

  /** xcam's method and options for one Captum method. */
  private static Map.Entry<String, Map<String, String>> method(String captum) {
    return switch (captum) {
      case "Saliency" -> Map.entry("saliency", Map.of());
      case "InputXGradient" -> Map.entry("gradient-x-input", Map.of("map", "signed"));
      case "IntegratedGradients-gausslegendre" -> Map.entry("integrated-gradients",
          Map.of("map", "signed", "rule", "gauss-legendre", "steps", "64", "tolerance", "0"));
      case "IntegratedGradients-riemann_trapezoid" -> Map.entry("integrated-gradients",
          Map.of("map", "signed", "rule", "trapezoid", "steps", "63", "tolerance", "0"));
      case "GuidedBackprop" -> Map.entry("guided-backprop", Map.of("map", "signed"));
      case "DeepLift" -> Map.entry("deeplift", Map.of("map", "signed"));
      case "LayerGradCam" -> Map.entry("gradcam", Map.of());
      case "GuidedGradCam" -> Map.entry("guided-gradcam", Map.of("map", "signed"));
      default -> null;
    };
  }

  @Test
  @DisplayName("Every Captum attribution of a method xcam has matches on every capable engine (cosine >= 0.999, max diff <= 1e-3)")
  void captum() {
    Map<String, int[]> counts = new LinkedHashMap<>();
    StringBuilder report = new StringBuilder();
    for (Model model : models) {
      double worstCos = 1, worstDiff = 0;
      int checked = 0;
      for (Map<String, Object> e : Reference.captumEntries()) {
        Map.Entry<String, Map<String, String>> m = method((String) e.get("method"));
        if (m == null) continue;
        if (!model.capabilities().containsAll(Fx.provider(m.getKey()).requires())) continue;
        int i = Integer.parseInt(((String) e.get("input")).replaceAll("\\D", ""));
        int target = ((Number) e.get("target")).intValue();
        String layer = (String) e.get("layer");
        ExplainRequest.Builder b = ExplainRequest.builder(Reference.input(i)).target(Target.classIndex(target));
        if (layer != null) b.layer(layer);
        Explanation got = Fx.explainer(m.getKey(), m.getValue()).explain(model, b.build()).get(0);
        Map<?, ?> files = (Map<?, ?>) e.get("files");
        String key = files.containsKey("sum_c") ? "sum_c" : files.containsKey("max_abs_c") ? "max_abs_c" : "attr";
        String file = (String) files.get(key);
        double[] c = Reference.compare(got.raw().values(), Reference.tensor("phantom-small/captum/" + file).toArray());
        String f64 = file.replace(".npy", ".f64.npy");
        if (Files.exists(Reference.root().resolve("phantom-small/captum/" + f64))) {
          double[] c64 = Reference.compare(got.raw().values(), Reference.tensor("phantom-small/captum/" + f64).toArray());
          if (c64[1] < c[1]) c = c64;
        }
        report.append(String.format("%s %s %s input %d: cos %.7f maxdiff %.2e%n", model.info().engine(), e.get("method"),
            layer == null ? "input" : layer, i, c[0], c[1]));
        assertThat(c[0]).as("%s %s %s input %d cosine", model.info().engine(), e.get("method"), layer, i).isGreaterThanOrEqualTo(0.999);
        assertThat(c[1]).as("%s %s %s input %d max diff", model.info().engine(), e.get("method"), layer, i).isLessThanOrEqualTo(1e-3);
        if (e.get("method").equals("DeepLift")) { // Captum's convergence delta, f(x) - f(0) included
          Map<?, ?> d = (Map<?, ?>) e.get("convergence_delta");
          double want = ((Number) d.get("float32")).doubleValue(), df = ((Number) d.get("f_x_minus_f_baseline")).doubleValue();
          assertThat(((Number) got.extras().get("outputDelta")).doubleValue()).as("deeplift f(x) - f(0), input %d", i).isCloseTo(df, within(1e-4 * Math.abs(df) + 1e-5));
          assertThat(((Number) got.extras().get("convergenceDelta")).doubleValue()).as("deeplift convergence delta, input %d", i)
              .isCloseTo(want, within(1e-3 * Math.abs(df) + 1e-4));
        }
        worstCos = Math.min(worstCos, c[0]);
        worstDiff = Math.max(worstDiff, c[1]);
        checked++;
      }
      counts.put(model.info().engine(), new int[] {checked});
      System.out.printf("Captum references on %s: %d checked, worst cosine %.7f, worst max diff %.2e%n", model.info().engine(),
          checked, worstCos, worstDiff);
    }
    System.out.print(report);
    for (Model model : models) {
      // 60 entries (ShapleyValues is perturbation's); the swapped-rule methods (30) need MODIFIED_BACKWARD: ONNX only
      int expected = model.capabilities().contains(Capability.MODIFIED_BACKWARD) ? 60 : 36;
      assertThat(counts.get(model.info().engine())[0]).as(model.info().engine()).isEqualTo(expected);
    }
  }
}
