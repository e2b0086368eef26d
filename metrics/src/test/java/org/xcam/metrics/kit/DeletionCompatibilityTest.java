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

/** {@link MetricCompatibilityKit} run for Faithfulness.Deletion (hand-worked value in {@link Cases}). */
@SuppressWarnings("unused")
class DeletionCompatibilityTest extends MetricCompatibilityKit {
  @Override protected MetricProvider provider() { return new Faithfulness.Deletion(); }

  @Override protected Map<String, String> options() { return Map.of("steps", "4"); }

  @Override protected List<KnownValue> knownValues() {
    return List.of(new KnownValue("sigmoid(10, 8, 5, 1, 0), trapezoid", Cases.model(new Cases.PixelLinear(Cases.A, 0, 2, 2), Cases.HEAT, Cases.ONES), 0.25 * ((Cases.sigmoid(10) + Cases.sigmoid(8)) / 2 + (Cases.sigmoid(8) + Cases.sigmoid(5)) / 2 + (Cases.sigmoid(5) + Cases.sigmoid(1)) / 2 + (Cases.sigmoid(1) + 0.5) / 2), 1e-6));
  }
}
