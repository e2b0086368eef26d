package org.xcam.tck;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.Tensor;
import org.xcam.tck.KitModels.ModelCase;

/**
 * The kit for per-sample optimisation methods (IBA and its variants): adds seeding of the noise and finiteness of the
 * reported numbers on top of {@link CamExplainerCompatibilityKit}. Override {@link #prepare} to provide what the method
 * needs beside the model (e.g. activation statistics).
 */
public abstract class OptimisationExplainerCompatibilityKit extends CamExplainerCompatibilityKit {

  @Nested @DisplayName("Optimisation")
  class Optimisation {
    @Test @DisplayName("The same seed gives the same map; a different seed still gives a finite map")
    void seeded() {
      for (ModelCase m : capableModelsOrSkip()) {
        Tensor x = inputs(m, 1);
        Explanation a = explainer().explain(m.model(), ExplainRequest.builder(x).seed(5).build()).get(0);
        Explanation b = explainer().explain(m.model(), ExplainRequest.builder(x).seed(5).build()).get(0);
        assertMapsClose(a.map(), b.map(), m + " seed 5 twice");
        Explanation c = explainer().explain(m.model(), ExplainRequest.builder(x).seed(6).build()).get(0);
        for (float v : c.raw().values()) assertThat(Float.isFinite(v)).isTrue();
      }
    }

    @Test @DisplayName("Every number the method reports in its extras is finite")
    void finiteExtras() {
      for (ModelCase m : capableModelsOrSkip()) {
        Explanation e = explainer().explain(m.model(), ExplainRequest.builder(inputs(m, 1)).seed(1).build()).get(0);
        e.extras().forEach((k, v) -> {
          if (v instanceof Number n) assertThat(Double.isFinite(n.doubleValue())).as("extra %s", k).isTrue();
        });
      }
    }
  }
}
