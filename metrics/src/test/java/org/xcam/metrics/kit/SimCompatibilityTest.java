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

/** {@link MetricCompatibilityKit} run for Saliency.Sim (hand-worked value in {@link Cases}). */
@SuppressWarnings("unused")
class SimCompatibilityTest extends MetricCompatibilityKit {
  @Override protected MetricProvider provider() { return new Saliency.Sim(); }

  @Override protected List<KnownValue> knownValues() {
    return Cases.one("sum of minima of [0,.25,.5,.25] and [.5,.5,0,0]", Cases.saliency(), 0.25);
  }
}
