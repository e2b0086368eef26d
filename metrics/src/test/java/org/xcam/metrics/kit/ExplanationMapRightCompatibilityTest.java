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

/** {@link MetricCompatibilityKit} run for Faithfulness.ExplanationMapRight (hand-worked value in {@link Cases}). */
@SuppressWarnings("unused")
class ExplanationMapRightCompatibilityTest extends MetricCompatibilityKit {
  @Override protected MetricProvider provider() { return new Faithfulness.ExplanationMapRight(); }

  @Override protected List<KnownValue> knownValues() {
    return List.of(new KnownValue("80th percentile keeps pixel 1: f = 2 < 3, class changes", Cases.model(new Cases.PixelLinear(Cases.A, 3, 2, 2), Cases.HEAT, Cases.ONES), 0, 0));
  }
}
