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

/** {@link MetricCompatibilityKit} run for Saliency.Nss (hand-worked value in {@link Cases}). */
@SuppressWarnings("unused")
class NssCompatibilityTest extends MetricCompatibilityKit {
  @Override protected MetricProvider provider() { return new Saliency.Nss(); }

  @Override protected List<KnownValue> knownValues() {
    return Cases.one("(-1 + 0) / sqrt(2/3) / 2", Cases.saliency(), -0.5 / Math.sqrt(2 / 3.0));
  }
}
