package org.xcam.plugins.perturbation;

import java.util.Map;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.tck.PerturbationExplainerCompatibilityKit;

/** The TCK's perturbation kit on {@link OcclusionProvider} (large batches keep the kit's 200-call hygiene run short). */
class OcclusionCompatibilityTest extends PerturbationExplainerCompatibilityKit {
  @Override protected ExplainerProvider provider() { return new OcclusionProvider(); }

  @Override protected Map<String, String> options() { return Map.of("batch-size", "256"); }
}
