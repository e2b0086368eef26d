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

/** {@link MetricCompatibilityKit} run for Localisation.DiceThreshold (hand-worked value in {@link Cases}). */
@SuppressWarnings("unused")
class DiceThresholdCompatibilityTest extends MetricCompatibilityKit {
  @Override protected MetricProvider provider() { return new Localisation.DiceThreshold(); }

  @Override protected Map<String, String> options() { return Map.of("threshold", "0.25"); }

  @Override protected List<KnownValue> knownValues() {
    return Cases.one(">= 0.25 keeps {0,1}: 2*1/(2+2)", Cases.boxes(), 0.5);
  }
}
