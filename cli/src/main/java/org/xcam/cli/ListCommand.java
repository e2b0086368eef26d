package org.xcam.cli;

import java.util.concurrent.Callable;
import org.xcam.api.Task;
import org.xcam.api.spi.BenchmarkProvider;
import org.xcam.api.spi.DetectorProvider;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.api.spi.MetricProvider;
import org.xcam.runtime.PluginInfo;
import org.xcam.runtime.Xcam;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code xcam list}: engines, methods, metrics, detectors, plugin benchmarks and image readers found on the class path,
 * with versions and jar locations.
 */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = "List the engines, methods, metrics, detectors, plugin benchmarks and image readers found on the class path, with versions and jars.")
public final class ListCommand implements Callable<Integer> {
  @Option(names = "--options", description = "Also list each method's, detector's and preparation's options with their defaults.")
  boolean options;

  @Override public Integer call() {
    Xcam xcam = Xcam.create();
    var d = xcam.discovery();
    System.out.println("Engines:");
    for (PluginInfo p : d.engines().values()) {
      System.out.printf("  %-24s %-8s %s%n", p.name(), p.version(), p.location());
    }
    System.out.println("Methods:");
    for (PluginInfo p : d.explainers().values()) {
      ExplainerProvider e = (ExplainerProvider) p.provider();
      System.out.printf("  %-24s %-8s %s%n      %s%s [needs %s; cost %s]%n", p.name(), p.version(), p.location(), e.description(),
          e.categoryIndependent() ? " (category-independent)" : "", e.requires(), e.cost());
      if (options) e.options().forEach(o -> System.out.printf("        --option %s=%s  %s%n", o.name(), o.defaultValue(), o.description()));
      e.preparation().ifPresent(prep -> {
        System.out.printf("      needs preparation %s: %s (xcam estimate --method %s)%n", prep.name(), prep.description(), e.name());
        if (options) prep.options().forEach(o -> System.out.printf("        --option %s=%s  %s%n", o.name(), o.defaultValue(), o.description()));
      });
    }
    System.out.println("Metrics:");
    for (PluginInfo p : d.metrics().values()) {
      MetricProvider m = (MetricProvider) p.provider();
      var r = m.range();
      System.out.printf("  %-24s %-8s %s%n      %s [range %s..%s, %s is better]%n", p.name(), p.version(), p.location(),
          m.description(), fmt(r.min()), fmt(r.max()), r.higherIsBetter() ? "higher" : "lower");
    }
    System.out.println("Detectors:");
    for (PluginInfo p : d.detectors().values()) {
      DetectorProvider e = (DetectorProvider) p.provider();
      System.out.printf("  %-24s %-8s %s%n      %s [reads %s; needs %s%s]%n", p.name(), p.version(), p.location(), e.description(),
          String.join(", ", e.tasks().stream().map(Task::id).sorted().toList()), e.requires(),
          e.usesExplainer() ? "; uses a method's heatmaps (--method)" : "");
      if (options) e.options().forEach(o -> System.out.printf("        --option %s=%s  %s%n", o.name(), o.defaultValue(), o.description()));
    }
    if (!d.benchmarks().isEmpty()) {
      System.out.println("Plugin benchmarks (xcam bench NAME):");
      for (PluginInfo p : d.benchmarks().values()) {
        System.out.printf("  %-24s %-8s %s%n      %s%n", p.name(), p.version(), p.location(), ((BenchmarkProvider) p.provider()).description());
      }
    }
    System.out.println("Image readers:");
    for (PluginInfo p : d.readers().values()) {
      org.xcam.api.spi.ImageReader r = (org.xcam.api.spi.ImageReader) p.provider();
      System.out.printf("  %-24s %-8s %s%n      %s [%s]%n", p.name(), p.version(), p.location(), r.description(),
          r.extensions().isEmpty() ? "by content" : "." + String.join(", .", new java.util.TreeSet<>(r.extensions())));
    }
    System.out.println("Compilers:");
    for (PluginInfo p : d.compilers().values()) {
      System.out.printf("  %-24s %-8s %s%n      %s%n", p.name(), p.version(), p.location(),
          ((org.xcam.api.spi.CompilerProvider) p.provider()).description());
    }
    for (String s : d.skipped()) System.out.println("Skipped: " + s);
    return 0;
  }

  private static String fmt(double v) {
    return Double.isInfinite(v) ? (v > 0 ? "inf" : "-inf") : (v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v));
  }
}
