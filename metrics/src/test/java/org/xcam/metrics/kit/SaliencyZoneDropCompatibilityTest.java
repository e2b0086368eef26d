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

/** {@link MetricCompatibilityKit} run for Faithfulness.SaliencyZoneDrop (hand-worked value in {@link Cases}). */
@SuppressWarnings("unused")
class SaliencyZoneDropCompatibilityTest extends MetricCompatibilityKit {
  @Override protected MetricProvider provider() { return new Faithfulness.SaliencyZoneDrop(); }

  @Override protected List<KnownValue> knownValues() {
    return List.of(new KnownValue("100 (s(10) - s(2)) / s(10)", Cases.model(new Cases.PixelLinear(Cases.A, 0, 2, 2), Cases.map(2, 2, 1, 0.5f, 0, 0), Cases.ONES), 11.916293389664252, 1e-4));
  }
}
