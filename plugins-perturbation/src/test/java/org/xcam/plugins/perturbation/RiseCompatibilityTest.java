package org.xcam.plugins.perturbation;

import java.util.Map;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.tck.PerturbationExplainerCompatibilityKit;

/** The TCK's perturbation kit on {@link RiseProvider} (large batches keep the kit's 200-call hygiene run short). */
class RiseCompatibilityTest extends PerturbationExplainerCompatibilityKit {
  @Override protected ExplainerProvider provider() { return new RiseProvider(); }

  @Override protected Map<String, String> options() { return Map.of("masks", "64", "batch-size", "64"); }
}
