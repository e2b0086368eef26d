package org.xcam.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.xcam.api.CancelledException;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.Tensor;
import org.xcam.tck.KitModels.ModelCase;

/**
 * The kit for seeded, batched, forward-only methods (Score-CAM, RISE, occlusion, ...): adds seeding, batch-size
 * invariance, progress, cancellation and the pass budget on top of {@link ExplainerCompatibilityKit}.
 */
public abstract class PerturbationExplainerCompatibilityKit extends ExplainerCompatibilityKit {

  @Nested @DisplayName("Perturbation runs")
  class Runs {
    @Test @DisplayName("The same seed gives the same map; the seed is honoured through the request")
    void seeded() {
      for (ModelCase m : capableModelsOrSkip()) {
        Tensor x = inputs(m, 1);
        Explanation a = explainer().explain(m.model(), ExplainRequest.builder(x).seed(11).build()).get(0);
        Explanation b = explainer().explain(m.model(), ExplainRequest.builder(x).seed(11).build()).get(0);
        assertMapsClose(a.map(), b.map(), m + " seed 11 twice");
      }
    }

    @Test @DisplayName("The batch size changes the speed, not the map")
    void batchSizeInvariant() {
      boolean has = provider().options().stream().anyMatch(o -> o.name().equals("batch-size"));
      assumeTrue(has, "the method has no batch-size option");
      for (ModelCase m : capableModelsOrSkip()) {
        Tensor x = inputs(m, 1);
        Map<String, String> one = new HashMap<>(options());
        one.put("batch-size", "1");
        Map<String, String> many = new HashMap<>(options());
        many.put("batch-size", "7");
        Explanation a = explainer(one).explain(m.model(), ExplainRequest.builder(x).seed(3).build()).get(0);
        Explanation b = explainer(many).explain(m.model(), ExplainRequest.builder(x).seed(3).build()).get(0);
        assertMapsClose(a.map(), b.map(), m + " batch-size 1 vs 7");
      }
    }

    @Test @DisplayName("Progress is reported while the method runs")
    void progress() {
      ModelCase m = capableModelsOrSkip().get(0);
      AtomicInteger calls = new AtomicInteger();
      explainer().explain(m.model(), ExplainRequest.builder(inputs(m, 1)).progress((d, t, s) -> calls.incrementAndGet()).build());
      assertThat(calls.get()).as("progress callbacks").isPositive();
    }

    @Test @DisplayName("Cancellation stops the run with CancelledException")
    void cancellation() {
      ModelCase m = capableModelsOrSkip().get(0);
      assertThatThrownBy(() -> explainer().explain(m.model(), ExplainRequest.builder(inputs(m, 1)).cancelled(() -> true).build()))
          .isInstanceOf(CancelledException.class);
    }

    @Test @DisplayName("A pass budget too small for the run stops it with CancelledException saying so")
    void budget() {
      ModelCase m = capableModelsOrSkip().get(0);
      assertThatThrownBy(() -> explainer().explain(m.model(), ExplainRequest.builder(inputs(m, 1)).maxPasses(1).build()))
          .isInstanceOf(CancelledException.class).hasMessageContaining("pass");
    }
  }
}
