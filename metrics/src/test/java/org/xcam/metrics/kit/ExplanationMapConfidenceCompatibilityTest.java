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

/** {@link MetricCompatibilityKit} run for Faithfulness.ExplanationMapConfidence (hand-worked value in {@link Cases}). */
@SuppressWarnings("unused")
class ExplanationMapConfidenceCompatibilityTest extends MetricCompatibilityKit {
  @Override protected MetricProvider provider() { return new Faithfulness.ExplanationMapConfidence(); }

  @Override protected List<KnownValue> knownValues() {
    return List.of(new KnownValue("softmax([2, 3])_0 = 1/(1+e)", Cases.model(new Cases.PixelLinear(Cases.A, 3, 2, 2), Cases.HEAT, Cases.ONES), 0.2689414213699951, 1e-6));
  }
}
