package org.xcam.plugins.iba;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.CountingModel;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Passes;
import org.xcam.api.Target;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.tck.fixtures.PoolLinearModel;

@DisplayName("IBA on hand-made models")
class IbaExplainerTest {
  static final int H = 16, W = 16;
  static final int[] REGION = {5, 5, 11, 11}; // y0, x0, y1, x1

  static PoolLinearModel regionModel() {
    return Fixtures.regionModel(H, W, PoolLinearModel.boxPool(H, W, REGION[0], REGION[1], REGION[2], REGION[3]), Task.MULTICLASS);
  }

  static ActivationStats stats(PoolLinearModel m) {
    return ActivationStats.estimate(m.layer("features"), Fixtures.uniformBatches(1, 10, 20, 1, H, W), ActivationStats.Mode.ELEMENT, "uniform");
  }

  static Tensor brightRegionImage(long seed) { return Fixtures.brightBox(seed, 1, H, W, REGION, 0.5f); }

  @Nested
  @DisplayName("On a model whose output depends on one region only")
  class OneRegion {
    @Test
    @DisplayName("IBA puts at least 80% of the bits inside that region")
    void bitsInsideRegion() {
      PoolLinearModel m = regionModel();
      IbaExplainer iba = IbaExplainer.iba(StatsSource.of(Map.of("features", stats(m))));
      for (long seed = 0; seed < 3; seed++) {
        Explanation e = iba.explain(m, ExplainRequest.builder(brightRegionImage(100 + seed)).target(Target.classIndex(1)).seed(seed).build()).get(0);
        double frac = Fixtures.fractionInside(e.raw().values(), W, REGION);
        System.out.printf("[iba-region] seed %d: %.1f%% of %.2f bits inside the 6x6 region (14%% of the map)%n", seed, 100 * frac,
            ((Number) e.extras().get("totalBits")).doubleValue());
        assertThat(frac).isGreaterThanOrEqualTo(0.80);
        assertThat(e.raw().sum()).isCloseTo(((Number) e.extras().get("totalBits")).doubleValue(), within(1e-3 * e.raw().sum()));
      }
    }

    @Test
    @DisplayName("costs exactly 1 head + 10 x (1 tail + 1 vjp) for a batch of images, and reports the clean score")
    void passes() {
      PoolLinearModel m = regionModel();
      CountingModel counted = new CountingModel(m);
      IbaExplainer iba = IbaExplainer.iba(StatsSource.of(Map.of("features", stats(m))));
      Tensor batch = Tensor.concat(List.of(brightRegionImage(1), brightRegionImage(2), brightRegionImage(3)));
      List<Explanation> es = iba.explain(counted, ExplainRequest.builder(batch).target(Target.predicted()).build());
      assertThat(es).hasSize(3);
      assertThat(counted.passes()).isEqualTo(new Passes(0, 1, 10, 10));
      float[] y = m.forward(batch.slice(0, 1)).toArray();
      assertThat(es.get(0).classIndex()).isEqualTo(1);
      assertThat(es.get(0).score()).isCloseTo(y[1], within(1e-6));
    }
  }

  @Nested
  @DisplayName("Determinism and numerical safety")
  class Safety {
    @Test
    @DisplayName("the same seed gives the same map, a batch equals single calls, another seed gives another map")
    void determinism() {
      PoolLinearModel m = regionModel();
      IbaExplainer iba = IbaExplainer.iba(StatsSource.of(Map.of("features", stats(m))));
      Tensor a = brightRegionImage(7), b = brightRegionImage(8);
      ExplainRequest r1 = ExplainRequest.builder(a).target(Target.classIndex(1)).seed(42).build();
      float[] m1 = iba.explain(m, r1).get(0).raw().values();
      float[] m2 = iba.explain(m, r1).get(0).raw().values();
      assertThat(m2).containsExactly(m1);
      List<Explanation> both = iba.explain(m, ExplainRequest.builder(Tensor.concat(List.of(b, a))).target(Target.classIndex(1)).seed(42).build());
      assertThat(both.get(1).raw().values()).containsExactly(m1);
      float[] other = iba.explain(m, ExplainRequest.builder(a).target(Target.classIndex(1)).seed(43).build()).get(0).raw().values();
      assertThat(other).isNotEqualTo(m1);
    }

    @Test
    @DisplayName("no NaN when sigma is tiny (floored) or lambda saturates (alpha 50)")
    void noNan() {
      PoolLinearModel m = regionModel();
      ActivationStats s = stats(m);
      float[] tiny = new float[s.mean().length];
      java.util.Arrays.fill(tiny, 1e-12f);
      ActivationStats tinyStats = new ActivationStats("features", ActivationStats.Mode.ELEMENT, s.shape(), s.mean(), tiny, 200, "tiny");
      for (Bottleneck.Config cfg : List.of(Bottleneck.Config.iba(), Bottleneck.Config.iba().withMinStd(1e-12f),
          Bottleneck.Config.iba().withAlphaInit(50), Bottleneck.Config.inverseIba().withAlphaInit(-50))) {
        IbaExplainer iba = new IbaExplainer("iba", cfg, StatsSource.of(Map.of("features", tinyStats)), false,
            ModelLoss.RegressionLoss.DV, Double.NaN, 8);
        Explanation e = iba.explain(m, ExplainRequest.builder(brightRegionImage(3)).target(Target.classIndex(1)).build()).get(0);
        for (float v : e.raw().values()) assertThat(Float.isFinite(v)).isTrue();
        for (float v : e.map().values()) assertThat(v).isBetween(0f, 1f);
        assertThat(Double.isFinite(((Number) e.extras().get("totalBits")).doubleValue())).isTrue();
      }
    }
  }

  @Nested
  @DisplayName("Statistics")
  class Stats {
    @Test
    @DisplayName("streaming estimation equals the two-pass mean and sample std, per element and per channel")
    void welford() {
      List<Tensor> batches = Fixtures.uniformBatches(9, 7, 3, 2, 3, 4); // 21 images, uneven merges
      Tensor all = Tensor.concat(batches);
      ActivationStats e = ActivationStats.estimator(ActivationStats.Mode.ELEMENT).add(batches.get(0)).add(batches.get(1))
          .add(Tensor.concat(batches.subList(2, 7))).result("input", "t");
      ActivationStats c = ActivationStats.estimator(ActivationStats.Mode.CHANNEL).add(all).result("input", "t");
      float[] v = all.toArray();
      int n = 21, chw = 24, hw = 12;
      for (int i = 0; i < chw; i++) {
        double mean = 0, ss = 0;
        for (int b = 0; b < n; b++) mean += v[b * chw + i];
        mean /= n;
        for (int b = 0; b < n; b++) ss += (v[b * chw + i] - mean) * (v[b * chw + i] - mean);
        assertThat(e.mean()[i]).isCloseTo((float) mean, within(1e-6f));
        assertThat(e.std()[i]).isCloseTo((float) Math.sqrt(ss / (n - 1)), within(1e-6f));
      }
      for (int k = 0; k < 2; k++) {
        double mean = 0, ss = 0;
        for (int b = 0; b < n; b++) for (int p = 0; p < hw; p++) mean += v[b * chw + k * hw + p];
        mean /= n * hw;
        for (int b = 0; b < n; b++) for (int p = 0; p < hw; p++) ss += Math.pow(v[b * chw + k * hw + p] - mean, 2);
        assertThat(c.mean()[k]).isCloseTo((float) mean, within(1e-6f));
        assertThat(c.std()[k]).isCloseTo((float) Math.sqrt(ss / (n * hw - 1)), within(1e-6f));
        assertThat(c.meanPerElement()[k * hw + 5]).isEqualTo(c.mean()[k]);
      }
      assertThat(e.count()).isEqualTo(21);
    }

    @Test
    @DisplayName("are written beside the model and read back; a missing file says which command to run")
    void files(@TempDir Path dir) {
      PoolLinearModel m = regionModel();
      ActivationStats s = stats(m);
      s.write(dir.resolve("xcam-stats"));
      ActivationStats r = ActivationStats.read(dir.resolve("xcam-stats"), "features");
      assertThat(r.mean()).containsExactly(s.mean());
      assertThat(r.std()).containsExactly(s.std());
      assertThat(r.count()).isEqualTo(200);
      for (float v : r.stdPerElement(0.01f)) assertThat(v).isGreaterThanOrEqualTo(0.01f);
      assertThatThrownBy(() -> StatsSource.directory(dir.resolve("nowhere")).stats(m.info(), "features"))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("xcam estimate --model").hasMessageContaining("--layer features");
    }

    @Test
    @DisplayName("fewer than 100 images leave a note on the explanation")
    void fewImagesNote() {
      PoolLinearModel m = regionModel();
      ActivationStats few = ActivationStats.estimate(m.layer("features"), Fixtures.uniformBatches(1, 1, 20, 1, H, W), ActivationStats.Mode.ELEMENT, "few");
      Explanation e = IbaExplainer.iba(StatsSource.of(Map.of("features", few)))
          .explain(m, ExplainRequest.builder(brightRegionImage(1)).target(Target.classIndex(1)).build()).get(0);
      assertThat(e.notes()).anySatisfy(n -> assertThat(n).contains("only 20 images"));
    }
  }
}
