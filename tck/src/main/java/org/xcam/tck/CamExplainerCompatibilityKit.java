package org.xcam.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.LayerInfo;
import org.xcam.api.Target;
import org.xcam.tck.KitModels.ModelCase;

/** The kit for layer-based methods (CAMs): adds the layer contract on top of {@link ExplainerCompatibilityKit}. */
public abstract class CamExplainerCompatibilityKit extends ExplainerCompatibilityKit {

  @Nested @DisplayName("Layers")
  class Layers {
    @Test @DisplayName("The raw map has the resolution of the layer it was computed at, on every listed layer")
    void rawResolution() {
      assumeTrue(provider().layerBased(), "the method is not layer-based");
      for (ModelCase m : capableModelsOrSkip()) {
        for (LayerInfo l : m.model().info().layers()) {
          Explanation e = explainer().explain(m.model(), ExplainRequest.builder(inputs(m, 1)).layer(l.name()).build()).get(0);
          assertThat(e.raw().height()).as("%s layer %s raw height", m, l.name()).isEqualTo(l.height());
          assertThat(e.raw().width()).as("%s layer %s raw width", m, l.name()).isEqualTo(l.width());
          assertThat(e.raw().layer()).as("%s raw map's layer", m).isEqualTo(l.name());
        }
      }
    }

    @Test @DisplayName("Without a layer the method uses the model's default layer")
    void defaultLayerUsed() {
      assumeTrue(provider().layerBased(), "the method is not layer-based");
      for (ModelCase m : capableModelsOrSkip()) {
        Explanation e = first(m.model(), inputs(m, 1), Target.predicted());
        assertThat(e.raw().layer()).isEqualTo(m.model().info().defaultLayer());
      }
    }

    @Test @DisplayName("Several layers give one finite map at the input's resolution")
    void multiLayer() {
      assumeTrue(provider().layerBased(), "the method is not layer-based");
      for (ModelCase m : capableModelsOrSkip()) {
        List<String> layers = m.model().info().layerNames();
        assumeTrue(layers.size() >= 2, "the fixture has one layer");
        Explanation e = explainer().explain(m.model(), ExplainRequest.builder(inputs(m, 1)).layers(layers).build()).get(0);
        assertThat(e.map().height()).isEqualTo(m.model().info().input().height());
        for (float v : e.map().values()) assertThat(v).isBetween(0f, 1f);
      }
    }
  }
}
