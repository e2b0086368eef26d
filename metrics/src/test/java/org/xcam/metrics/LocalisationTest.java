package org.xcam.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.xcam.api.Box;
import org.xcam.api.Heatmap;
import org.xcam.api.InvalidInputException;
import org.xcam.api.MetricContext;
import org.xcam.api.MetricResult;
import org.xcam.api.Tensor;

class LocalisationTest {
  /*
   * The 2 x 4 map used below (row-major indices in brackets):
   *   row 0:  [0] 0.5    [1] 0.25   [2] 0   [3] 0
   *   row 1:  [4] 0.125  [5] 0.125  [6] 0   [7] 0
   * Total energy 1.0 (binary fractions, so the sums are exact). Ranking: 0, 1, 4, 5 (4 before 5: tie, row-major).
   * Running sums: 0.5, 0.75, 0.875, 1.0.
   * The truth box [0,1) x [0,2) holds the pixels of column 0: {0, 4}.
   */
  static final Heatmap MAP = M.map(2, 4, 0.5f, 0.25f, 0f, 0f, 0.125f, 0.125f, 0f, 0f);
  static final List<Box> BOX = List.of(Box.of(0, 0, 1, 2, "lesion"));

  static MetricContext ctx() { return MetricContext.builder(MAP).boxes(BOX).build(); }

  @Nested @DisplayName("IoU at energy thresholds")
  class Energy {
    @Test @DisplayName("75%: the set {0,1} (sum 0.75); with truth {0,4}: 1 shared of 3 -> 1/3")
    void e75() { assertThat(M.metric(new Localisation.IouEnergy75()).score(ctx()).value()).isCloseTo(1 / 3.0, within(1e-12)); }

    @Test @DisplayName("80% and 85%: the set {0,1,4} (sum 0.875): 2 shared of 3 -> 2/3")
    void e80() {
      assertThat(M.metric(new Localisation.IouEnergy80()).score(ctx()).value()).isCloseTo(2 / 3.0, within(1e-12));
      assertThat(M.metric(new Localisation.IouEnergy85()).score(ctx()).value()).isCloseTo(2 / 3.0, within(1e-12));
    }

    @Test @DisplayName("90% and 95%: 0.875 < 0.9 so all four non-zero pixels: 2 shared of 4 -> 1/2")
    void e90() {
      assertThat(M.metric(new Localisation.IouEnergy90()).score(ctx()).value()).isCloseTo(0.5, within(1e-12));
      assertThat(M.metric(new Localisation.IouEnergy95()).score(ctx()).value()).isCloseTo(0.5, within(1e-12));
    }

    @Test @DisplayName("every energy metric carries the IoU-vs-energy curve at 95, 90, 85, 80, 75")
    void curve() {
      MetricResult r = M.metric(new Localisation.IouEnergy90()).score(ctx());
      double[][] c = r.curves().get("iou-vs-energy");
      assertThat(c[0]).containsExactly(95, 90, 85, 80, 75);
      assertThat(c[1]).containsExactly(new double[] {0.5, 0.5, 2 / 3.0, 2 / 3.0, 1 / 3.0}, within(1e-12));
    }

    @Test @DisplayName("a mask in the context is used instead of boxes (auto): truth {1} -> 75% set {0,1}: 1 of 2")
    void mask() {
      Tensor mask = Tensor.of(new float[] {0, 1, 0, 0, 0, 0, 0, 0}, 2, 4);
      MetricContext c = MetricContext.builder(MAP).boxes(BOX).mask(mask).build();
      assertThat(M.metric(new Localisation.IouEnergy75()).score(c).value()).isCloseTo(0.5, within(1e-12));
      assertThat(M.metric(new Localisation.IouEnergy75(), Map.of("truth", "boxes")).score(c).value()).isCloseTo(1 / 3.0, within(1e-12));
    }

    @Test @DisplayName("an all-zero map gives the empty set, IoU 0 (never NaN) and a note")
    void zero() {
      MetricResult r = M.metric(new Localisation.IouEnergy90()).score(MetricContext.builder(M.map(2, 4, new float[8])).boxes(BOX).build());
      assertThat(r.value()).isEqualTo(0.0);
      assertThat(r.note()).contains("zeros");
    }
  }

  @Nested @DisplayName("value-threshold IoU and Dice")
  class ValueThreshold {
    @Test @DisplayName("threshold 0.25 keeps {0,1}; truth {0,4}: IoU 1/3, Dice 2*1/(2+2) = 1/2")
    void quarter() {
      Map<String, String> o = Map.of("threshold", "0.25");
      assertThat(M.metric(new Localisation.IouThreshold(), o).score(ctx()).value()).isCloseTo(1 / 3.0, within(1e-12));
      assertThat(M.metric(new Localisation.DiceThreshold(), o).score(ctx()).value()).isCloseTo(0.5, within(1e-12));
    }

    @Test @DisplayName("threshold 0.1 keeps {0,1,4,5}; IoU 2/4, Dice 2*2/(4+2) = 2/3")
    void tenth() {
      Map<String, String> o = Map.of("threshold", "0.1");
      assertThat(M.metric(new Localisation.IouThreshold(), o).score(ctx()).value()).isCloseTo(0.5, within(1e-12));
      assertThat(M.metric(new Localisation.DiceThreshold(), o).score(ctx()).value()).isCloseTo(2 / 3.0, within(1e-12));
    }
  }

  @Nested @DisplayName("pointing game")
  class Pointing {
    // 4 x 4 map, maximum at (x=3, y=0) (centre 3.5, 0.5); box [0,2) x [0,2).
    final Heatmap m = M.map(4, 4, 0.1f, 0.2f, 0.3f, 0.9f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5f);
    final MetricContext c = MetricContext.builder(m).boxes(List.of(Box.of(0, 0, 2, 2, "x"))).build();

    @Test @DisplayName("the maximum outside the box misses")
    void miss() { assertThat(M.metric(new Localisation.PointingGame()).score(c).value()).isEqualTo(0.0); }

    @Test @DisplayName("with 15 px tolerance it hits: distance from (3.5, 0.5) to the box edge x=2 is 1.5")
    void tolerance() {
      assertThat(M.metric(new Localisation.PointingGame(), Map.of("tolerance", "15")).score(c).value()).isEqualTo(1.0);
      assertThat(M.metric(new Localisation.PointingGame(), Map.of("tolerance", "1.4")).score(c).value()).isEqualTo(0.0);
      assertThat(M.metric(new Localisation.PointingGame(), Map.of("tolerance", "1.5")).score(c).value()).isEqualTo(1.0);
    }

    @Test @DisplayName("a maximum inside a box hits")
    void hit() {
      MetricContext c2 = MetricContext.builder(m).boxes(List.of(Box.of(3, 0, 4, 1, "y"))).build();
      assertThat(M.metric(new Localisation.PointingGame()).score(c2).value()).isEqualTo(1.0);
    }

    @Test @DisplayName("a constant map points nowhere: 0 with a note")
    void constant() {
      MetricResult r = M.metric(new Localisation.PointingGame()).score(MetricContext.builder(M.map(2, 2, 0, 0, 0, 0)).boxes(BOX).build());
      assertThat(r.value()).isEqualTo(0.0);
      assertThat(r.note()).contains("constant");
    }
  }

  @Test @DisplayName("energy in box: (0.5 + 0.125) / 1.0 = 0.625")
  void energyInBox() {
    assertThat(M.metric(new Localisation.EnergyInBox()).score(ctx()).value()).isCloseTo(0.625, within(1e-12));
  }

  @Test @DisplayName("boxes rasterise by pixel centres: [0.4, 1.6) holds pixels 0 and 1 (centres 0.5, 1.5), [0.6, 1.6) only pixel 1, [0.6, 1.4) none")
  void rasterise() {
    assertThat(MapOps.boxMask(List.of(Box.of(0.4, 0, 1.6, 1, "a")), 1, 4)).containsExactly(true, true, false, false);
    assertThat(MapOps.boxMask(List.of(Box.of(0.6, 0, 1.6, 1, "a")), 1, 4)).containsExactly(false, true, false, false);
    assertThat(MapOps.boxMask(List.of(Box.of(0.6, 0, 1.4, 1, "a")), 1, 4)).containsExactly(false, false, false, false);
    assertThat(MapOps.boxMask(List.of(Box.of(-5, -5, 100, 100, "a")), 1, 2)).containsExactly(true, true);
  }

  @Test @DisplayName("a localisation metric without boxes fails with a one-line message saying what it needs")
  void needsBoxes() {
    assertThatThrownBy(() -> M.metric(new Localisation.EnergyInBox()).score(MetricContext.builder(MAP).build()))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("boxes");
  }

  @Test @DisplayName("percentile interpolates linearly between ranks (NumPy default): 80th of 0.1..0.4 is 0.34")
  void percentile() {
    assertThat(MapOps.percentile(new float[] {0.4f, 0.1f, 0.3f, 0.2f}, 80)).isCloseTo(0.34, within(1e-6));
    assertThat(MapOps.percentile(new float[] {0.4f, 0.1f, 0.3f, 0.2f}, 50)).isCloseTo(0.25, within(1e-6));
  }
}
