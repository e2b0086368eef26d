package org.xcam.plugins.iba;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerInfo;
import org.xcam.api.Options;
import org.xcam.api.Target;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.tck.fixtures.PoolLinearModel;

@DisplayName("Multi-layer IBA")
class MultiLayerIbaTest {
  static final int H = 16, W = 16;
  static final int[] REGION = IbaExplainerTest.REGION;

  @Test
  @DisplayName("thresholds at a percentile: exactly the values at or above the interpolated percentile are kept")
  void percentile() {
    MultiLayerIbaExplainer m = new MultiLayerIbaExplainer(IbaExplainer.iba(StatsSource.of(Map.of())), "p75", "product");
    float[] v = {4, 1, 3, 2, 8, 6, 7, 5}; // sorted 1..8: the 75th percentile (numpy linear) is 1 + 0.75 * 7 = 6.25
    assertThat(m.binarise(v)).containsExactly(0, 0, 0, 0, 1, 0, 1, 0);
    MultiLayerIbaExplainer bits = new MultiLayerIbaExplainer(IbaExplainer.iba(StatsSource.of(Map.of())), "3", "product");
    assertThat(bits.binarise(v)).containsExactly(1, 0, 1, 0, 1, 1, 1, 1);
    assertThatThrownBy(() -> new MultiLayerIbaExplainer(IbaExplainer.iba(StatsSource.of(Map.of())), "p120", "product"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("pNN");
    assertThatThrownBy(() -> new MultiLayerIbaExplainer(IbaExplainer.iba(StatsSource.of(Map.of())), "p50", "union"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("product or intersection");
  }

  @Test
  @DisplayName("combines the per-layer IBA maps: product = first map x binarised others, intersection = AND of all")
  void combines() {
    PoolLinearModel model = IbaExplainerTest.regionModel();
    ActivationStats feat = IbaExplainerTest.stats(model);
    ActivationStats in = ActivationStats.estimate(model.layer(LayerInfo.INPUT), Fixtures.uniformBatches(1, 10, 20, 1, H, W),
        ActivationStats.Mode.ELEMENT, "uniform");
    StatsSource src = StatsSource.of(Map.of("features", feat, LayerInfo.INPUT, in));
    IbaExplainer iba = IbaExplainer.iba(src);
    Tensor x = IbaExplainerTest.brightRegionImage(5);
    List<String> layers = List.of("features", LayerInfo.INPUT);
    ExplainRequest r = ExplainRequest.builder(x).target(Target.classIndex(1)).layers(layers).seed(2).build();
    float[] a = iba.explainAt(model, r, "features").get(0).raw().values();
    float[] b = iba.explainAt(model, r, LayerInfo.INPUT).get(0).raw().values();
    // independent combination: both maps are 16 x 16 = the input size, so no resizing; median thresholds
    float[] ta = a.clone(), tb = b.clone();
    java.util.Arrays.sort(ta);
    java.util.Arrays.sort(tb);
    double ma = (ta[127] + ta[128]) / 2.0, mb = (tb[127] + tb[128]) / 2.0;
    Explanation prod = new MultiLayerIbaExplainer(iba, "p50", "product").explain(model, r).get(0);
    Explanation inter = new MultiLayerIbaExplainer(iba, "p50", "intersection").explain(model, r).get(0);
    float[] p = prod.raw().values(), q = inter.raw().values();
    int kept = 0;
    for (int i = 0; i < a.length; i++) {
      boolean keepB = b[i] >= mb, keepA = a[i] >= ma;
      assertThat(p[i]).isCloseTo(keepB ? a[i] : 0f, within(1e-6f));
      assertThat(q[i]).isEqualTo(keepA && keepB ? 1f : 0f);
      if (keepA && keepB) kept++;
    }
    assertThat(prod.raw().resolution()).isEqualTo(Heatmap.Resolution.INPUT);
    assertThat(((Number) prod.extras().get("totalBits")).doubleValue()).isCloseTo(sum(a) + sum(b), within(1e-3 * (sum(a) + sum(b))));
    // localisation: with a threshold that keeps about as many pixels as the region has (top 15% = 38 of 256)
    float[] top = new MultiLayerIbaExplainer(iba, "p85", "intersection").explain(model, r).get(0).raw().values();
    double frac = Fixtures.fractionInside(top, W, REGION);
    System.out.printf("[iba-multilayer] p50 intersection keeps %d of 256 pixels; p85 intersection keeps %.0f, %.0f%% of them inside the 36-pixel region%n",
        kept, sum(top), 100 * frac);
    assertThat(frac).isGreaterThan(0.8);
  }

  @Test
  @DisplayName("the provider takes every layer of the model by default and names the missing statistics")
  void provider() {
    PoolLinearModel model = IbaExplainerTest.regionModel();
    MultiLayerIbaProvider p = new MultiLayerIbaProvider();
    var e = p.create(Options.of(p.name(), p.options(), Map.of("stats", "/nonexistent-xcam-stats")));
    assertThatThrownBy(() -> e.explain(model, ExplainRequest.builder(IbaExplainerTest.brightRegionImage(1)).build()))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("features").hasMessageContaining("xcam estimate");
  }

  static double sum(float[] v) {
    double s = 0;
    for (float x : v) s += x;
    return s;
  }
}
