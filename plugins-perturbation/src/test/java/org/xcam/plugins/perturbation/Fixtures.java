package org.xcam.plugins.perturbation;

import java.util.Map;
import java.util.SplittableRandom;
import org.xcam.api.Explainer;
import org.xcam.api.Options;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.tck.fixtures.PoolLinearModel;

/** Shared test inputs and models. */
final class Fixtures {
  private Fixtures() { }

  static Explainer create(ExplainerProvider p, Map<String, String> options) {
    return p.create(Options.of(p.name(), p.options(), options));
  }

  static Tensor random(long seed, int... shape) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = 1;
    for (int d : shape) n *= d;
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
    return Tensor.wrap(v, shape);
  }

  /**
   * A PoolLinearModel with C=2 input channels, K=4 feature channels on 8x8, 3 classes. Channel 3 has zero weights and
   * bias 0.5: a constant channel (the NaN trap of Score-CAM's min-max).
   */
  static PoolLinearModel poolLinear() {
    float[][] w1 = {{1.0f, -0.5f}, {-0.7f, 0.9f}, {0.4f, 0.6f}, {0f, 0f}};
    float[] b1 = {0.1f, -0.2f, 0.05f, 0.5f};
    float[][] wfc = {{0.8f, -0.3f, 0.5f, 0.2f}, {-0.4f, 0.9f, 0.3f, -0.1f}, {0.2f, 0.2f, -0.6f, 0.7f}};
    float[] bfc = {0.1f, -0.1f, 0.3f};
    float[] pool = new float[64];
    for (int i = 0; i < 64; i++) pool[i] = (1 + (i % 7)) / 256f;
    return new PoolLinearModel(w1, b1, pool, wfc, bfc, 8, 8, Task.MULTICLASS);
  }
}
