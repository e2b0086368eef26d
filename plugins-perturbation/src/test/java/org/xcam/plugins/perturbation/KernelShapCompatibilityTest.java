package org.xcam.plugins.perturbation;

import java.util.Map;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.tck.PerturbationExplainerCompatibilityKit;

/**
 * The TCK's perturbation kit on {@link KernelShapProvider}: a 3x3 grid, sampled KernelSHAP with 62 coalitions + the full
 * and the empty one (one forward of 64 per call keeps the 200-call hygiene run short; the exact path is unit-tested).
 */
class KernelShapCompatibilityTest extends PerturbationExplainerCompatibilityKit {
  @Override protected ExplainerProvider provider() { return new KernelShapProvider(); }

  @Override protected Map<String, String> options() { return Map.of("superpixels", "grid", "segments", "3", "exact-max-features", "0", "samples", "62", "batch-size", "64"); }
}
