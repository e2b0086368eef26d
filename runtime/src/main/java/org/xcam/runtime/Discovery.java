package org.xcam.runtime;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xcam.api.Ids;
import org.xcam.api.XcamException;
import org.xcam.api.spi.BenchmarkProvider;
import org.xcam.api.spi.DetectorProvider;
import org.xcam.api.spi.CompilerProvider;
import org.xcam.api.spi.EngineProvider;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.api.spi.ImageReader;
import org.xcam.api.spi.MetricProvider;

/**
 * Finds engines, explainers, metrics, detectors, plugin benchmarks, image readers and compilers with {@link ServiceLoader}. A provider that fails to instantiate (missing
 * class, exception in its constructor, invalid name) is logged and skipped, like SLF4J's safe instantiation, so one
 * broken jar does not break the rest. Two providers with the same name fail, naming both jars.
 */
public final class Discovery {
  private static final Logger LOG = LoggerFactory.getLogger(Discovery.class);

  private final Map<String, PluginInfo> engines;
  private final Map<String, PluginInfo> explainers;
  private final Map<String, PluginInfo> metrics;
  private final Map<String, PluginInfo> detectors;
  private final Map<String, PluginInfo> benchmarks;
  private final Map<String, PluginInfo> readers;
  private final Map<String, PluginInfo> compilers;
  private final List<String> skipped = new ArrayList<>();

  private Discovery(ClassLoader loader) {
    this.engines = load(EngineProvider.class, "engine", EngineProvider::name, loader);
    this.explainers = load(ExplainerProvider.class, "method", ExplainerProvider::name, loader);
    this.metrics = load(MetricProvider.class, "metric", MetricProvider::name, loader);
    this.detectors = load(DetectorProvider.class, "detector", DetectorProvider::name, loader);
    this.benchmarks = load(BenchmarkProvider.class, "benchmark", BenchmarkProvider::name, loader);
    this.readers = load(ImageReader.class, "reader", ImageReader::name, loader);
    this.compilers = load(CompilerProvider.class, "compiler", CompilerProvider::name, loader);
  }

  public static Discovery scan(ClassLoader loader) { return new Discovery(loader); }

  public Map<String, PluginInfo> engines() { return engines; }
  public Map<String, PluginInfo> explainers() { return explainers; }
  public Map<String, PluginInfo> metrics() { return metrics; }
  public Map<String, PluginInfo> detectors() { return detectors; }
  public Map<String, PluginInfo> benchmarks() { return benchmarks; }
  public Map<String, PluginInfo> readers() { return readers; }
  public Map<String, PluginInfo> compilers() { return compilers; }

  /** One line per provider that was skipped, with the reason. */
  public List<String> skipped() { return List.copyOf(skipped); }

  private <T> Map<String, PluginInfo> load(Class<T> type, String kind, Function<T, String> nameOf, ClassLoader loader) {
    Map<String, PluginInfo> out = new LinkedHashMap<>();
    Iterator<ServiceLoader.Provider<T>> it = ServiceLoader.load(type, loader).stream().iterator();
    while (true) {
      ServiceLoader.Provider<T> p;
      try {
        if (!it.hasNext()) break;
        p = it.next();
      } catch (ServiceConfigurationError | LinkageError e) {
        skip(kind, "(unloadable)", e);
        continue;
      }
      T instance;
      String name;
      try {
        instance = p.get();
        name = nameOf.apply(instance);
      } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
        skip(kind, p.type().getName(), e);
        continue;
      }
      if (!Ids.valid(name)) {
        skip(kind, p.type().getName(), new XcamException("name '" + name + "' is not a valid id [a-z0-9-]{1,64}"));
        continue;
      }
      PluginInfo info = PluginInfo.of(kind, name, instance);
      PluginInfo prev = out.putIfAbsent(name, info);
      if (prev != null) {
        if (prev.provider().getClass().equals(instance.getClass())) continue; // the same jar twice on the path
        throw new XcamException("two " + kind + "s are named '" + name + "': " + prev.provider().getClass().getName()
            + " in " + prev.location() + " and " + instance.getClass().getName() + " in " + info.location()
            + "; remove one of the jars from the class path");
      }
    }
    return out;
  }

  private void skip(String kind, String what, Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    String line = "skipped broken " + kind + " provider " + what + ": " + e.getMessage()
        + (root != e ? " (caused by " + root + ")" : "");
    skipped.add(line);
    LOG.warn(line);
  }
}
