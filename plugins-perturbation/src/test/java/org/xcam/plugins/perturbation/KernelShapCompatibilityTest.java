package org.xcam.plugins.perturbation;

import java.util.Map;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.tck.PerturbationExplainerCompatibilityKit;

/** The TCK's perturbation kit on {@link KernelShapProvider}: a 3x3 grid (9 features, exact Shapley values, 512 forwards). */
class KernelShapCompatibilityTest extends PerturbationExplainerCompatibilityKit {
  @Override protected ExplainerProvider provider() { return new KernelShapProvider(); }

  @Override protected Map<String, String> options() { return Map.of("superpixels", "grid", "segments", "3", "batch-size", "128"); }
}
