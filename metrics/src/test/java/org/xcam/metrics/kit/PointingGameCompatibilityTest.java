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

/** {@link MetricCompatibilityKit} run for Localisation.PointingGame (hand-worked value in {@link Cases}). */
@SuppressWarnings("unused")
class PointingGameCompatibilityTest extends MetricCompatibilityKit {
  @Override protected MetricProvider provider() { return new Localisation.PointingGame(); }

  @Override protected List<KnownValue> knownValues() {
    return Cases.one("maximum at pixel 0, inside the box", Cases.boxes(), 1);
  }
}
