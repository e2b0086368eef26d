package org.xcam.metrics.detection;

import java.util.List;
import org.xcam.api.Box;
import org.xcam.api.Heatmap;
import org.xcam.api.MetricContext;
import org.xcam.api.spi.MetricProvider;
import org.xcam.tck.MetricCompatibilityKit;

/**
 * {@link MetricCompatibilityKit} for heatmap-box-iou. Map 2 x 4 [.5 .25 0 0 / .125 .125 0 0], truth = column 0
 * ([0,0,1,2]). Pixels >= 0.5 * max = .25: (0,0) and (1,0), one component, box [0,0,2,1]; IoU = 1 / (2 + 2 - 1) = 1/3.
 */
class HeatmapBoxIouCompatibilityTest extends MetricCompatibilityKit {
  static MetricContext context() {
    Heatmap m = Heatmap.of(new float[] {0.5f, 0.25f, 0f, 0f, 0.125f, 0.125f, 0f, 0f}, 2, 4, "test", "input", "t",
        Heatmap.Resolution.INPUT);
    return MetricContext.builder(m).boxes(List.of(Box.of(0, 0, 1, 2, "lesion"))).build();
  }

  @Override protected MetricProvider provider() { return new HeatmapBoxMetrics.BoxIou(); }

  @Override protected List<KnownValue> knownValues() {
    return List.of(new KnownValue("box [0,0,2,1] vs truth [0,0,1,2]: 1/3", context(), 1.0 / 3, 1e-12));
  }
}
