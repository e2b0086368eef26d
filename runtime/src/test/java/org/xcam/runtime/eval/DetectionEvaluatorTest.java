package org.xcam.runtime.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.Box;
import org.xcam.api.InvalidInputException;

/**
 * Three images, worked by hand. Class a: image 0 truth [0,0,10,10], predictions [0,0,10,10] .9 and [20,20,30,30] .6;
 * image 1 truths [0,0,10,10] and [50,50,60,60], predictions [0,0,10,5] .8 (IoU .5) and [0,0,10,10] .7;
 * image 2 no truth, prediction [0,0,10,10] .5. Class b: image 0 truth [0,0,4,4], never predicted.
 */
class DetectionEvaluatorTest {
  private static final double TOL = 1e-9;
  private DetectionEvaluator ev;

  private static Box b(double x0, double y0, double x1, double y1, String l, double s) { return new Box(x0, y0, x1, y1, l, s); }

  @BeforeEach
  void setUp() {
    ev = new DetectionEvaluator();
    ev.add(List.of(b(0, 0, 10, 10, "a", 1), b(0, 0, 4, 4, "b", 1)),
        List.of(b(0, 0, 10, 10, "a", .9), b(20, 20, 30, 30, "a", .6)));
    ev.add(List.of(b(0, 0, 10, 10, "a", 1), b(50, 50, 60, 60, "a", 1)),
        List.of(b(0, 0, 10, 5, "a", .8), b(0, 0, 10, 10, "a", .7)));
    ev.add(List.of(), List.of(b(0, 0, 10, 10, "a", .5)));
  }

  @Test
  @DisplayName("AP at IoU 0.5: TP, TP, FP (its truth is taken), FP, FP with 3 truths -> 1/3*1 + 1/3*1 = 2/3")
  void apAtHalf() {
    var c = ev.curve("a", 0.5);
    assertThat(c.precision()).containsExactly(new double[] {1, 1, 2.0 / 3, 0.5, 0.4}, within(TOL));
    assertThat(c.recall()).containsExactly(new double[] {1.0 / 3, 2.0 / 3, 2.0 / 3, 2.0 / 3, 2.0 / 3}, within(TOL));
    assertThat(c.ap()).isCloseTo(2.0 / 3, within(TOL));
  }

  @Test
  @DisplayName("AP at IoU 0.6: TP, FP, TP, FP, FP; the envelope lifts precision 1/2 to 2/3 -> 1/3 + 1/3*2/3 = 5/9")
  void apInterpolated() {
    var c = ev.curve("a", 0.6);
    assertThat(c.precision()).containsExactly(new double[] {1, 0.5, 2.0 / 3, 0.5, 0.4}, within(TOL));
    assertThat(c.ap()).isCloseTo(5.0 / 9, within(TOL));
  }

  @Test
  @DisplayName("a class with truth but no prediction has AP 0; mean AP averages classes; mAP averages t = 0.1..0.7")
  void means() {
    assertThat(ev.classes()).containsExactly("a", "b");
    assertThat(ev.ap("b", 0.1)).isEqualTo(0.0);
    assertThat(ev.meanAp(0.5)).isCloseTo(1.0 / 3, within(TOL));
    assertThat(ev.meanAp(0.7)).isCloseTo(5.0 / 18, within(TOL));
    // t = .1 .. .5: (2/3 + 0)/2 = 1/3; t = .6, .7: (5/9 + 0)/2 = 5/18 -> (5/3 + 5/9)/7 = 20/63
    assertThat(ev.meanAp()).isCloseTo(20.0 / 63, within(TOL));
    assertThat(ev.apPerClass(0.5)).containsEntry("a", 2.0 / 3);
  }

  @Test
  @DisplayName("loc-acc: a at score .65 is right on all 3 images, at .4 image 2's false box costs 1/3; b is right on 2 of 3")
  void locAcc() {
    assertThat(ev.locAcc("a", 0.1, 0.65)).isCloseTo(1.0, within(TOL));
    assertThat(ev.locAcc("a", 0.1, 0.4)).isCloseTo(2.0 / 3, within(TOL));
    assertThat(ev.locAcc("b", 0.1, 0.65)).isCloseTo(2.0 / 3, within(TOL));
    assertThat(ev.locAcc(0.1, 0.65)).isCloseTo(5.0 / 6, within(TOL));
    // at score .85 image 1 keeps no box of a: wrong -> 2/3
    assertThat(ev.locAcc("a", 0.1, 0.85)).isCloseTo(2.0 / 3, within(TOL));
  }

  @Test
  @DisplayName("all-point interpolation: precision [1, .5, 2/3] at recall [.5, .5, 1] gives .5 + .5 * 2/3")
  void allPoint() {
    assertThat(DetectionEvaluator.allPointAp(new double[] {1, .5, 2.0 / 3}, new double[] {.5, .5, 1})).isCloseTo(0.5 + 1.0 / 3, within(TOL));
    assertThat(DetectionEvaluator.allPointAp(new double[0], new double[0])).isEqualTo(0.0);
  }

  @Test
  @DisplayName("a perfect detector scores AP 1 and loc-acc 1 at every threshold")
  void perfect() {
    DetectionEvaluator p = new DetectionEvaluator();
    p.add(List.of(b(1, 1, 5, 5, "x", 1)), List.of(b(1, 1, 5, 5, "x", .9)));
    p.add(List.of(), List.of());
    assertThat(p.meanAp()).isCloseTo(1.0, within(TOL));
    assertThat(p.locAcc(0.7, 0.5)).isCloseTo(1.0, within(TOL));
  }

  @Test
  @DisplayName("undefined AP and bad thresholds are one-line errors")
  void bad() {
    assertThatThrownBy(() -> ev.ap("c", 0.5)).isInstanceOf(InvalidInputException.class).hasMessageContaining("[a, b]");
    assertThatThrownBy(() -> ev.ap("a", 0)).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> ev.add(List.of(Box.of(0, 0, 1, 1, null)), List.of())).isInstanceOf(InvalidInputException.class);
  }
}
