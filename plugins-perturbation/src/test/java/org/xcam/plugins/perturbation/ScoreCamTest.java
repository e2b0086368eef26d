package org.xcam.plugins.perturbation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.xcam.api.CancelledException;
import org.xcam.api.CountingModel;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Model;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.tck.fixtures.PoolLinearModel;

@DisplayName("scorecam")
class ScoreCamTest {
  final PoolLinearModel model = Fixtures.poolLinear();
  final Tensor x = Fixtures.random(11, 3, 2, 8, 8);

  /** Score-CAM written out naively, one masked image per forward (the layer is 8x8 like the input: no upsampling). */
  float[] expected(int image, int target) {
    Tensor a = model.layer("features").activation(x.slice(image, image + 1));
    int k = a.dim(1), hw = 64;
    float[] av = a.toArray(), xv = x.item(image).toArray();
    double[] s = new double[k];
    for (int ch = 0; ch < k; ch++) {
      float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
      for (int p = 0; p < hw; p++) { min = Math.min(min, av[ch * hw + p]); max = Math.max(max, av[ch * hw + p]); }
      float[] masked = new float[2 * hw];
      for (int cc = 0; cc < 2; cc++)
        for (int p = 0; p < hw; p++) masked[cc * hw + p] = xv[cc * hw + p] * (av[ch * hw + p] - min) / (max - min + 1e-8f);
      s[ch] = model.forward(Tensor.wrap(masked, 1, 2, 8, 8)).get(0, target);
    }
    double z = 0;
    for (double v : s) z += Math.exp(v);
    float[] map = new float[hw];
    for (int p = 0; p < hw; p++) {
      double m = 0;
      for (int ch = 0; ch < k; ch++) m += Math.exp(s[ch]) / z * av[ch * hw + p];
      map[p] = (float) Math.max(0, m);
    }
    return map;
  }

  Explainer scorecam(int batch) { return Fixtures.create(new ScoreCamProvider(), Map.of("batch-size", "" + batch)); }

  @Nested @DisplayName("numbers")
  class Numbers {
    @Test @DisplayName("the map equals the formula written out naively, for every image and a fixed target")
    void formula() {
      List<Explanation> es = scorecam(5).explain(model, ExplainRequest.builder(x).target(Target.classIndex(1)).build());
      assertThat(es).hasSize(3);
      for (int i = 0; i < 3; i++) {
        float[] want = expected(i, 1), got = es.get(i).raw().values();
        for (int p = 0; p < 64; p++) assertThat(got[p]).as("image %d pixel %d", i, p).isCloseTo(want[p], within(1e-5f));
        assertThat(es.get(i).raw().height()).isEqualTo(8);
        assertThat(es.get(i).raw().layer()).isEqualTo("features");
      }
    }

    @Test @DisplayName("a constant activation channel gives a zero mask and a finite map, never NaN")
    void constantChannel() {
      Tensor a = model.layer("features").activation(x);
      float first = a.get(0, 3, 0, 0);
      for (int p = 0; p < 64; p++) assertThat(a.get(0, 3, p / 8, p % 8)).isEqualTo(first);   // precondition
      Explanation e = scorecam(32).explain(model, x.slice(0, 1), Target.predicted());
      assertThat(e.raw().toTensor().isFinite()).isTrue();
      assertThat(e.map().toTensor().isFinite()).isTrue();
    }

    @Test @DisplayName("an all-constant input (every channel constant) gives an all-zero-or-constant map without NaN")
    void constantInput() {
      Tensor flat = Tensor.full(0.3f, 1, 2, 8, 8);
      Explanation e = scorecam(4).explain(model, flat, Target.classIndex(0));
      assertThat(e.raw().toTensor().isFinite()).isTrue();
      assertThat(e.map().toTensor().isFinite()).isTrue();
    }

    @Test @DisplayName("align-corners and half-pixel upsampling coincide when the layer has the input's size")
    void upsampleModesOnSameSize() {
      Explainer half = Fixtures.create(new ScoreCamProvider(), Map.of("upsample", "half-pixel"));
      float[] a = scorecam(32).explain(model, x.slice(0, 1), Target.classIndex(2)).raw().values();
      float[] b = half.explain(model, x.slice(0, 1), Target.classIndex(2)).raw().values();
      assertThat(b).containsExactly(a);
    }
  }

  @Nested @DisplayName("batching")
  class Batching {
    @Test @DisplayName("batch sizes 1, 3, 7 and 64 give bit-identical maps")
    void invariance() {
      ExplainRequest r = ExplainRequest.builder(x).target(Target.predicted()).build();
      float[][] ref = maps(scorecam(1).explain(model, r));
      for (int b : new int[] {3, 7, 64}) assertThat(maps(scorecam(b).explain(model, r))).isDeepEqualTo(ref);
    }

    @Test @DisplayName("passes: 1 head, 1 target forward and ceil((N*K_live + 1) / batch) masked forwards: the constant channel of all images shares one zero image; no batch exceeds batch-size")
    void passes() {
      CountingModel counted = new CountingModel(model);
      List<Explanation> es = scorecam(5).explain(counted, ExplainRequest.builder(x).build());
      assertThat(counted.passes().heads()).isEqualTo(1);
      assertThat(counted.passes().forwards()).isEqualTo(1 + (3 * 3 + 1 + 4) / 5);
      assertThat(es.get(0).extras()).containsEntry("constantChannels", 3L);
      BoxLimit limit = new BoxLimit(model);
      scorecam(5).explain(limit, ExplainRequest.builder(x).build());
      assertThat(limit.largest.get()).isEqualTo(5);
    }

    @Test @DisplayName("parallel 3 (engine calls in flight at once) gives bit-identical maps and the same passes")
    void parallel() {
      ExplainRequest r = ExplainRequest.builder(x).target(Target.predicted()).build();
      float[][] ref = maps(scorecam(2).explain(model, r));
      CountingModel counted = new CountingModel(model);
      Explainer par = Fixtures.create(new ScoreCamProvider(), Map.of("batch-size", "2", "parallel", "3"));
      assertThat(maps(par.explain(counted, r))).isDeepEqualTo(ref);
      assertThat(counted.passes().forwards()).isEqualTo(2 + 5);
      assertThatThrownBy(() -> par.explain(model, ExplainRequest.builder(x).maxPasses(8).build()))
          .isInstanceOf(CancelledException.class).hasMessageContaining("max-passes 8");
      Explainer abl = Fixtures.create(new AblationCamProvider(), Map.of("batch-size", "2", "parallel", "3"));
      assertThat(maps(abl.explain(model, r))).isDeepEqualTo(maps(Fixtures.create(new AblationCamProvider(), Map.of("batch-size", "2")).explain(model, r)));
      assertThatThrownBy(() -> Fixtures.create(new ScoreCamProvider(), Map.of("parallel", "0"))).hasMessageContaining("[1, 64]");
      assertThatThrownBy(() -> Fixtures.create(new ScoreCamProvider(), Map.of("parallel", "many")))
          .hasMessageContaining("option parallel of scorecam must be auto or a whole number in [1, 64], got 'many'");
    }

    @Test @DisplayName("parallel auto (the default) takes the engine's concurrency, through a counting wrapper; an explicit value wins")
    void parallelAuto() {
      ExplainRequest r = ExplainRequest.builder(x).target(Target.predicted()).build();
      float[][] ref = maps(scorecam(2).explain(model, r));
      Model three = new Model() {
        @Override public org.xcam.api.ModelInfo info() { return model.info(); }
        @Override public java.util.Set<org.xcam.api.Capability> capabilities() { return model.capabilities(); }
        @Override public Tensor forward(Tensor batch) { return model.forward(batch); }
        @Override public org.xcam.api.LayerHook layer(String layer) { return model.layer(layer); }
        @Override public void close() { }
        @Override public int concurrency() { return 3; }
      };
      List<Explanation> auto = scorecam(2).explain(new CountingModel(three), r);
      assertThat(maps(auto)).isDeepEqualTo(ref);
      assertThat(auto.get(0).extras()).containsEntry("parallel", 3);
      assertThat(scorecam(2).explain(model, r).get(0).extras()).containsEntry("parallel", 1);
      Explainer one = Fixtures.create(new ScoreCamProvider(), Map.of("batch-size", "2", "parallel", "1"));
      assertThat(one.explain(three, r).get(0).extras()).containsEntry("parallel", 1);
      Explainer abl = Fixtures.create(new AblationCamProvider(), Map.of("batch-size", "2"));
      assertThat(abl.explain(three, r).get(0).extras()).containsEntry("parallel", 3);
    }

    @Test @DisplayName("all objectives of --target all are scored from the same forwards")
    void severalObjectives() {
      CountingModel counted = new CountingModel(model);
      List<Explanation> es = scorecam(32).explain(counted, ExplainRequest.builder(x.slice(0, 1)).target(Target.aboveThreshold(0.0)).build());
      assertThat(es).hasSize(3);
      assertThat(counted.passes().forwards()).isEqualTo(2);
      for (int t = 0; t < 3; t++) {
        float[] want = expected(0, t), got = es.get(t).raw().values();
        for (int p = 0; p < 64; p++) assertThat(got[p]).isCloseTo(want[p], within(1e-5f));
      }
    }
  }

  @Nested @DisplayName("run controls")
  class Controls {
    @Test @DisplayName("max-passes stops early with a CancelledException that says how far it got")
    void budget() {
      Explainer e = Fixtures.create(new ScoreCamProvider(), Map.of("batch-size", "2", "max-passes", "6"));
      assertThatThrownBy(() -> e.explain(model, ExplainRequest.builder(x).build()))
          .isInstanceOf(CancelledException.class)
          .hasMessageContaining("max-passes 6").hasMessageContaining("after 4 of 12 masked images")
          .hasMessageContaining("needs 9 passes");
    }

    @Test @DisplayName("the request's maxPasses applies too, and the smaller budget wins")
    void requestBudget() {
      // 2 target forwards + 2 heads + ceil((3 * 3 live channels + 1 shared zero image) / 2) = 9 passes
      assertThatThrownBy(() -> scorecam(2).explain(model, ExplainRequest.builder(x).maxPasses(8).build()))
          .isInstanceOf(CancelledException.class).hasMessageContaining("max-passes 8");
      assertThatThrownBy(() -> Fixtures.create(new ScoreCamProvider(), Map.of("batch-size", "2", "max-passes", "7"))
          .explain(model, ExplainRequest.builder(x).maxPasses(8).build())).hasMessageContaining("max-passes 7");
      assertThat(scorecam(2).explain(model, ExplainRequest.builder(x).maxPasses(9).build())).hasSize(3);
      assertThat(scorecam(2).explain(model, ExplainRequest.builder(x).maxPasses(100).build())).hasSize(3);
    }

    @Test @DisplayName("cancellation is polled between batches")
    void cancel() {
      AtomicInteger polls = new AtomicInteger();
      assertThatThrownBy(() -> scorecam(2).explain(model,
          ExplainRequest.builder(x).cancelled(() -> polls.incrementAndGet() > 3).build()))
          .isInstanceOf(CancelledException.class).hasMessageContaining("cancelled");
    }

    @Test @DisplayName("progress rises monotonically to N*K masked images")
    void progress() {
      List<long[]> seen = new ArrayList<>();
      scorecam(5).explain(model, ExplainRequest.builder(x).progress((d, t, s) -> seen.add(new long[] {d, t})).build());
      assertThat(seen).isNotEmpty();
      for (int i = 1; i < seen.size(); i++) assertThat(seen.get(i)[0]).isGreaterThan(seen.get(i - 1)[0]);
      assertThat(seen.get(seen.size() - 1)).containsExactly(12, 12);
    }
  }

  @Test @DisplayName("several layers average their normalised input-size maps (here the same layer twice gives the single layer's map)")
  void severalLayers() {
    Explanation one = scorecam(32).explain(model, ExplainRequest.builder(x.slice(0, 1)).target(Target.classIndex(0)).build()).get(0);
    Explanation two = scorecam(32).explain(model, ExplainRequest.builder(x.slice(0, 1)).target(Target.classIndex(0))
        .layers(List.of("features", "features")).build()).get(0);
    assertThat(two.raw().layer()).isEqualTo("features+features");
    assertThat(two.raw().values()).containsExactly(one.raw().toInput(8, 8).values(), within(1e-6f));
  }

  @Test @DisplayName("bad options fail with one line naming the option")
  void badOptions() {
    assertThatThrownBy(() -> scorecam(0)).hasMessageContaining("batch-size").hasMessageContaining(">= 1");
    assertThatThrownBy(() -> Fixtures.create(new ScoreCamProvider(), Map.of("upsample", "nearest")))
        .hasMessageContaining("align-corners, half-pixel");
  }

  static float[][] maps(List<Explanation> es) {
    float[][] out = new float[es.size()][];
    for (int i = 0; i < es.size(); i++) out[i] = es.get(i).raw().values();
    return out;
  }

  /** Records the largest forward batch. */
  static final class BoxLimit implements org.xcam.api.Model {
    final org.xcam.api.Model inner;
    final AtomicInteger largest = new AtomicInteger();
    BoxLimit(org.xcam.api.Model inner) { this.inner = inner; }
    @Override public org.xcam.api.ModelInfo info() { return inner.info(); }
    @Override public java.util.Set<org.xcam.api.Capability> capabilities() { return inner.capabilities(); }
    @Override public Tensor forward(Tensor b) { largest.accumulateAndGet(b.dim(0), Math::max); return inner.forward(b); }
    @Override public org.xcam.api.LayerHook layer(String l) { return inner.layer(l); }
    @Override public void close() { }
  }
}
