package org.xcam.tck.runner;

import java.util.ServiceLoader;
import org.xcam.api.XcamException;
import org.xcam.api.spi.DetectorProvider;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.api.spi.MetricProvider;
import org.xcam.tck.CamExplainerCompatibilityKit;
import org.xcam.tck.DetectorCompatibilityKit;
import org.xcam.tck.ExplainerCompatibilityKit;
import org.xcam.tck.MetricCompatibilityKit;
import org.xcam.tck.PerturbationExplainerCompatibilityKit;

/**
 * Concrete kits whose provider is chosen at run time (system property {@value #PROPERTY}), so {@code xcam tck} can run
 * the kits against a plugin jar it has never seen. Not for plugin authors: they subclass the kits directly.
 */
public final class PluginKits {
  public static final String PROPERTY = "xcam.tck.provider";

  private PluginKits() { }

  static ExplainerProvider lookupExplainer() {
    String name = System.getProperty(PROPERTY);
    for (ExplainerProvider p : ServiceLoader.load(ExplainerProvider.class, Thread.currentThread().getContextClassLoader())) {
      if (p.name().equals(name)) return p;
    }
    throw new XcamException("no method '" + name + "' on the class path");
  }

  static MetricProvider lookupMetric() {
    String name = System.getProperty(PROPERTY);
    for (MetricProvider p : ServiceLoader.load(MetricProvider.class, Thread.currentThread().getContextClassLoader())) {
      if (p.name().equals(name)) return p;
    }
    throw new XcamException("no metric '" + name + "' on the class path");
  }

  static DetectorProvider lookupDetector() {
    String name = System.getProperty(PROPERTY);
    for (DetectorProvider p : ServiceLoader.load(DetectorProvider.class, Thread.currentThread().getContextClassLoader())) {
      if (p.name().equals(name)) return p;
    }
    throw new XcamException("no detector '" + name + "' on the class path");
  }

  /** Detectors: every group but the golden values, which are the author's own test's job. */
  public static class DetectorKit extends DetectorCompatibilityKit {
    @Override protected DetectorProvider provider() { return lookupDetector(); }
  }

  /** Layer-based methods. */
  public static class Cam extends CamExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return lookupExplainer(); }
  }

  /** Other methods (input-level, model-agnostic). */
  public static class Plain extends ExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return lookupExplainer(); }
  }

  /** Seeded, batched methods (they have a batch-size option). */
  public static class Perturbation extends PerturbationExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return lookupExplainer(); }
  }

  /** Metrics: the kit's direction and range checks; known values are the author's own test's job. */
  public static class Metric extends MetricCompatibilityKit {
    @Override protected MetricProvider provider() { return lookupMetric(); }
    @Override protected java.util.List<KnownValue> knownValues() { return java.util.List.of(); }
  }
}
