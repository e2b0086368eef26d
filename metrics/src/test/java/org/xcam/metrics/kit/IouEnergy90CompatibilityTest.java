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

/** {@link MetricCompatibilityKit} run for Localisation.IouEnergy90 (hand-worked value in {@link Cases}). */
@SuppressWarnings("unused")
class IouEnergy90CompatibilityTest extends MetricCompatibilityKit {
  @Override protected MetricProvider provider() { return new Localisation.IouEnergy90(); }

  @Override protected List<KnownValue> knownValues() {
    return Cases.one("90%: 0.875 < 0.9, all 4 pixels: 2/4", Cases.boxes(), 0.5);
  }
}
