package org.xcam.plugins.gradient;

import java.util.List;
import java.util.SplittableRandom;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Model;

/**
 * Random-CAM (pytorch-grad-cam's {@code RandomCAM}): channel weights drawn uniformly from [-1, 1], map
 * {@code ReLU(sum_c w_c A_c)}. The baseline that sanity checks and metric tables compare real methods with: it uses
 * the layer's activations but nothing about the class or the output. Seeded by the request's seed (the same weights
 * for every image of a request, so a batch equals single calls); no gradient, one head and one tail (for the score).
 */
final class RandomCam implements Explainer {
  private final String name;
  private final GradientCam.Common common;

  RandomCam(String name, GradientCam.Common common) {
    this.name = name;
    this.common = common;
  }

  @Override public String name() { return name; }

  @Override public List<Explanation> explain(Model model, ExplainRequest req) {
    return new Seeded(name, common, req.seed()).explain(model, req);
  }

  /** One head row per input replica and one tail row per image ({@link GradientCam#plan}). */
  @Override public org.xcam.api.Plan plan(Model model, ExplainRequest req) { return new Seeded(name, common, req.seed()).plan(model, req); }

  /** Weights for {@code k} channels from {@code seed}: the same seed gives the same weights. */
  static double[] weights(long seed, int k) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] w = new double[k];
    for (int c = 0; c < k; c++) w[c] = r.nextDouble(-1, 1);
    return w;
  }

  private static final class Seeded extends GradientCam {
    private final long seed;

    Seeded(String name, Common common, long seed) {
      super(name, common);
      this.seed = seed;
    }

    @Override protected boolean categoryIndependent() { return true; }

    @Override protected boolean needsGradient() { return false; }

    @Override protected double[] map(Rows rows) {
      int k = rows.k(), hw = rows.hw();
      return CamMath.finish(CamMath.weighted(weights(seed, k), rows.a()[0], k, hw), k, hw, common.eigenSmooth());
    }
  }
}
