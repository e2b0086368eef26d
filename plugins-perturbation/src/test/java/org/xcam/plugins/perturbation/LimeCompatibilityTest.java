package org.xcam.plugins.perturbation;

import java.util.Map;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.tck.PerturbationExplainerCompatibilityKit;

/** The TCK's perturbation kit on {@link LimeProvider} (64 samples, one forward per call, keep the 200-call hygiene run short). */
class LimeCompatibilityTest extends PerturbationExplainerCompatibilityKit {
  @Override protected ExplainerProvider provider() { return new LimeProvider(); }

  @Override protected Map<String, String> options() { return Map.of("samples", "64", "batch-size", "64"); }
}
