package org.xcam.plugins.perturbation;

import java.util.List;
import java.util.Map;
import org.xcam.api.Target;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.tck.PerturbationExplainerCompatibilityKit;

/** The TCK's perturbation kit on {@link ReciproCamProvider}, with the hand-worked closed form as a golden case. */
class ReciproCamCompatibilityTest extends PerturbationExplainerCompatibilityKit {
  @Override protected ExplainerProvider provider() { return new ReciproCamProvider(); }

  @Override protected List<GoldenCase> goldenCases() {
    ReciproCamTest t = new ReciproCamTest();
    double[] want = t.expected(0, 2, false);
    float[] f = new float[want.length];
    for (int p = 0; p < f.length; p++) f[p] = (float) want[p];
    return List.of(new GoldenCase("pool-linear, class 2, by hand", t.model, t.x.slice(0, 1), Target.classIndex(2), "features", f, 0.999999, 1e-5));
  }

  @Override protected Map<String, String> options() { return Map.of(); }
}
