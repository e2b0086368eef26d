package org.xcam.plugins.perturbation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.xcam.api.CountingModel;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Target;
import org.xcam.api.Tensor;

@DisplayName("lime and kernel-shap")
class SuperpixelAttributionTest {
  /**
   * v(s) = 3 s0 + 2 s1 s2 + s0 s1 s3 - s3. Shapley values by hand (each product term is shared equally by its
   * players): phi0 = 3 + 1/3, phi1 = 1 + 1/3, phi2 = 1, phi3 = 1/3 - 1; they sum to v(1111) - v(0000) = 5.
   */
  static final QuadrantGame GAME = new QuadrantGame(s -> 3 * s[0] + 2 * s[1] * s[2] + s[0] * s[1] * s[3] - s[3]);
  static final double[] SHAPLEY = {10 / 3.0, 4 / 3.0, 1, -2 / 3.0};

  static Explainer create(ExplainerProviderKind k, Map<String, String> o) {
    Map<String, String> m = new HashMap<>(Map.of("superpixels", "grid", "segments", "2", "map", "signed"));
    m.putAll(o);
    return Fixtures.create(k == ExplainerProviderKind.LIME ? new LimeProvider() : new KernelShapProvider(), m);
  }

  enum ExplainerProviderKind { LIME, SHAP }

  /** The value of each quadrant in a 2x2-grid map (every pixel of a quadrant carries its feature's attribution). */
  static double[] quadrants(Explanation e) {
    float[] v = e.raw().values();
    double[] q = {v[0], v[4], v[32], v[36]};
    for (int p = 0; p < 64; p++) assertThat(v[p]).isEqualTo((float) q[(p / 8 / 4) * 2 + (p % 8) / 4]);
    return q;
  }

  @Nested @DisplayName("kernel-shap")
  class Shap {
    @Test @DisplayName("4 features: exact Shapley values by enumeration equal the hand-worked ones (16 evaluations)")
    void exact() {
      CountingModel counted = new CountingModel(GAME);
      Explanation e = create(ExplainerProviderKind.SHAP, Map.of()).explain(counted, QuadrantGame.ones(), Target.regression(0));
      assertThat(quadrants(e)).containsExactly(SHAPLEY, within(1e-6));
      assertThat(e.extras()).containsEntry("exact", true).containsEntry("evaluations", 16).containsEntry("features", 4);
      assertThat(counted.passes().forwards()).isEqualTo(2);      // the target forward + 16 rows in one batch of 32
    }

    @Test @DisplayName("plan: 2^4 coalitions + 1 forward for the exact case, samples + 2 + 1 when sampled")
    void plan() {
      ExplainRequest r = ExplainRequest.builder(QuadrantGame.ones()).target(Target.regression(0)).build();
      assertThat(create(ExplainerProviderKind.SHAP, Map.of()).plan(GAME, r).evaluationsPerImage()).isEqualTo(17);
      assertThat(create(ExplainerProviderKind.SHAP, Map.of("exact-max-features", "0", "samples", "100")).plan(GAME, r).evaluationsPerImage()).isEqualTo(103);
      assertThat(create(ExplainerProviderKind.LIME, Map.of("samples", "100")).plan(GAME, r).evaluationsPerImage()).isEqualTo(101);
    }

    @Test @DisplayName("sampled KernelSHAP (exact-max-features=0) converges to the same hand-worked values and keeps sum(phi) = v(1) - v(0) exactly")
    void sampled() {
      Explanation e = create(ExplainerProviderKind.SHAP, Map.of("exact-max-features", "0", "samples", "4000", "batch-size", "256"))
          .explain(GAME, ExplainRequest.builder(QuadrantGame.ones()).target(Target.regression(0)).seed(3).build()).get(0);
      double[] q = quadrants(e);
      assertThat(q).containsExactly(SHAPLEY, within(0.05));
      assertThat(q[0] + q[1] + q[2] + q[3]).isCloseTo(5, within(1e-5));
      assertThat(e.extras()).containsEntry("exact", false);
    }

    @Test @DisplayName("the comparison can fail: with a different game the hand-worked values are missed")
    void canFail() {
      QuadrantGame other = new QuadrantGame(s -> 3 * s[0] + 2 * s[1] * s[2] - s[3]);
      double[] q = quadrants(create(ExplainerProviderKind.SHAP, Map.of()).explain(other, QuadrantGame.ones(), Target.regression(0)));
      assertThat(Math.abs(q[0] - SHAPLEY[0])).isGreaterThan(0.3);
    }

    @Test @DisplayName("map=positive is the ReLU of the signed map, absolute its magnitude")
    void mapModes() {
      double[] pos = quadrants(create(ExplainerProviderKind.SHAP, Map.of("map", "positive")).explain(GAME, QuadrantGame.ones(), Target.regression(0)));
      double[] abs = quadrants(create(ExplainerProviderKind.SHAP, Map.of("map", "absolute")).explain(GAME, QuadrantGame.ones(), Target.regression(0)));
      for (int q = 0; q < 4; q++) {
        assertThat(pos[q]).isCloseTo(Math.max(0, SHAPLEY[q]), within(1e-6));
        assertThat(abs[q]).isCloseTo(Math.abs(SHAPLEY[q]), within(1e-6));
      }
    }
  }

  @Nested @DisplayName("lime")
  class Lime {
    static final QuadrantGame LINEAR = new QuadrantGame(s -> 0.5 + 2 * s[0] - 1.5 * s[1] + 0.25 * s[2] + 4 * s[3]);

    @Test @DisplayName("alpha=0 (weighted least squares) recovers a linear game's coefficients exactly")
    void linear() {
      Explanation e = create(ExplainerProviderKind.LIME, Map.of("alpha", "0", "samples", "50"))
          .explain(LINEAR, QuadrantGame.ones(), Target.regression(0));
      assertThat(quadrants(e)).containsExactly(new double[] {2, -1.5, 0.25, 4}, within(1e-5));
    }

    @Test @DisplayName("Captum's default Lasso (alpha 0.01) shrinks them slightly towards zero, never past it")
    void lasso() {
      double[] q = quadrants(create(ExplainerProviderKind.LIME, Map.of("samples", "400")).explain(LINEAR, QuadrantGame.ones(), Target.regression(0)));
      double[] c = {2, -1.5, 0.25, 4};
      for (int j = 0; j < 4; j++) {
        assertThat(Math.abs(q[j])).as("feature %d", j).isLessThan(Math.abs(c[j]));
        assertThat(Math.signum(q[j])).isEqualTo(Math.signum(c[j]));
        assertThat(q[j]).isCloseTo(c[j], within(0.2));
      }
    }

    @Test @DisplayName("the weighted Lasso solves scikit-learn's objective: a 1-feature case has the closed form soft-threshold(cov, alpha) / var")
    void lassoClosedForm() {
      boolean[][] z = {{true}, {false}, {true}, {false}};
      double[] v = {3, 1, 2.5, 0.5}, w = {1, 1, 2, 2};
      // p = w / 6; weighted means: z 0.5, v (3 + 1 + 5 + 1) / 6 = 10/6;
      // cov = sum p (z - 0.5)(v - 10/6) = (1.3333 + 0.6667) / 12 + (0.8333 + 1.1667) / 6 = 0.5; var = 0.25
      double[] beta = Surrogate.lasso(z, v, w, 0.1);
      assertThat(beta[0]).isCloseTo((0.5 - 0.1) / 0.25, within(1e-9));
      assertThat(Surrogate.lasso(z, v, w, 0.6)[0]).isZero();
    }
  }

  @Nested @DisplayName("runs")
  class Runs {
    @Test @DisplayName("the same seed gives the same map for batch sizes 1, 5 and 64; another seed another map")
    void seeded() {
      Tensor x = Fixtures.random(3, 1, 1, 8, 8);
      ExplainRequest r = ExplainRequest.builder(x).target(Target.regression(0)).seed(5).build();
      float[] ref = create(ExplainerProviderKind.LIME, Map.of("batch-size", "1", "samples", "60")).explain(GAME, r).get(0).raw().values();
      for (String b : new String[] {"5", "64"}) {
        assertThat(create(ExplainerProviderKind.LIME, Map.of("batch-size", b, "samples", "60")).explain(GAME, r).get(0).raw().values()).containsExactly(ref);
      }
      float[] other = create(ExplainerProviderKind.LIME, Map.of("samples", "60")).explain(GAME,
          ExplainRequest.builder(x).target(Target.regression(0)).seed(6).build()).get(0).raw().values();
      assertThat(other).isNotEqualTo(ref);
    }

    @Test @DisplayName("SLIC superpixels from BoofCV split a two-region image along its edge")
    void slic() {
      float[] v = new float[32 * 32];
      for (int p = 0; p < v.length; p++) v[p] = p % 32 < 12 ? 0f : 1f;
      int[] l = Superpixels.segment(v, 0, 1, 32, 32, "slic", 8);
      int m = Superpixels.count(l);
      assertThat(m).isBetween(2, 16);
      for (int y = 0; y < 32; y++)
        for (int q = 0; q < 31; q++)
          if (q != 11 && l[y * 32 + q] != l[y * 32 + q + 1]) assertThat(v[y * 32 + q]).isEqualTo(v[y * 32 + q + 1]);
      for (int y = 0; y < 32; y++) assertThat(l[y * 32 + 11]).as("row %d: a superpixel crosses the edge", y).isNotEqualTo(l[y * 32 + 12]);
    }

    @Test @DisplayName("bad options fail with one line")
    void badOptions() {
      assertThatThrownBy(() -> create(ExplainerProviderKind.LIME, Map.of("map", "raw"))).hasMessageContaining("positive, signed, absolute");
      assertThatThrownBy(() -> create(ExplainerProviderKind.LIME, Map.of("samples", "1"))).hasMessageContaining("samples");
      assertThatThrownBy(() -> create(ExplainerProviderKind.SHAP, Map.of("exact-max-features", "21"))).hasMessageContaining("[0, 20]");
      assertThatThrownBy(() -> create(ExplainerProviderKind.LIME, Map.of("superpixels", "quickshift"))).hasMessageContaining("slic, grid");
      assertThatThrownBy(() -> create(ExplainerProviderKind.LIME, Map.of("alpha", "-1"))).hasMessageContaining("alpha");
    }

    @Test @DisplayName("several objectives (every output) are fitted from the same forwards")
    void objectives() {
      List<Explanation> es = create(ExplainerProviderKind.SHAP, Map.of()).explain(GAME,
          ExplainRequest.builder(QuadrantGame.ones()).target(Target.regression(0)).build());
      assertThat(es).hasSize(1);
    }
  }
}
