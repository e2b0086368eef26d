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

/** {@link MetricCompatibilityKit} run for Faithfulness.SensitivityN (hand-worked value in {@link Cases}). */
@SuppressWarnings("unused")
class SensitivityNCompatibilityTest extends MetricCompatibilityKit {
  @Override protected MetricProvider provider() { return new Faithfulness.SensitivityN(); }

  @Override protected Map<String, String> options() { return Map.of("n", "2", "samples", "20"); }

  @Override protected List<KnownValue> knownValues() {
    return List.of(new KnownValue("map proportional to the weights: exact linear relation", Cases.model(new Cases.PixelLinear(Cases.A, 0, 2, 2), Cases.map(2, 2, 0.25f, 0.5f, 0.75f, 1f), Cases.ONES), 1, 1e-6));
  }
}
