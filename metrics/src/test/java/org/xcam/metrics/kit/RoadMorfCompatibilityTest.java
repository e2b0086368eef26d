package org.xcam.metrics.kit;

import java.util.List;
import java.util.Map;
import org.xcam.api.MetricContext;
import org.xcam.api.Tensor;
import org.xcam.api.spi.MetricProvider;
import org.xcam.metrics.Faithfulness;
import org.xcam.metrics.Localisation;
import org.xcam.metrics.Regression;
import org.xcam.metrics.Saliency;
import org.xcam.tck.MetricCompatibilityKit;

/** {@link MetricCompatibilityKit} run for Faithfulness.RoadMorf (hand-worked value in {@link Cases}). */
@SuppressWarnings("unused")
class RoadMorfCompatibilityTest extends MetricCompatibilityKit {
  @Override protected MetricProvider provider() { return new Faithfulness.RoadMorf(); }

  @Override protected Map<String, String> options() { return Map.of("percentages", "25", "noise", "0"); }

  @Override protected List<KnownValue> knownValues() {
    return List.of(new KnownValue("pixel 1 imputed (0+2)/2: f = 20, softmax([20, 20]) = 1/2", Cases.model(new Cases.PixelLinear(Cases.A, 20, 1, 4), Cases.map(1, 4, 0, 1, 0.5f, 0.2f), Tensor.of(new float[] {0, 5, 2, 3}, 1, 1, 1, 4)), 0.5, 1e-5));
  }
}
