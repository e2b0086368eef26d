package org.xcam.plugins.perturbation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Model;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.api.spi.EngineProvider;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.api.spi.Providers;
import org.xcam.tck.fixtures.Reference;

/**
 * Score-CAM and Ablation-CAM against pytorch-grad-cam's raw maps (shared/reference, phantom-small bundle) through the
 * DJL engine: every refs.json entry with method_cli scorecam / ablationcam must reach cosine >= 0.999 and max
 * difference <= 1e-3 after max-abs normalisation ({@link Reference#compare}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("scorecam and ablationcam match pytorch-grad-cam through DJL")
class ReferenceDjlTest {
  Model model;

  @BeforeAll void load() {
    Optional<EngineProvider> djl = Providers.all(EngineProvider.class, getClass().getClassLoader()).stream()
        .filter(e -> e.name().equals("djl")).findFirst();
    assumeTrue(djl.isPresent(), "engine-djl is not on the test class path");
    model = djl.get().load(Reference.bundle(), Map.of());
  }

  @AfterAll void close() { if (model != null) model.close(); }

  List<String> check(String methodCli, Map<String, String> options) {
    ExplainerProvider p = Providers.explainer(methodCli, getClass().getClassLoader()).orElseThrow();
    Explainer e = p.create(org.xcam.api.Options.of(methodCli, p.options(), options));
    List<String> report = new ArrayList<>();
    int checked = 0;
    for (Map<String, Object> entry : Reference.entries()) {
      if (!methodCli.equals(entry.get("method_cli"))) continue;
      String input = (String) entry.get("input");
      int i = Integer.parseInt(input.replaceAll("\\D", ""));
      String layer = (String) entry.get("layer");
      int target = ((Number) entry.get("target_class")).intValue();
      Tensor x = Reference.input(i);
      Explanation ex = e.explain(model, ExplainRequest.builder(x).target(Target.classIndex(target)).layer(layer).build()).get(0);
      float[] ref = Reference.tensor("phantom-small/" + entry.get("ref")).toArray();
      double[] c = Reference.compare(ex.raw().values(), ref);
      String line = String.format("%s %s input %d target %d: cos %.6f maxdiff %.2e", methodCli, layer, i, target, c[0], c[1]);
      report.add(line);
      assertThat(c[0]).as(line).isGreaterThanOrEqualTo(0.999);
      assertThat(c[1]).as(line).isLessThanOrEqualTo(1e-3);
      checked++;
    }
    assertThat(checked).isEqualTo(12);
    report.forEach(System.out::println);
    return report;
  }

  @Test @DisplayName("scorecam (batch 16 as the reference, and batch 7) matches every reference entry at features.10 and features.14")
  void scorecam() {
    check("scorecam", Map.of("batch-size", "16"));
    check("scorecam", Map.of("batch-size", "7"));
  }

  @Test @DisplayName("the comparison can fail: half-pixel upsampling misses the reference (pytorch-grad-cam uses align_corners=True)")
  void halfPixelMisses() {
    ExplainerProvider p = new ScoreCamProvider();
    Explainer e = p.create(org.xcam.api.Options.of("scorecam", p.options(), Map.of("upsample", "half-pixel")));
    Explanation ex = e.explain(model, ExplainRequest.builder(Reference.input(5)).target(Target.classIndex(1)).layer("features.10").build()).get(0);
    double[] c = Reference.compare(ex.raw().values(), Reference.raw("features.10", "ScoreCAM", 5).toArray());
    assertThat(c[0]).isLessThan(0.99);
  }

  @Test @DisplayName("ablationcam matches every reference entry at features.10 and features.14")
  void ablationcam() {
    check("ablationcam", Map.of());
  }
}
