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

/** {@link MetricCompatibilityKit} run for Localisation.IouEnergy75 (hand-worked value in {@link Cases}). */
@SuppressWarnings("unused")
class IouEnergy75CompatibilityTest extends MetricCompatibilityKit {
  @Override protected MetricProvider provider() { return new Localisation.IouEnergy75(); }

  @Override protected List<KnownValue> knownValues() {
    return Cases.one("75%: {0,1}: 1/3", Cases.boxes(), 1 / 3.0);
  }
}
