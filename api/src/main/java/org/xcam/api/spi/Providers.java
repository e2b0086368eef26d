package org.xcam.api.spi;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Plain {@link ServiceLoader} look-ups for plugins that compose other plugins by name without a compile-time
 * dependency on them (e.g. Feature CAM looks up its base CAM). Applications use the runtime facade instead, which
 * adds duplicate checks, Guice wiring and logging.
 */
public final class Providers {
  private Providers() { }

  /** The explainer provider named {@code name} on the class path of {@code loader}, if any; broken providers are skipped. */
  public static Optional<ExplainerProvider> explainer(String name, ClassLoader loader) {
    return all(ExplainerProvider.class, loader).stream().filter(p -> p.name().equals(name)).findFirst();
  }

  public static Optional<ExplainerProvider> explainer(String name) {
    return explainer(name, Thread.currentThread().getContextClassLoader());
  }

  /** Every provider of {@code type} that instantiates; broken ones are skipped. */
  public static <T> List<T> all(Class<T> type, ClassLoader loader) {
    List<T> out = new ArrayList<>();
    var it = ServiceLoader.load(type, loader).stream().iterator();
    while (true) {
      try {
        if (!it.hasNext()) break;
        out.add(it.next().get());
      } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
        // skipped: the runtime's discovery logs these with the jar's name
      }
    }
    return out;
  }
}
