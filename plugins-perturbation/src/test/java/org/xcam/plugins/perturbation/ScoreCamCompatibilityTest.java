package org.xcam.plugins.perturbation;

import java.util.Map;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.tck.PerturbationExplainerCompatibilityKit;

/** The TCK's perturbation kit on {@link ScoreCamProvider} (large batches keep the kit's 200-call hygiene run short). */
class ScoreCamCompatibilityTest extends PerturbationExplainerCompatibilityKit {
  @Override protected ExplainerProvider provider() { return new ScoreCamProvider(); }

  @Override protected Map<String, String> options() { return Map.of("batch-size", "64"); }
}
