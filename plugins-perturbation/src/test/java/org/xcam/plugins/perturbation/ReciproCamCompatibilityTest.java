package org.xcam.plugins.perturbation;

import java.util.List;
import java.util.Map;
import org.xcam.api.Target;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.tck.PerturbationExplainerCompatibilityKit;

/** The TCK's perturbation kit on {@link ReciproCamProvider}, with the hand-worked closed form as a golden case. */
class ReciproCamCompatibilityTest extends PerturbationExplainerCompatibilityKit {
  // The CNN fixtures only: on tiny-vit this method is checked against pytorch-grad-cam (cli TransformerReferenceTest,
  // TokenViewEquivalenceTest); in this module's shared test JVM the extra libtorch model made the hygiene group's RSS
  // window fail by allocator steps (16-49 MB after 200 calls) under the machine's load, while each class passed alone.
  @Override protected java.util.List<org.xcam.tck.KitModels.ModelCase> models() { return org.xcam.tck.KitModels.cnn(); }

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
