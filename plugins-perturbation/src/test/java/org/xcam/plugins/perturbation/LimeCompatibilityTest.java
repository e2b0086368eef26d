package org.xcam.plugins.perturbation;

import java.util.Map;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.tck.PerturbationExplainerCompatibilityKit;

/** The TCK's perturbation kit on {@link LimeProvider} (200 samples in batches of 100 keep the 200-call hygiene run short). */
class LimeCompatibilityTest extends PerturbationExplainerCompatibilityKit {
  @Override protected ExplainerProvider provider() { return new LimeProvider(); }

  @Override protected Map<String, String> options() { return Map.of("samples", "200", "batch-size", "100"); }
}
