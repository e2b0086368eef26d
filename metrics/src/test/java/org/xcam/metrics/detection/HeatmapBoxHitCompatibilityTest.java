package org.xcam.metrics.detection;

import java.util.List;
import java.util.Map;
import org.xcam.api.spi.MetricProvider;
import org.xcam.tck.MetricCompatibilityKit;

/** {@link MetricCompatibilityKit} for heatmap-box-hit: the case of {@link HeatmapBoxIouCompatibilityTest}, IoU 1/3 >= 0.3. */
class HeatmapBoxHitCompatibilityTest extends MetricCompatibilityKit {
  @Override protected MetricProvider provider() { return new HeatmapBoxMetrics.BoxHit(); }

  @Override protected Map<String, String> options() { return Map.of("iou", "0.3"); }

  @Override protected List<KnownValue> knownValues() {
    return List.of(new KnownValue("IoU 1/3 >= 0.3: a hit", HeatmapBoxIouCompatibilityTest.context(), 1.0, 0));
  }
}
