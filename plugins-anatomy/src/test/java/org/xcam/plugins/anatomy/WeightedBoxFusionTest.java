package org.xcam.plugins.anatomy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.xcam.api.Box;
import org.xcam.api.InvalidInputException;
import org.xcam.plugins.anatomy.WeightedBoxFusion.ConfType;

/** Golden values worked out by hand (the arithmetic is in the comments), following ensemble-boxes' formulas. */
class WeightedBoxFusionTest {
  private static final double TOL = 1e-9;

  private static Box b(double x0, double y0, double x1, double y1, double s) { return new Box(x0, y0, x1, y1, "a", s); }

  private static WeightedBoxFusion wbf(double thr, ConfType c, boolean overflow, double... w) {
    return WeightedBoxFusion.builder().iouThr(thr).confType(c).allowsOverflow(overflow).weights(w.length == 0 ? null : w).build();
  }

  private static void assertBox(Box got, double x0, double y0, double x1, double y1, double score) {
    assertThat(got.x0()).as("x0").isCloseTo(x0, within(TOL));
    assertThat(got.y0()).as("y0").isCloseTo(y0, within(TOL));
    assertThat(got.x1()).as("x1").isCloseTo(x1, within(TOL));
    assertThat(got.y1()).as("y1").isCloseTo(y1, within(TOL));
    assertThat(got.score()).as("score").isCloseTo(score, within(TOL));
  }

  @Nested
  @DisplayName("one model, two overlapping boxes")
  class TwoBoxes {
    // A = [0,0,10,10] score 0.9, B = [1,0,11,10] score 0.6; IoU = 9*10 / (100 + 100 - 90) = 0.818 > 0.55
    // fused x0 = (0.9*0 + 0.6*1) / 1.5 = 0.4, x1 = (0.9*10 + 0.6*11) / 1.5 = 15.6 / 1.5 = 10.4, y unchanged
    final List<Box> boxes = List.of(b(0, 0, 10, 10, 0.9), b(1, 0, 11, 10, 0.6));

    @Test @DisplayName("avg: sum 1.5 over n = 2 times min(M = 1, n = 2) / W = 1 gives 0.75")
    void avg() {
      List<Box> out = wbf(0.55, ConfType.AVG, false).fuseSingle(boxes);
      assertThat(out).hasSize(1);
      assertBox(out.get(0), 0.4, 0, 10.4, 10, 0.75);
    }

    @Test @DisplayName("avg with overflow: sum 1.5 / W = 1 gives 1.5 (the score exceeds 1)")
    void avgOverflow() {
      assertBox(wbf(0.55, ConfType.AVG, true).fuseSingle(boxes).get(0), 0.4, 0, 10.4, 10, 1.5);
    }

    @Test @DisplayName("max: the larger score 0.9 over the largest weight 1")
    void max() {
      assertBox(wbf(0.55, ConfType.MAX, false).fuseSingle(boxes).get(0), 0.4, 0, 10.4, 10, 0.9);
    }

    @Test @DisplayName("box_and_model_avg and absent_model_aware_avg: 1.5 / 2 = 0.75 when the only model is present")
    void modelAware() {
      assertThat(wbf(0.55, ConfType.BOX_AND_MODEL_AVG, false).fuseSingle(boxes).get(0).score()).isCloseTo(0.75, within(TOL));
      assertThat(wbf(0.55, ConfType.ABSENT_MODEL_AWARE_AVG, false).fuseSingle(boxes).get(0).score()).isCloseTo(0.75, within(TOL));
    }

    @Test @DisplayName("an IoU threshold above 0.818 keeps the boxes apart, sorted by score")
    void apart() {
      List<Box> out = wbf(0.85, ConfType.AVG, false).fuseSingle(boxes);
      assertThat(out).hasSize(2);
      assertBox(out.get(0), 0, 0, 10, 10, 0.9);
      assertBox(out.get(1), 1, 0, 11, 10, 0.6);
    }
  }

  @Test
  @DisplayName("matching is strict: IoU exactly at the threshold does not join")
  void strictThreshold() {
    // [0,0,10,10] vs [0,0,10,5]: IoU = 50 / 100 = 0.5
    List<Box> boxes = List.of(b(0, 0, 10, 10, 0.9), b(0, 0, 10, 5, 0.8));
    assertThat(wbf(0.5, ConfType.AVG, false).fuseSingle(boxes)).hasSize(2);
    assertThat(wbf(0.49, ConfType.AVG, false).fuseSingle(boxes)).hasSize(1);
  }

  @Test
  @DisplayName("a box is matched against the cluster's current fused box, not its first box")
  void matchesFusedBox() {
    // iou_thr 0.3. A = [0,10] s 1.0, B = [4,14] s 0.9 (y 0..10 for all): IoU(A,B) = 60/140 = 0.4286 -> join.
    // fused x0 = 0.9*4/1.9 = 1.8947, x1 = (10 + 12.6)/1.9 = 11.8947.
    // C = [6,16] s 0.5: IoU(C, A) = 40/160 = 0.25 (would not join) but IoU(C, fused) = 58.947/141.053 = 0.418 -> join.
    // fused x0 = (0 + 3.6 + 3.0)/2.4 = 2.75, x1 = (10 + 12.6 + 8)/2.4 = 12.75; avg conf = 2.4/3 * min(1,3)/1 = 0.8
    List<Box> out = wbf(0.3, ConfType.AVG, false).fuseSingle(List.of(b(6, 0, 16, 10, 0.5), b(0, 0, 10, 10, 1.0), b(4, 0, 14, 10, 0.9)));
    assertThat(out).hasSize(1);
    assertBox(out.get(0), 2.75, 0, 12.75, 10, 0.8);
  }

  @Nested
  @DisplayName("ensemble-boxes issue #40: weights [2, 1], model 0 puts two identical boxes of score 1 in one cluster")
  class Issue40 {
    // model 0: A1 = A2 = [0.1,0.1,0.2,0.2] score 1 -> s = 2 each; model 1: B = [0.3,0.3,0.4,0.4] score 0.5 -> s = 0.5
    // W = 3, M = 2. Cluster A: n = 2, sum s = 4, sum w = 4, models {0}. Cluster B: n = 1, s = 0.5, w = 1, models {1}.
    final List<List<Box>> in = List.of(
        List.of(b(0.1, 0.1, 0.2, 0.2, 1.0), b(0.1, 0.1, 0.2, 0.2, 1.0)),
        List.of(b(0.3, 0.3, 0.4, 0.4, 0.5)));

    private List<Box> run(ConfType c, boolean overflow) { return wbf(0.5, c, overflow, 2, 1).fuse(in); }

    @Test @DisplayName("avg without overflow still overflows: 4/2 * min(2,2)/3 = 4/3, and B gets 0.5 * 1/3 (the library's output)")
    void avg() {
      List<Box> out = run(ConfType.AVG, false);
      assertBox(out.get(0), 0.1, 0.1, 0.2, 0.2, 4.0 / 3);
      assertBox(out.get(1), 0.3, 0.3, 0.4, 0.4, 0.5 / 3);
    }

    @Test @DisplayName("avg with overflow: sum s / W = 4/3 and 0.5/3")
    void avgOverflow() {
      List<Box> out = run(ConfType.AVG, true);
      assertThat(out.get(0).score()).isCloseTo(4.0 / 3, within(TOL));
      assertThat(out.get(1).score()).isCloseTo(0.5 / 3, within(TOL));
    }

    @Test @DisplayName("max: 2/2 = 1 and 0.5/2 = 0.25")
    void max() {
      List<Box> out = run(ConfType.MAX, false);
      assertThat(out.get(0).score()).isCloseTo(1.0, within(TOL));
      assertThat(out.get(1).score()).isCloseTo(0.25, within(TOL));
    }

    @Test @DisplayName("box_and_model_avg stays in [0,1]: 4/4 * 2/3 = 2/3 and 0.5/1 * 1/3 = 1/6")
    void boxAndModel() {
      List<Box> out = run(ConfType.BOX_AND_MODEL_AVG, false);
      assertThat(out.get(0).score()).isCloseTo(2.0 / 3, within(TOL));
      assertThat(out.get(1).score()).isCloseTo(1.0 / 6, within(TOL));
    }

    @Test @DisplayName("absent_model_aware_avg: 4/(4 + 1) = 0.8 and 0.5/(1 + 2) = 1/6")
    void absentAware() {
      List<Box> out = run(ConfType.ABSENT_MODEL_AWARE_AVG, false);
      assertThat(out.get(0).score()).isCloseTo(0.8, within(TOL));
      assertThat(out.get(1).score()).isCloseTo(1.0 / 6, within(TOL));
    }
  }

  @Test
  @DisplayName("ensemble-boxes issue #38: five models of weight 0.2 agreeing with score 1 fuse to 1, not 0.2")
  void issue38() {
    // s = 0.2 each, n = 5, W = 1: 1.0/5 * min(5,5)/1 = 1.0
    List<List<Box>> in = List.of(List.of(b(0, 0, 1e-4, 1e-4, 1)), List.of(b(0, 0, 1e-4, 1e-4, 1)),
        List.of(b(0, 0, 1e-4, 1e-4, 1)), List.of(b(0, 0, 1e-4, 1e-4, 1)), List.of(b(0, 0, 1e-4, 1e-4, 1)));
    List<Box> out = wbf(0.4, ConfType.AVG, false, 0.2, 0.2, 0.2, 0.2, 0.2).fuse(in);
    assertThat(out).hasSize(1);
    assertThat(out.get(0).score()).isCloseTo(1.0, within(TOL));
  }

  @Test
  @DisplayName("ensemble-boxes issue #39: conf type max with weights [1, 3] on two score-1 boxes gives 3/3 = 1, not 1.5")
  void issue39() {
    List<List<Box>> in = List.of(List.of(b(0.1, 0.1, 0.2, 0.2, 1)), List.of(b(0.1, 0.1, 0.2, 0.2, 1)));
    List<Box> out = wbf(0.5, ConfType.MAX, true, 1, 3).fuse(in);
    assertThat(out).hasSize(1);
    assertThat(out.get(0).score()).isCloseTo(1.0, within(TOL));
  }

  @Test
  @DisplayName("one model, three boxes in a cluster: avg caps at min(M, n) = 1 -> 0.8; overflow gives 2.4")
  void overflowSingleModel() {
    // scores 0.9, 0.8, 0.7 on identical boxes: sum 2.4, n = 3, M = 1, W = 1
    List<Box> boxes = List.of(b(0, 0, 4, 4, 0.9), b(0, 0, 4, 4, 0.8), b(0, 0, 4, 4, 0.7));
    assertThat(wbf(0.55, ConfType.AVG, false).fuseSingle(boxes).get(0).score()).isCloseTo(0.8, within(TOL));
    assertThat(wbf(0.55, ConfType.AVG, true).fuseSingle(boxes).get(0).score()).isCloseTo(2.4, within(TOL));
  }

  @Test
  @DisplayName("weighted coordinates with weights [2, 1]: s = 1.6 and 0.9 weigh the corners")
  void weightedCoordinates() {
    // model 0: [0,0,10,10] score 0.8 -> s 1.6; model 1: [2,0,12,10] score 0.9 -> s 0.9; IoU = 80/120 = 0.667
    // x0 = (0 + 0.9*2)/2.5 = 0.72; x1 = (16 + 10.8)/2.5 = 10.72; avg conf = 2.5/2 * min(2,2)/3 = 0.8333
    List<Box> out = wbf(0.55, ConfType.AVG, false, 2, 1).fuse(List.of(List.of(b(0, 0, 10, 10, 0.8)), List.of(b(2, 0, 12, 10, 0.9))));
    assertThat(out).hasSize(1);
    assertBox(out.get(0), 0.72, 0, 10.72, 10, 2.5 / 3);
  }

  @Test
  @DisplayName("labels are fused separately; skip_box_thr drops scores below it (equal is kept); zero-area boxes are dropped")
  void labelsSkipAndZeroArea() {
    List<Box> in = List.of(
        new Box(0, 0, 10, 10, "x", 0.9), new Box(0, 0, 10, 10, "y", 0.8),
        new Box(0, 0, 10, 10, "x", 0.2999), new Box(0, 0, 10, 10, "y", 0.3), new Box(5, 5, 5, 9, "x", 0.95));
    List<Box> out = WeightedBoxFusion.builder().skipBoxThr(0.3).build().fuseSingle(in);
    assertThat(out).extracting(Box::label).containsExactly("x", "y");
    assertThat(out.get(0).score()).isCloseTo(0.9, within(TOL));
    // y: (0.8 + 0.3)/2 * min(1,2)/1 = 0.55
    assertThat(out.get(1).score()).isCloseTo(0.55, within(TOL));
  }

  @Test
  @DisplayName("clusters keep their members and model indices")
  void clusters() {
    var f = wbf(0.5, ConfType.AVG, false, 2, 1).fuseClusters(new Issue40().in);
    assertThat(f.get(0).members()).hasSize(2);
    assertThat(f.get(0).models()).containsExactly(0, 0);
    assertThat(f.get(1).models()).containsExactly(1);
  }

  @Test
  @DisplayName("bad options fail with one-line messages")
  void badInput() {
    assertThatThrownBy(() -> wbf(0.5, ConfType.AVG, false, 1, 1).fuse(List.of(List.of())))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("2 model weights for 1 models");
    assertThatThrownBy(() -> WeightedBoxFusion.builder().weights(1, -1)).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> ConfType.fromId("mean")).isInstanceOf(InvalidInputException.class).hasMessageContaining("box_and_model_avg");
    assertThat(ConfType.fromId("absent-model-aware-avg")).isEqualTo(ConfType.ABSENT_MODEL_AWARE_AVG);
  }
}
