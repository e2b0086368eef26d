package org.xcam.plugins.perturbation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.xcam.api.CancelledException;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.Target;
import org.xcam.api.Tensor;

/**
 * RISE and occlusion on a model whose output is the mean intensity inside one box: the evidence lies exactly in the
 * box, so the map's mass must concentrate there.
 */
@DisplayName("rise and occlusion on a box-mean model")
class RiseOcclusionTest {
  // 32 x 32, box rows 8..16, columns 18..26 (64 of 1024 pixels = 6.25% of the image)
  final BoxMeanModel model = new BoxMeanModel(1, 32, 32, 8, 18, 16, 26);
  final Tensor image = Tensor.full(1f, 1, 1, 32, 32);

  /** Share of the (min-shifted) map's mass that lies in the box. */
  double massInBox(Heatmap raw) {
    float min = raw.min();
    double in = 0, all = 0;
    for (int y = 0; y < raw.height(); y++)
      for (int x = 0; x < raw.width(); x++) {
        double v = raw.get(y, x) - min;
        all += v;
        if (model.inBox(y, x)) in += v;
      }
    return in / all;
  }

  /** Mean over the box / mean outside the box of the raw map. */
  double contrast(Heatmap raw) {
    double in = 0, out = 0;
    int nIn = 0, nOut = 0;
    for (int y = 0; y < raw.height(); y++)
      for (int x = 0; x < raw.width(); x++) {
        if (model.inBox(y, x)) { in += raw.get(y, x); nIn++; } else { out += raw.get(y, x); nOut++; }
      }
    return (in / nIn) / (out / nOut);
  }

  static double rms(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (double) (a[i] - b[i]);
    return Math.sqrt(s / a.length);
  }

  Explainer rise(int masks, int batch) {
    return Fixtures.create(new RiseProvider(), Map.of("masks", "" + masks, "batch-size", "" + batch, "grid", "8"));
  }

  @Nested @DisplayName("rise")
  class Rise {
    @Test @DisplayName("the same seed gives the bit-identical map for batch sizes 1, 7, 32 and 100")
    void determinism() {
      ExplainRequest r = ExplainRequest.builder(image).target(Target.regression(0)).seed(42).build();
      float[] ref = rise(300, 32).explain(model, r).get(0).raw().values();
      for (int b : new int[] {1, 7, 100}) assertThat(rise(300, b).explain(model, r).get(0).raw().values()).containsExactly(ref);
      float[] other = rise(300, 32).explain(model, ExplainRequest.builder(image).target(Target.regression(0)).seed(43).build())
          .get(0).raw().values();
      assertThat(other).isNotEqualTo(ref);
    }

    @Test @DisplayName("a batch of images gets the same map per image as single calls (masks shared by all images)")
    void batchOfImages() {
      Tensor two = Tensor.concat(List.of(image, Fixtures.random(3, 1, 1, 32, 32)));
      ExplainRequest r = ExplainRequest.builder(two).target(Target.regression(0)).seed(9).build();
      List<Explanation> both = rise(200, 13).explain(model, r);
      float[] single = rise(200, 64).explain(model, r.withInput(two.slice(1, 2), r.targets())).get(0).raw().values();
      assertThat(both.get(1).raw().values()).containsExactly(single);
    }

    @Test @DisplayName("masks never exceed batch-size per forward; each mask is in [0,1] with mean about p")
    void masks() {
      rise(100, 16).explain(model, image, Target.regression(0));
      assertThat(model.largestBatch.get()).isEqualTo(16);
      Resampler up = org.xcam.plugins.perturbation.Rise.upsampler(8, 32, 32);
      double mean = 0;
      for (int i = 0; i < 400; i++) {
        float[] m = org.xcam.plugins.perturbation.Rise.mask(1, i, 8, 0.5, 32, 32, up);
        for (float v : m) {
          assertThat(v).isBetween(0f, 1f);
          mean += v / (400.0 * 1024);
        }
      }
      assertThat(mean).isCloseTo(0.5, within(0.03));
    }

    @Test @DisplayName("the saliency mass concentrates in the box (N = 4000: the maximum is in the box, >= 25% of the mass on 6.25% of the area)")
    void massConcentrates() {
      Heatmap raw = rise(4000, 64).explain(model, ExplainRequest.builder(image).target(Target.regression(0)).seed(1).build()).get(0).raw();
      double mass = massInBox(raw);
      double contrast = contrast(raw);
      System.out.printf("RISE N=4000 box-mean: mass in box %.3f (area 0.0625), mean in/out %.3f%n", mass, contrast);
      assertThat(mass).isGreaterThan(0.25);
      int arg = 0;
      float[] v = raw.values();
      for (int i = 1; i < v.length; i++) if (v[i] > v[arg]) arg = i;
      assertThat(model.inBox(arg / 32, arg % 32)).as("argmax in box").isTrue();
    }

    @Test @DisplayName("RISE converges: the RMS distance to an N = 16000 map (relative to its range) falls like 1/sqrt(N) (curve printed)")
    void convergence() {
      ExplainRequest r = ExplainRequest.builder(image).target(Target.regression(0)).seed(1234).build();
      Heatmap refMap = rise(16000, 128).explain(model, r).get(0).raw();
      float[] ref = refMap.values();
      double range = refMap.max() - refMap.min();
      int[] ns = {125, 250, 500, 1000, 2000, 4000};
      double[] err = new double[ns.length];
      StringBuilder curve = new StringBuilder("RISE convergence (RMS vs an independent N=16000 map / its range):");
      for (int i = 0; i < ns.length; i++) {
        ExplainRequest ri = ExplainRequest.builder(image).target(Target.regression(0)).seed(777 + i).build();
        Heatmap h = rise(ns[i], 128).explain(model, ri).get(0).raw();
        err[i] = rms(h.values(), ref) / range;
        curve.append(String.format(" N=%d: %.4f (mass in box %.3f);", ns[i], err[i], massInBox(h)));
      }
      System.out.println(curve);
      // 32x more masks should cut the error by about sqrt(32) = 5.7 (less, as the reference has its own noise)
      assertThat(err[ns.length - 1]).isLessThan(err[0] / 2.5);
      for (int i = 2; i < ns.length; i++) assertThat(err[i]).isLessThan(err[i - 2]);
    }

    @Test @DisplayName("max-passes stops RISE with a CancelledException that says how many masks were scored")
    void budget() {
      assertThatThrownBy(() -> rise(1000, 100).explain(model, ExplainRequest.builder(image).target(Target.regression(0)).maxPasses(4).build()))
          .isInstanceOf(CancelledException.class).hasMessageContaining("after 300 of 1000 masked images");
    }
  }

  @Nested @DisplayName("occlusion")
  class Occlusion {
    Explainer occlusion(Map<String, String> o) { return Fixtures.create(new OcclusionProvider(), o); }

    @Test @DisplayName("with a zero baseline on a flat image the map is the exact mean overlap fraction of covering windows")
    void closedForm() {
      // window 2, stride 2: windows tile the image and the box's edges; a window inside the box drops the score by 4/64
      Heatmap raw = occlusion(Map.of("window", "2", "stride", "2")).explain(model, image, Target.regression(0)).raw();
      for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++) assertThat(raw.get(y, x)).isCloseTo(model.inBox(y, x) ? 1 / 16f : 0f, within(1e-6f));
      // window 4, stride 4 straddles the box's left edge (columns 16..19 hold box columns 18, 19): drop 2*4/64 there
      Heatmap straddle = occlusion(Map.of("window", "4", "stride", "4")).explain(model, image, Target.regression(0)).raw();
      assertThat(straddle.get(9, 16)).isCloseTo(0.125f, within(1e-6f));
      assertThat(straddle.get(9, 21)).isCloseTo(0.25f, within(1e-6f));
      assertThat(massInBox(raw)).isCloseTo(1.0, within(1e-9));
    }

    @Test @DisplayName("default window (1/8 side) and stride (half window): all mass within the box and its one-window rim, the box holds most")
    void defaults() {
      Explanation e = occlusion(Map.of()).explain(model, image, Target.regression(0));
      Heatmap raw = e.raw();
      assertThat(e.extras()).containsEntry("window", "4x4").containsEntry("stride", "2x2");
      double mass = massInBox(raw);
      System.out.printf("occlusion defaults box-mean: mass in box %.3f (area 0.0625)%n", mass);
      assertThat(mass).isGreaterThan(0.6);
      for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++)
          if (y < 8 - 3 || y >= 16 + 3 || x < 18 - 3 || x >= 26 + 3) assertThat(raw.get(y, x)).isZero();
    }

    @Test @DisplayName("mean and blur baselines of a flat image change nothing, so the map is all zeros (constant, not NaN)")
    void flatBaselines() {
      for (String b : new String[] {"mean", "blur"}) {
        Explanation e = occlusion(Map.of("baseline", b)).explain(model, image, Target.regression(0));
        assertThat(e.raw().max()).isCloseTo(0f, within(1e-6f));
        assertThat(e.map().toTensor().isFinite()).isTrue();
      }
    }

    @Test @DisplayName("window positions cover every pixel, the last one flush with the edge")
    void positions() {
      assertThat(org.xcam.plugins.perturbation.Occlusion.positions(10, 4, 3)).containsExactly(0, 3, 6);
      assertThat(org.xcam.plugins.perturbation.Occlusion.positions(11, 4, 3)).containsExactly(0, 3, 6, 7);
      assertThat(org.xcam.plugins.perturbation.Occlusion.positions(3, 4, 2)).containsExactly(0);
    }

    @Test @DisplayName("batch sizes give bit-identical maps")
    void batchInvariance() {
      Tensor x = Fixtures.random(4, 2, 1, 32, 32);
      ExplainRequest r = ExplainRequest.builder(x).target(Target.regression(0)).build();
      float[][] a = ScoreCamTest.maps(occlusion(Map.of("batch-size", "1")).explain(model, r));
      assertThat(ScoreCamTest.maps(occlusion(Map.of("batch-size", "33")).explain(model, r))).isDeepEqualTo(a);
    }
  }
}
