package org.xcam.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.xcam.api.Heatmap;
import org.xcam.api.MetricContext;
import org.xcam.api.MetricResult;
import org.xcam.api.Objectives;
import org.xcam.api.Task;
import org.xcam.api.Tensor;

/**
 * Faithfulness metrics on {@link PixelLinearModel}: 2 x 2 input, f(x) = 1·x0 + 2·x1 + 3·x2 + 4·x3, logits [f, c].
 * On the image x = [1, 1, 1, 1], f = 10.
 */
class FaithfulnessTest {
  static final float[] A = {1, 2, 3, 4};
  static final Tensor ONES = Tensor.of(new float[] {1, 1, 1, 1}, 1, 1, 2, 2);
  /* heatmap ranking: pixel 1 (0.4), 2 (0.3), 3 (0.2), 0 (0.1) */
  static final Heatmap HEAT = M.map(2, 2, 0.1f, 0.4f, 0.3f, 0.2f);

  static MetricContext ctx(PixelLinearModel m, Heatmap h, Tensor x) {
    return MetricContext.builder(h).model(m, x, Objectives.logit(0, "f")).seed(7).build();
  }

  static double sigmoid(double v) { return 1 / (1 + Math.exp(-v)); }

  @Nested @DisplayName("insertion and deletion")
  class InsDel {
    @Test @DisplayName("insertion into zeros, 4 steps, logit: f = 0, 2, 5, 9, 10; area 0.25*(1 + 3.5 + 7 + 9.5) = 5.25")
    void insertionLogit() {
      PixelLinearModel m = new PixelLinearModel(A, 0, 2, 2);
      MetricResult r = M.metric(new Faithfulness.Insertion(),
          Map.of("steps", "4", "baseline", "zeros", "score", "logit", "batch-size", "2")).score(ctx(m, HEAT, ONES));
      assertThat(r.curves().get("insertion")[0]).containsExactly(0, 0.25, 0.5, 0.75, 1.0);
      assertThat(r.curves().get("insertion")[1]).containsExactly(new double[] {0, 2, 5, 9, 10}, within(1e-6));
      assertThat(r.value()).isCloseTo(5.25, within(1e-6));
      assertThat(m.batches).as("5 images in batches of 2").containsExactly(2, 2, 1);
    }

    @Test @DisplayName("deletion to zeros, 4 steps, logit: f = 10, 8, 5, 1, 0; area 0.25*(9 + 6.5 + 3 + 0.5) = 4.75")
    void deletionLogit() {
      PixelLinearModel m = new PixelLinearModel(A, 0, 2, 2);
      MetricResult r = M.metric(new Faithfulness.Deletion(), Map.of("steps", "4", "score", "logit")).score(ctx(m, HEAT, ONES));
      assertThat(r.curves().get("deletion")[1]).containsExactly(new double[] {10, 8, 5, 1, 0}, within(1e-6));
      assertThat(r.value()).isCloseTo(4.75, within(1e-6));
      assertThat(m.batches).as("one batch of 5").containsExactly(5);
    }

    @Test @DisplayName("2 steps insert 0, 2 and 4 pixels: f = 0, 5, 10; area 0.5*(2.5 + 7.5) = 5")
    void twoSteps() {
      PixelLinearModel m = new PixelLinearModel(A, 0, 2, 2);
      MetricResult r = M.metric(new Faithfulness.Insertion(), Map.of("steps", "2", "baseline", "zeros", "score", "logit")).score(ctx(m, HEAT, ONES));
      assertThat(r.value()).isCloseTo(5, within(1e-6));
    }

    @Test @DisplayName("softmax scores of logits [f, 0] are sigmoid(f): 0.5, 0.8808, 0.99331, 0.99988, 0.99995; area 0.9059895")
    void insertionSoftmax() {
      PixelLinearModel m = new PixelLinearModel(A, 0, 2, 2);
      MetricResult r = M.metric(new Faithfulness.Insertion(), Map.of("steps", "4", "baseline", "zeros")).score(ctx(m, HEAT, ONES));
      assertThat(r.curves().get("insertion")[1]).containsExactly(
          new double[] {0.5, 0.8807970779778823, 0.9933071490757153, 0.9998766054240137, 0.9999546021312976}, within(1e-6));
      assertThat(r.value()).isCloseTo(0.905989533385815, within(1e-6));
    }

    @Test @DisplayName("multilabel models score with the sigmoid of the class logit (same numbers here since c = 0)")
    void sigmoidScores() {
      PixelLinearModel m = new PixelLinearModel(A, 5, 2, 2, Task.MULTILABEL, 0, 1);
      MetricResult r = M.metric(new Faithfulness.Deletion(), Map.of("steps", "4")).score(ctx(m, HEAT, ONES));
      // sigmoid(10, 8, 5, 1, 0), unaffected by the other logit c = 5 (it would matter under softmax)
      assertThat(r.curves().get("deletion")[1]).containsExactly(
          new double[] {sigmoid(10), sigmoid(8), sigmoid(5), sigmoid(1), sigmoid(0)}, within(1e-6));
    }

    @Test @DisplayName("zeros is black in pixel space: with mean 0.5, std 0.25 a deleted pixel becomes (0-0.5)/0.25 = -2")
    void zerosInPixelSpace() {
      PixelLinearModel m = new PixelLinearModel(A, 0, 2, 2, Task.MULTICLASS, 0.5f, 0.25f);
      MetricResult r = M.metric(new Faithfulness.Deletion(), Map.of("steps", "4", "score", "logit")).score(ctx(m, HEAT, ONES));
      // input [1,1,1,1] (normalised); removing pixel 1 makes x1 = -2: f = 10 - 2*1 - 2*2 = 4 ... end: -2 * 10 = -20
      assertThat(r.curves().get("deletion")[1]).containsExactly(new double[] {10, 4, -5, -17, -20}, within(1e-5));
    }

    @Test @DisplayName("the blur baseline of a constant image is the same constant, so insertion is flat")
    void blurConstant() {
      PixelLinearModel m = new PixelLinearModel(A, 0, 2, 2);
      MetricResult r = M.metric(new Faithfulness.Insertion(), Map.of("steps", "4", "score", "logit")).score(ctx(m, HEAT, ONES));
      assertThat(r.curves().get("insertion")[1]).containsExactly(new double[] {10, 10, 10, 10, 10}, within(1e-5));
    }
  }

  @Test @DisplayName("Gaussian blur sigma 1 of an impulse: centre weight 1/(1 + 2e^-0.5 + 2e^-2 + 2e^-4.5) = 0.39905")
  void blurImpulse() {
    float[] x = new float[31];
    x[15] = 1;
    float[] b = Scoring.blur(x, 1, 1, 31, 1.0);
    double z = 1 + 2 * Math.exp(-0.5) + 2 * Math.exp(-2) + 2 * Math.exp(-4.5);
    assertThat(b[15]).isCloseTo((float) (1 / z), within(1e-6f));
    assertThat(b[16]).isCloseTo((float) (Math.exp(-0.5) / z), within(1e-6f));
    assertThat(b[19]).isCloseTo(0f, within(1e-9f));
  }

  @Nested @DisplayName("confidence drop and increase")
  class Confidence {
    // M = [1, 0.5, 0, 0]: x*M = [1, .5, 0, 0], f = 1 + 1 = 2; x*(1-M) = [0, .5, 1, 1], f = 1 + 3 + 4 = 8.
    final Heatmap mask = M.map(2, 2, 1f, 0.5f, 0f, 0f);

    @Test @DisplayName("average drop = 100*(s(10) - s(2))/s(10) = 11.91629 %; increase 0")
    void drop() {
      PixelLinearModel m = new PixelLinearModel(A, 0, 2, 2);
      assertThat(M.metric(new Faithfulness.AverageDrop()).score(ctx(m, mask, ONES)).value()).isCloseTo(11.916293389664252, within(1e-4));
      assertThat(M.metric(new Faithfulness.SaliencyZoneDrop()).score(ctx(m, mask, ONES)).value()).isCloseTo(11.916293389664252, within(1e-4));
      assertThat(M.metric(new Faithfulness.AverageIncrease()).score(ctx(m, mask, ONES)).value()).isEqualTo(0.0);
    }

    @Test @DisplayName("context zone drop = 100*(s(10) - s(8))/s(10) = 0.0289965 %; increase 0")
    void context() {
      PixelLinearModel m = new PixelLinearModel(A, 0, 2, 2);
      assertThat(M.metric(new Faithfulness.ContextZoneDrop()).score(ctx(m, mask, ONES)).value()).isCloseTo(0.028996542557630012, within(1e-4));
      assertThat(M.metric(new Faithfulness.ContextZoneIncrease()).score(ctx(m, mask, ONES)).value()).isEqualTo(0.0);
    }

    @Test @DisplayName("with a = [1,2,3,-4], f(x) = 2 and x*[1,1,1,0] gives f = 6 > 2: increase 100, drop 0")
    void increase() {
      PixelLinearModel m = new PixelLinearModel(new float[] {1, 2, 3, -4}, 0, 2, 2);
      Heatmap keep = M.map(2, 2, 1, 1, 1, 0);
      assertThat(M.metric(new Faithfulness.AverageIncrease()).score(ctx(m, keep, ONES)).value()).isEqualTo(100.0);
      assertThat(M.metric(new Faithfulness.SaliencyZoneIncrease()).score(ctx(m, keep, ONES)).value()).isEqualTo(100.0);
      assertThat(M.metric(new Faithfulness.AverageDrop()).score(ctx(m, keep, ONES)).value()).isEqualTo(0.0);
    }
  }

  @Nested @DisplayName("sensitivity-n")
  class SensN {
    // With zeros baseline and x = 1, removing a set S changes f by exactly sum_{p in S} a_p.
    @Test @DisplayName("a map proportional to a = [1,2,3,4] correlates perfectly: 1")
    void perfect() {
      PixelLinearModel m = new PixelLinearModel(A, 0, 2, 2);
      double v = M.metric(new Faithfulness.SensitivityN(), Map.of("n", "2", "samples", "20")).score(ctx(m, M.map(2, 2, 0.25f, 0.5f, 0.75f, 1f), ONES)).value();
      assertThat(v).isCloseTo(1.0, within(1e-6));
    }

    @Test @DisplayName("a map (5 - a)/4 has set sums (10 - sum a)/4, a falling line in the drop: -1")
    void reversed() {
      PixelLinearModel m = new PixelLinearModel(A, 0, 2, 2);
      double v = M.metric(new Faithfulness.SensitivityN(), Map.of("n", "2", "samples", "20")).score(ctx(m, M.map(2, 2, 1f, 0.75f, 0.5f, 0.25f), ONES)).value();
      assertThat(v).isCloseTo(-1.0, within(1e-6));
    }

    @Test @DisplayName("a constant map has no variation: 0 with a note")
    void constant() {
      PixelLinearModel m = new PixelLinearModel(A, 0, 2, 2);
      MetricResult r = M.metric(new Faithfulness.SensitivityN(), Map.of("n", "2", "samples", "20")).score(ctx(m, M.map(2, 2, 0, 0, 0, 0), ONES));
      assertThat(r.value()).isEqualTo(0.0);
      assertThat(r.note()).isNotEmpty();
    }
  }

  @Nested @DisplayName("ROAD")
  class RoadTests {
    @Test @DisplayName("linear imputation: a hole in 1 x 4 [0, ?, ?, 3] fills with the straight line 1, 2")
    void line() {
      float[] out = Imputation.noisyLinear(new float[] {0, 9, 9, 3}, 1, 1, 4, new boolean[] {false, true, true, false}, 0, new SplittableRandom(1));
      // equations (1/3)v1 - (1/6)v2 = 0 and (1/3)v2 - (1/6)v1 = 3/6 give v1 = 1, v2 = 2
      assertThat(out).containsExactly(new float[] {0, 1, 2, 3}, within(1e-5f));
    }

    @Test @DisplayName("linear imputation: the centre of a 3x3 with edges 1 and corners 0 is 4*(1/6) / 1 = 2/3")
    void centre() {
      float[] x = {0, 1, 0, 1, 9, 1, 0, 1, 0};
      boolean[] r = new boolean[9];
      r[4] = true;
      float[] out = Imputation.noisyLinear(x, 1, 3, 3, r, 0, new SplittableRandom(1));
      assertThat(out[4]).isCloseTo(2 / 3f, within(1e-5f));
    }

    @Test @DisplayName("MoRF 25% removes pixel 1 of [0,5,2,3]: imputed (0+2)/2 = 1, f = 0 + 2 + 6 + 12 = 20")
    void morf() {
      PixelLinearModel m = new PixelLinearModel(A, 0, 1, 4);
      Tensor x = Tensor.of(new float[] {0, 5, 2, 3}, 1, 1, 1, 4);
      MetricResult r = M.metric(new Faithfulness.RoadMorf(), Map.of("percentages", "25", "noise", "0", "score", "logit"))
          .score(ctx(m, M.map(1, 4, 0, 1, 0.5f, 0.2f), x));
      assertThat(r.value()).isCloseTo(20, within(1e-4));
      assertThat(r.curves().get("road-morf")[0]).containsExactly(25);
    }

    @Test @DisplayName("LeRF 25% removes pixel 0 (only neighbour pixel 1 = 5): f = 5 + 10 + 6 + 12 = 33")
    void lerf() {
      PixelLinearModel m = new PixelLinearModel(A, 0, 1, 4);
      Tensor x = Tensor.of(new float[] {0, 5, 2, 3}, 1, 1, 1, 4);
      MetricResult r = M.metric(new Faithfulness.RoadLerf(), Map.of("percentages", "25", "noise", "0", "score", "logit"))
          .score(ctx(m, M.map(1, 4, 0, 1, 0.5f, 0.2f), x));
      assertThat(r.value()).isCloseTo(33, within(1e-4));
    }

    @Test @DisplayName("the noise has the requested spread: std of imputed values around the exact fill is about 0.5")
    void noise() {
      int n = 40 * 40;
      float[] x = new float[n];
      boolean[] r = new boolean[n];
      for (int i = 0; i < n; i++) r[i] = (i / 40) % 2 == 1; // every other row: exact fill is 0 for a zero image
      float[] out = Imputation.noisyLinear(x, 1, 40, 40, r, 0.5, new SplittableRandom(3));
      double s = 0;
      int k = 0;
      for (int i = 0; i < n; i++) if (r[i]) { s += out[i] * out[i]; k++; }
      assertThat(Math.sqrt(s / k)).isCloseTo(0.5, within(0.03));
    }
  }

  @Nested @DisplayName("Feature-CAM explanation map")
  class ExplanationMapTests {
    // heat [0.1, 0.4, 0.3, 0.2]: 80th percentile 0.34 keeps pixel 1 only; logits [f, 3]
    @Test @DisplayName("80%: x*mask = [0,1,0,0], f = 2 < 3: class changes (0); confidence softmax([2,3])_0 = 1/(1+e) = 0.26894")
    void p80() {
      PixelLinearModel m = new PixelLinearModel(A, 3, 2, 2);
      assertThat(M.metric(new Faithfulness.ExplanationMapRight()).score(ctx(m, HEAT, ONES)).value()).isEqualTo(0.0);
      assertThat(M.metric(new Faithfulness.ExplanationMapConfidence()).score(ctx(m, HEAT, ONES)).value())
          .isCloseTo(0.2689414213699951, within(1e-6));
    }

    @Test @DisplayName("50th percentile 0.25 keeps pixels 1, 2: f = 5 > 3, still class 0 (1); confidence sigmoid(2) = 0.88080")
    void p50() {
      PixelLinearModel m = new PixelLinearModel(A, 3, 2, 2);
      Map<String, String> o = Map.of("percentile", "50");
      assertThat(M.metric(new Faithfulness.ExplanationMapRight(), o).score(ctx(m, HEAT, ONES)).value()).isEqualTo(1.0);
      assertThat(M.metric(new Faithfulness.ExplanationMapConfidence(), o).score(ctx(m, HEAT, ONES)).value())
          .isCloseTo(0.8807970779778823, within(1e-6));
    }
  }
}
