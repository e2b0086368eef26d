package org.xcam.plugins.iba;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.Target;
import org.xcam.api.Tensor;

/**
 * The seed paper's claim (Khakzar et al. 2021): IBA finds regions with sufficient predictive information, so with two
 * redundant regions it may keep one; Inverse IBA marks every region whose removal matters, so it covers both.
 */
@DisplayName("Inverse IBA on two redundant regions")
class InverseIbaTest {
  static final int H = 16, W = 16;
  static final int[] A = {2, 2, 7, 7}, B = {9, 9, 14, 14};

  /** y_1 = 10 * max(mean_A a_0, mean_B a_0) - 8.5: either bright region alone is enough for class 1. */
  static TwoRegionModel model() { return new TwoRegionModel(16, H, W, A, B, 10, 8.5); }

  static Tensor image(long seed) {
    float[] v = Fixtures.uniform(new java.util.Random(seed), 1, 1, H, W).toArray();
    for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) {
      if (TwoRegionModel.inBox(y, x, A)) v[y * W + x] += 0.6f;
      if (TwoRegionModel.inBox(y, x, B)) v[y * W + x] += 0.5f;
    }
    return Tensor.wrap(v, 1, 1, H, W);
  }

  @Test
  @DisplayName("IBA concentrates on one region; Inverse IBA covers both, each well above the background")
  void coversBoth() {
    TwoRegionModel m = model();
    ActivationStats st = ActivationStats.estimate(m.layer("features"), Fixtures.uniformBatches(2, 10, 20, 1, H, W),
        ActivationStats.Mode.ELEMENT, "uniform");
    StatsSource src = StatsSource.of(Map.of("features", st));
    double ibaRatio = 0, invRatio = 0, invMinOverBg = Double.POSITIVE_INFINITY;
    int n = 4;
    for (long seed = 0; seed < n; seed++) {
      ExplainRequest r = ExplainRequest.builder(image(50 + seed)).target(Target.classIndex(1)).seed(seed).build();
      Explanation iba = IbaExplainer.iba(src).explain(m, r).get(0);
      Explanation inv = IbaExplainer.inverse(src).explain(m, r).get(0);
      double[] a = regionMeans(iba.raw().values()), b = regionMeans(inv.raw().values());
      System.out.printf("[iba-redundant] seed %d  IBA bits/px A %.3f B %.3f bg %.3f | Inverse IBA A %.3f B %.3f bg %.3f%n",
          seed, a[0], a[1], a[2], b[0], b[1], b[2]);
      ibaRatio += Math.min(a[0], a[1]) / Math.max(a[0], a[1]) / n;
      invRatio += Math.min(b[0], b[1]) / Math.max(b[0], b[1]) / n;
      invMinOverBg = Math.min(invMinOverBg, Math.min(b[0], b[1]) / b[2]);
    }
    System.out.printf("[iba-redundant] weaker/stronger region, mean over %d images: IBA %.3f, Inverse IBA %.3f; "
        + "Inverse IBA weaker region / background >= %.1f%n", n, ibaRatio, invRatio, invMinOverBg);
    assertThat(ibaRatio).as("IBA keeps mostly one region").isLessThan(0.35);
    assertThat(invRatio).as("Inverse IBA covers both regions").isGreaterThan(0.6);
    assertThat(invRatio).isGreaterThan(ibaRatio + 0.3);
    assertThat(invMinOverBg).as("both regions stand out of the background").isGreaterThan(3);
  }

  /** Mean bits per pixel in A, in B, and outside both. */
  static double[] regionMeans(float[] map) {
    double bg = 0;
    int nb = 0;
    for (int i = 0; i < map.length; i++) {
      int y = i / W, x = i % W;
      if (!TwoRegionModel.inBox(y, x, A) && !TwoRegionModel.inBox(y, x, B)) { bg += map[i]; nb++; }
    }
    return new double[] {Fixtures.meanInside(map, W, A), Fixtures.meanInside(map, W, B), bg / nb};
  }
}
