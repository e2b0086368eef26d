package org.xcam.metrics;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.xcam.api.MetricContext;
import org.xcam.api.OptionSpec;
import org.xcam.api.spi.MetricProvider;

/**
 * Holds the declared parts of a {@link MetricProvider} (name, description, range, needs, options), so each metric
 * class only writes {@link #create}. Subclasses keep a public no-arg constructor for {@link java.util.ServiceLoader}.
 */
public abstract class AbstractMetricProvider implements MetricProvider {
  private final String name;
  private final String description;
  private final Range range;
  private final Set<MetricContext.Need> needs;
  private final List<OptionSpec> options;

  protected AbstractMetricProvider(String name, String description, Range range, Set<MetricContext.Need> needs,
                                   List<OptionSpec> options) {
    this.name = name;
    this.description = description;
    this.range = range;
    this.needs = needs.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(needs));
    this.options = List.copyOf(options);
  }

  @Override public final String name() { return name; }
  @Override public final String description() { return description; }
  @Override public final Range range() { return range; }
  @Override public final Set<MetricContext.Need> needs() { return needs; }
  @Override public final List<OptionSpec> options() { return options; }

  @Override public String toString() { return "metric " + name; }

  static Range unit(boolean higherIsBetter) { return new Range(0, 1, higherIsBetter); }

  static OptionSpec truthOption() {
    return new OptionSpec("truth", "auto", "ground truth to compare with: auto (the mask if given, else boxes), boxes or mask");
  }
}
