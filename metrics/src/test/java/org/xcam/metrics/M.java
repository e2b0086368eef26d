package org.xcam.metrics;

import java.util.Map;
import org.xcam.api.Heatmap;
import org.xcam.api.Metric;
import org.xcam.api.Options;
import org.xcam.api.spi.MetricProvider;

/** Test helpers. */
final class M {
  private M() { }

  static Metric metric(MetricProvider p, Map<String, String> options) {
    return p.create(Options.of("metric " + p.name(), p.options(), options));
  }

  static Metric metric(MetricProvider p) { return metric(p, Map.of()); }

  static Heatmap map(int h, int w, float... v) {
    return Heatmap.of(v, h, w, "test", "input", "test", Heatmap.Resolution.INPUT);
  }
}
