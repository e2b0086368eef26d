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

/** {@link MetricCompatibilityKit} run for Regression.SeverityPearson (hand-worked value in {@link Cases}). */
@SuppressWarnings("unused")
class SeverityPearsonCompatibilityTest extends MetricCompatibilityKit {
  @Override protected MetricProvider provider() { return new Regression.SeverityPearson(); }

  @Override protected List<KnownValue> knownValues() {
    return Cases.one("-1/sqrt(2)", MetricContext.builder(Cases.map(1, 4, 0, 1, 2, 1)).severity(Tensor.of(new float[] {1, 1, 0, 0}, 1, 4)).build(), -1 / Math.sqrt(2));
  }
}
