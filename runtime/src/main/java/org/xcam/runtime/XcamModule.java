package org.xcam.runtime;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.MapBinder;
import org.xcam.api.spi.BenchmarkProvider;
import org.xcam.api.spi.DetectorProvider;
import org.xcam.api.spi.CompilerProvider;
import org.xcam.api.spi.EngineProvider;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.api.spi.MetricProvider;

/**
 * Guice wiring: every discovered provider lands in a {@code MapBinder<String, ...>} keyed by its name. The module only
 * declares bindings; discovery (I/O) happened before, in {@link Discovery}.
 */
final class XcamModule extends AbstractModule {
  private final Discovery discovery;

  XcamModule(Discovery discovery) { this.discovery = discovery; }

  @Override protected void configure() {
    MapBinder<String, EngineProvider> engines = MapBinder.newMapBinder(binder(), String.class, EngineProvider.class);
    discovery.engines().forEach((n, p) -> engines.addBinding(n).toInstance((EngineProvider) p.provider()));
    MapBinder<String, ExplainerProvider> methods = MapBinder.newMapBinder(binder(), String.class, ExplainerProvider.class);
    discovery.explainers().forEach((n, p) -> methods.addBinding(n).toInstance((ExplainerProvider) p.provider()));
    MapBinder<String, MetricProvider> metrics = MapBinder.newMapBinder(binder(), String.class, MetricProvider.class);
    discovery.metrics().forEach((n, p) -> metrics.addBinding(n).toInstance((MetricProvider) p.provider()));
    MapBinder<String, DetectorProvider> detectors = MapBinder.newMapBinder(binder(), String.class, DetectorProvider.class);
    discovery.detectors().forEach((n, p) -> detectors.addBinding(n).toInstance((DetectorProvider) p.provider()));
    MapBinder<String, BenchmarkProvider> benchmarks = MapBinder.newMapBinder(binder(), String.class, BenchmarkProvider.class);
    discovery.benchmarks().forEach((n, p) -> benchmarks.addBinding(n).toInstance((BenchmarkProvider) p.provider()));
    MapBinder<String, CompilerProvider> compilers = MapBinder.newMapBinder(binder(), String.class, CompilerProvider.class);
    discovery.compilers().forEach((n, p) -> compilers.addBinding(n).toInstance((CompilerProvider) p.provider()));
    bind(Discovery.class).toInstance(discovery);
  }
}
