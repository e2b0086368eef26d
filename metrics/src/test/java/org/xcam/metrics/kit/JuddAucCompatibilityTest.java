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

/** {@link MetricCompatibilityKit} run for Saliency.JuddAuc (hand-worked value in {@link Cases}). */
@SuppressWarnings("unused")
class JuddAucCompatibilityTest extends MetricCompatibilityKit {
  @Override protected MetricProvider provider() { return new Saliency.JuddAuc(); }

  @Override protected List<KnownValue> knownValues() {
    return Cases.one("fixations 0,3 on [.9,.1,.5,.3]: 0.875", MetricContext.builder(Cases.map(1, 4, 0.9f, 0.1f, 0.5f, 0.3f)).saliency(Tensor.of(new float[] {1, 0, 0, 1}, 1, 4)).build(), 0.875);
  }
}
