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

/** {@link MetricCompatibilityKit} run for Faithfulness.Insertion (hand-worked value in {@link Cases}). */
@SuppressWarnings("unused")
class InsertionCompatibilityTest extends MetricCompatibilityKit {
  @Override protected MetricProvider provider() { return new Faithfulness.Insertion(); }

  @Override protected Map<String, String> options() { return Map.of("steps", "4", "baseline", "zeros"); }

  @Override protected List<KnownValue> knownValues() {
    return List.of(new KnownValue("sigmoid(0, 2, 5, 9, 10), trapezoid", Cases.model(new Cases.PixelLinear(Cases.A, 0, 2, 2), Cases.HEAT, Cases.ONES), 0.905989533385815, 1e-6));
  }
}
