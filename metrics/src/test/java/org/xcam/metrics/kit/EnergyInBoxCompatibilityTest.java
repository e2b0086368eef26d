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

/** {@link MetricCompatibilityKit} run for Localisation.EnergyInBox (hand-worked value in {@link Cases}). */
@SuppressWarnings("unused")
class EnergyInBoxCompatibilityTest extends MetricCompatibilityKit {
  @Override protected MetricProvider provider() { return new Localisation.EnergyInBox(); }

  @Override protected List<KnownValue> knownValues() {
    return Cases.one("(0.5 + 0.125) / 1", Cases.boxes(), 0.625);
  }
}
