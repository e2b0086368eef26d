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

/** {@link MetricCompatibilityKit} run for Faithfulness.AverageIncrease (hand-worked value in {@link Cases}). */
@SuppressWarnings("unused")
class AverageIncreaseCompatibilityTest extends MetricCompatibilityKit {
  @Override protected MetricProvider provider() { return new Faithfulness.AverageIncrease(); }

  @Override protected List<KnownValue> knownValues() {
    return List.of(new KnownValue("f rises from 2 to 6", Cases.model(new Cases.PixelLinear(new float[] {1, 2, 3, -4}, 0, 2, 2), Cases.map(2, 2, 1, 1, 1, 0), Cases.ONES), 100, 0));
  }
}
