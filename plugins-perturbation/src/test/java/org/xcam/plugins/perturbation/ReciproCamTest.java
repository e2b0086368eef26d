package org.xcam.plugins.perturbation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.xcam.api.CountingModel;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.tck.fixtures.PoolLinearModel;

@DisplayName("recipro-cam")
class ReciproCamTest {
  // Fixtures.poolLinear(), written out: A_k = ReLU(sum_c W1[k][c] x_c + b1[k]) on 8x8, y_j = sum_k Wfc[j][k] sum_p P_p A_kp + bfc[j]
  static final double[][] W1 = {{1.0, -0.5}, {-0.7, 0.9}, {0.4, 0.6}, {0, 0}};
  static final double[] B1 = {0.1, -0.2, 0.05, 0.5};
  static final double[][] WFC = {{0.8, -0.3, 0.5, 0.2}, {-0.4, 0.9, 0.3, -0.1}, {0.2, 0.2, -0.6, 0.7}};
  static final double[] BFC = {0.1, -0.1, 0.3};

  final PoolLinearModel model = Fixtures.poolLinear();
  final Tensor x = Fixtures.random(31, 3, 2, 8, 8);

  static double pool(int p) { return (1 + (p % 7)) / 256.0; }

  /** sum_k Wfc[t][k] A_k(p) for image i, from the input by hand. */
  double evidence(int i, int t, int p) {
    double s = 0;
    for (int k = 0; k < 4; k++) {
      double pre = B1[k];
      for (int c = 0; c < 2; c++) pre += W1[k][c] * x.get(((i * 2 + c) * 8 + p / 8) * 8 + p % 8);
      s += WFC[t][k] * Math.max(0, pre);
    }
    return s;
  }

  /** Closed form: with one position kept at weight g_q, y_t = bfc_t + sum_q g_q P_q sum_k Wfc[t][k] A_k(q). */
  double[] expected(int i, int t, boolean gaussian) {
    double[] m = new double[64];
    double[] g = {1 / 16.0, 1 / 8.0, 1 / 16.0, 1 / 8.0, 1 / 4.0, 1 / 8.0, 1 / 16.0, 1 / 8.0, 1 / 16.0};
    for (int p = 0; p < 64; p++) {
      double y = BFC[t];
      if (!gaussian) {
        y += pool(p) * evidence(i, t, p);
      } else {
        for (int d = 0; d < 9; d++) {
          int yy = p / 8 + d / 3 - 1, xx = p % 8 + d % 3 - 1;
          if (yy < 0 || yy > 7 || xx < 0 || xx > 7) continue;
          int q = yy * 8 + xx;
          y += g[d] * pool(q) * evidence(i, t, q);
        }
      }
      m[p] = y;
    }
    return m;
  }

  static Explainer recipro(Map<String, String> o) { return Fixtures.create(new ReciproCamProvider(), o); }

  @Nested @DisplayName("closed form on a model worked by hand")
  class ClosedForm {
    @Test @DisplayName("onehot: map(p) = bfc_t + P_p sum_k Wfc[t][k] A_k(p), every image and class")
    void onehot() {
      for (int t = 0; t < 3; t++) {
        List<Explanation> es = recipro(Map.of()).explain(model, ExplainRequest.builder(x).target(Target.classIndex(t)).build());
        for (int i = 0; i < 3; i++) {
          double[] want = expected(i, t, false);
          float[] got = es.get(i).raw().values();
          for (int p = 0; p < 64; p++) assertThat((double) got[p]).as("image %d class %d position %d", i, t, p).isCloseTo(want[p], within(1e-6));
          assertThat(es.get(i).raw().layer()).isEqualTo("features");
        }
      }
    }

    @Test @DisplayName("gaussian: the 3x3 [1 2 1; 2 4 2; 1 2 1]/16 neighbourhood, cut off at the border")
    void gaussian() {
      List<Explanation> es = recipro(Map.of("kernel", "gaussian")).explain(model, ExplainRequest.builder(x).target(Target.classIndex(1)).build());
      for (int i = 0; i < 3; i++) {
        double[] want = expected(i, 1, true);
        float[] got = es.get(i).raw().values();
        for (int p = 0; p < 64; p++) assertThat((double) got[p]).as("image %d position %d", i, p).isCloseTo(want[p], within(1e-6));
      }
    }

    @Test @DisplayName("score=softmax: the target's probability among the outputs at each position")
    void softmax() {
      float[] got = recipro(Map.of("score", "softmax")).explain(model, x.slice(2, 3), Target.classIndex(2)).raw().values();
      double[][] logits = {expected(2, 0, false), expected(2, 1, false), expected(2, 2, false)};
      for (int p = 0; p < 64; p++) {
        double z = Math.exp(logits[0][p]) + Math.exp(logits[1][p]) + Math.exp(logits[2][p]);
        assertThat((double) got[p]).isCloseTo(Math.exp(logits[2][p]) / z, within(1e-6));
      }
    }

    @Test @DisplayName("the comparison can fail: the other class's closed form does not match")
    void canFail() {
      float[] got = recipro(Map.of()).explain(model, x.slice(0, 1), Target.classIndex(0)).raw().values();
      double[] other = expected(0, 1, false);
      double worst = 0;
      for (int p = 0; p < 64; p++) worst = Math.max(worst, Math.abs(got[p] - other[p]));
      assertThat(worst).isGreaterThan(1e-2);
    }
  }

  @Nested @DisplayName("passes and batching")
  class Passes {
    @Test @DisplayName("1 head and ceil((h*w + 1) / batch) tails per image; no forward of the whole model")
    void passes() {
      CountingModel counted = new CountingModel(model);
      recipro(Map.of()).explain(counted, x.slice(0, 1), Target.predicted());
      assertThat(counted.passes().heads()).isEqualTo(1);
      assertThat(counted.passes().tails()).isEqualTo(2);      // 65 rows in batches of 64
      assertThat(counted.passes().forwards()).isZero();
      CountingModel three = new CountingModel(model);
      recipro(Map.of("batch-size", "100")).explain(three, ExplainRequest.builder(x).build());
      assertThat(three.passes().tails()).isEqualTo(2);        // 3 * 65 = 195 rows in batches of 100
    }

    @Test @DisplayName("plan: 64 positions + the unmasked row through the tail, + 1 head, known before any pass")
    void plan() {
      CountingModel counted = new CountingModel(model);
      org.xcam.api.Plan p = recipro(Map.of()).plan(counted, ExplainRequest.builder(x.slice(0, 1)).build());
      assertThat(p.evaluationsPerImage()).isEqualTo(66);
      assertThat(counted.passes().total()).isZero();
    }

    @Test @DisplayName("batch sizes 1, 7 and 500 give bit-identical maps")
    void invariance() {
      ExplainRequest r = ExplainRequest.builder(x).target(Target.predicted()).build();
      float[][] ref = ScoreCamTest.maps(recipro(Map.of("batch-size", "1")).explain(model, r));
      for (int b : new int[] {7, 500}) assertThat(ScoreCamTest.maps(recipro(Map.of("batch-size", "" + b)).explain(model, r))).isDeepEqualTo(ref);
    }

    @Test @DisplayName("the score reported is the unmasked output's, and predicted resolves from it")
    void score() {
      Explanation e = recipro(Map.of()).explain(model, x.slice(1, 2), Target.predicted());
      float[] y = model.forward(x.slice(1, 2)).toArray();
      int best = 0;
      for (int j = 1; j < 3; j++) if (y[j] > y[best]) best = j;
      assertThat(e.classIndex()).isEqualTo(best);
      assertThat(e.score()).isCloseTo(y[best], within(1e-6));
    }
  }

  @Test @DisplayName("bad options and a softmax score without a class fail with one line")
  void errors() {
    assertThatThrownBy(() -> recipro(Map.of("kernel", "box"))).hasMessageContaining("onehot, gaussian");
    assertThatThrownBy(() -> recipro(Map.of("score", "probability"))).hasMessageContaining("objective, softmax");
    assertThatThrownBy(() -> recipro(Map.of("batch-size", "0"))).hasMessageContaining("batch-size");
    assertThatThrownBy(() -> recipro(Map.of("score", "softmax")).explain(model, x.slice(0, 1), Target.none()))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("score=objective");
  }
}
