package org.xcam.api.spi;

import java.util.List;
import java.util.Set;
import org.xcam.api.Metric;
import org.xcam.api.MetricContext;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;

/**
 * A metric that scores a heatmap, found with {@link java.util.ServiceLoader} through
 * {@code META-INF/services/org.xcam.api.spi.MetricProvider}.
 *
 * <pre>{@code
 * public final class PointingGameProvider implements MetricProvider {
 *   public String name() { return "pointing-game"; }
 *   public String description() { return "1 if the map's maximum lies in a ground-truth box"; }
 *   public Range range() { return new Range(0, 1, true); }
 *   public Set<MetricContext.Need> needs() { return EnumSet.of(MetricContext.Need.BOXES); }
 *   public Metric create(Options o) { return ctx -> ...; }
 * }
 * }</pre>
 */
public interface MetricProvider {
  /** The metric's id, e.g. {@code iou-energy-90}. */
  String name();

  String description();

  /** The values the metric can take and which direction is better. */
  Range range();

  /** What the metric needs from a {@link MetricContext} (boxes, the model, ...). Checked before scoring. */
  Set<MetricContext.Need> needs();

  Metric create(Options options);

  default List<OptionSpec> options() { return List.of(); }

  /**
   * @param min            smallest possible value ({@code Double.NEGATIVE_INFINITY} if unbounded)
   * @param max            largest possible value
   * @param higherIsBetter direction
   */
  record Range(double min, double max, boolean higherIsBetter) { }
}
