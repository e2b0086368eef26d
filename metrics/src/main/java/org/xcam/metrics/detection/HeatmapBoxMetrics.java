package org.xcam.metrics.detection;

import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.xcam.api.Box;
import org.xcam.api.HeatmapBox;
import org.xcam.api.Metric;
import org.xcam.api.MetricContext;
import org.xcam.api.MetricResult;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.spi.MetricProvider;

/**
 * The per-image side of detection scoring: the heatmap is turned into one box ({@link HeatmapBox}: pixels at least
 * {@code threshold} times the maximum, largest 8-connected component) and compared with the ground-truth boxes.
 * Dataset-level AP and mAP are in the runtime ({@code org.xcam.runtime.eval.DetectionEvaluator}).
 */
public final class HeatmapBoxMetrics {
  private HeatmapBoxMetrics() { }

  static OptionSpec thresholdOption() {
    return new OptionSpec("threshold", String.valueOf(HeatmapBox.DEFAULT_THRESHOLD),
        "keep pixels at least this fraction of the map's maximum before taking the largest component");
  }

  /** The heatmap's box and its best IoU with a ground-truth box; empty box when the map is all zeros. */
  static double bestIou(MetricContext ctx, double threshold) {
    Optional<Box> b = HeatmapBox.largestComponent(ctx.heatmap(), threshold, null, 1.0);
    if (b.isEmpty()) return 0;
    double best = 0;
    for (Box g : ctx.boxes()) best = Math.max(best, b.get().iou(g));
    return best;
  }

  private abstract static class Base implements MetricProvider {
    @Override public Set<MetricContext.Need> needs() { return EnumSet.of(MetricContext.Need.BOXES); }
    @Override public Range range() { return new Range(0, 1, true); }
  }

  /** {@code heatmap-box-iou}: IoU of the heatmap's largest-component box with the best-matching ground-truth box. */
  public static final class BoxIou extends Base {
    @Override public String name() { return "heatmap-box-iou"; }
    @Override public String description() {
      return "IoU of the heatmap's box (threshold, largest connected component) with the best-matching ground-truth box";
    }
    @Override public List<OptionSpec> options() { return List.of(thresholdOption()); }
    @Override public Metric create(Options o) {
      double t = o.getDouble("threshold");
      HeatmapBox.largestComponent(new float[] {1}, 1, 1, t, null, 1);   // validates the threshold now
      return ctx -> {
        double v = bestIou(ctx, t);
        return ctx.heatmap().constant() ? new MetricResult(v, null, "the map is constant: no box") : MetricResult.of(v);
      };
    }
  }

  /** {@code heatmap-box-hit}: 1 when the heatmap's box overlaps a ground-truth box with IoU at least {@code iou}. */
  public static final class BoxHit extends Base {
    @Override public String name() { return "heatmap-box-hit"; }
    @Override public String description() {
      return "1 if the heatmap's box (threshold, largest component) has IoU >= iou with a ground-truth box (per-image loc-acc)";
    }
    @Override public List<OptionSpec> options() {
      return List.of(thresholdOption(), new OptionSpec("iou", "0.1", "IoU a box needs to count as localised"));
    }
    @Override public Metric create(Options o) {
      double t = o.getDouble("threshold");
      double iou = o.getDouble("iou");
      HeatmapBox.largestComponent(new float[] {1}, 1, 1, t, null, 1);
      if (!(iou > 0 && iou <= 1)) throw new org.xcam.api.InvalidInputException("option iou of heatmap-box-hit must be in (0, 1], got " + iou);
      return ctx -> MetricResult.of(bestIou(ctx, t) >= iou ? 1.0 : 0.0);
    }
  }
}
