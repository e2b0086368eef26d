package org.xcam.metrics;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.xcam.api.Heatmap;
import org.xcam.api.Metric;
import org.xcam.api.MetricContext;
import org.xcam.api.MetricResult;
import org.xcam.api.Options;

/** Metrics for regression models (e.g. a severity score). */
public final class Regression {
  private Regression() { }

  /** Pearson correlation between the map and a per-pixel severity map (resized to the map's grid). */
  public static final class SeverityPearson extends AbstractMetricProvider {
    public SeverityPearson() {
      super("severity-pearson", "Pearson correlation between the attribution map and the severity-score map",
          new Range(-1, 1, true), EnumSet.of(MetricContext.Need.SEVERITY), List.of());
    }

    @Override public Metric create(Options o) {
      return ctx -> {
        Heatmap m = ctx.heatmap();
        float[] a = m.values(), b = MapOps.plane(ctx.severity(), m.height(), m.width(), "severity map");
        String note = MapOps.constant(a) || MapOps.constant(b) ? "a map is constant: correlation set to 0" : "";
        return new MetricResult(MapOps.pearson(MapOps.toDouble(a), MapOps.toDouble(b)), Map.of(), note);
      };
    }
  }
}
