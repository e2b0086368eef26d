package org.xcam.plugins.perturbation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.CancelledException;
import org.xcam.api.CountingModel;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.tck.fixtures.PoolLinearModel;

@DisplayName("ablationcam")
class AblationCamTest {
  final PoolLinearModel model = Fixtures.poolLinear();
  final Tensor x = Fixtures.random(5, 3, 2, 8, 8);
  static final float[][] WFC = {{0.8f, -0.3f, 0.5f, 0.2f}, {-0.4f, 0.9f, 0.3f, -0.1f}, {0.2f, 0.2f, -0.6f, 0.7f}};
  static final float[] BFC = {0.1f, -0.1f, 0.3f};

  Explainer ablation(Map<String, String> o) { return Fixtures.create(new AblationCamProvider(), o); }

  /**
   * Closed form for the linear tail: zeroing channel k removes Wfc[t][k] * pooled_k from the logit, so
   * w_k = Wfc[t][k] pooled_k / Y with Y = sum_k Wfc[t][k] pooled_k + b_t.
   */
  float[] closedForm(int image, int t, boolean[] ablated) {
    Tensor a = model.layer("features").activation(x.slice(image, image + 1));
    float[] av = a.toArray();
    float[] pool = new float[64];
    for (int i = 0; i < 64; i++) pool[i] = (1 + (i % 7)) / 256f;
    double[] pooled = new double[4];
    double y = BFC[t];
    for (int k = 0; k < 4; k++) {
      for (int p = 0; p < 64; p++) pooled[k] += pool[p] * av[k * 64 + p];
      y += WFC[t][k] * pooled[k];
    }
    float[] map = new float[64];
    for (int p = 0; p < 64; p++) {
      double m = 0;
      for (int k = 0; k < 4; k++) if (ablated[k]) m += WFC[t][k] * pooled[k] / y * av[k * 64 + p];
      map[p] = (float) Math.max(0, m);
    }
    return map;
  }

  @Test @DisplayName("the map equals the closed form of a linear tail (channels zeroed since min(A) = 0)")
  void closedFormMatches() {
    Tensor a = model.layer("features").activation(x);
    for (int i = 0; i < 3; i++) {
      float min = Float.MAX_VALUE;
      for (int p = 0; p < 256; p++) min = Math.min(min, a.item(i).get(p));
      assertThat(min).as("precondition: a post-ReLU zero in image %d", i).isZero();
    }
    List<Explanation> es = ablation(Map.of("batch-size", "3")).explain(model, ExplainRequest.builder(x).target(Target.classIndex(0)).build());
    boolean[] all = {true, true, true, true};
    for (int i = 0; i < 3; i++) {
      float[] want = closedForm(i, 0, all), got = es.get(i).raw().values();
      for (int p = 0; p < 64; p++) assertThat(got[p]).as("image %d pixel %d", i, p).isCloseTo(want[p], within(1e-5f));
    }
  }

  @Test @DisplayName("ablations run through the tail only: 1 head, 1 + ceil(N*K / batch) tails, no forward")
  void passes() {
    CountingModel counted = new CountingModel(model);
    ablation(Map.of("batch-size", "5")).explain(counted, ExplainRequest.builder(x).build());
    assertThat(counted.passes().forwards()).isZero();
    assertThat(counted.passes().heads()).isEqualTo(1);
    assertThat(counted.passes().tails()).isEqualTo(1 + (12 + 4) / 5);
  }

  @Test @DisplayName("an all-zero channel (min(A) = 0) is not run: the map still equals the closed form with every channel ablated")
  void zeroChannelSkipped() {
    // channel 3 has zero weights and bias -0.5: ReLU makes it all zero for every image
    PoolLinearModel dead = new PoolLinearModel(new float[][] {{1.0f, -0.5f}, {-0.7f, 0.9f}, {0.4f, 0.6f}, {0f, 0f}},
        new float[] {0.1f, -0.2f, 0.05f, -0.5f}, pool(), WFC, BFC, 8, 8, org.xcam.api.Task.MULTICLASS);
    CountingModel counted = new CountingModel(dead);
    List<Explanation> es = ablation(Map.of("batch-size", "5")).explain(counted, ExplainRequest.builder(x).target(Target.classIndex(1)).build());
    assertThat(counted.passes().tails()).isEqualTo(1 + (9 + 4) / 5);      // 3 images x 3 live channels
    assertThat(es.get(0).extras()).containsEntry("zeroChannelsSkipped", 3L);
    float[] av = dead.layer("features").activation(x).toArray();
    float[] p = pool();
    for (int i = 0; i < 3; i++) {
      double[] pooled = new double[4];
      double y = BFC[1];
      for (int k = 0; k < 4; k++) {
        for (int q = 0; q < 64; q++) pooled[k] += p[q] * av[(i * 4 + k) * 64 + q];
        y += WFC[1][k] * pooled[k];
      }
      float[] got = es.get(i).raw().values();
      for (int q = 0; q < 64; q++) {
        double m = 0;
        for (int k = 0; k < 4; k++) m += WFC[1][k] * pooled[k] / y * av[(i * 4 + k) * 64 + q];
        assertThat(got[q]).as("image %d pixel %d", i, q).isCloseTo((float) Math.max(0, m), within(1e-5f));
      }
    }
  }

  static float[] pool() {
    float[] pool = new float[64];
    for (int i = 0; i < 64; i++) pool[i] = (1 + (i % 7)) / 256f;
    return pool;
  }

  @Test @DisplayName("batch sizes 1, 2 and 32 give bit-identical maps")
  void batchInvariance() {
    ExplainRequest r = ExplainRequest.builder(x).target(Target.classIndex(2)).build();
    float[][] ref = ScoreCamTest.maps(ablation(Map.of("batch-size", "1")).explain(model, r));
    assertThat(ScoreCamTest.maps(ablation(Map.of("batch-size", "2")).explain(model, r))).isDeepEqualTo(ref);
    assertThat(ScoreCamTest.maps(ablation(Map.of("batch-size", "32")).explain(model, r))).isDeepEqualTo(ref);
  }

  @Test @DisplayName("ratio-channels 0.5 ablates only the two top-scoring channels; the others get weight 0")
  void ratioChannels() {
    Tensor one = x.slice(0, 1);
    CountingModel counted = new CountingModel(model);
    Explanation e = ablation(Map.of("ratio-channels", "0.5", "batch-size", "1")).explain(counted, one, Target.classIndex(1));
    assertThat(counted.passes().tails()).isEqualTo(1 + 2);
    int[] chosen = AblationCam.channelsToAblate(model.layer("features").activation(one).toArray(), 0, 4, 64, 0.5);
    assertThat(chosen).hasSize(2);
    boolean[] ablated = new boolean[4];
    for (int k : chosen) ablated[k] = true;
    float[] want = closedForm(0, 1, ablated), got = e.raw().values();
    for (int p = 0; p < 64; p++) assertThat(got[p]).isCloseTo(want[p], within(1e-5f));
  }

  @Test @DisplayName("the cheap channel score gives a constant channel 0 and ranks the channel that carries the principal component first")
  void channelScore() {
    // 2 channels on 4 positions: channel 0 varies (it is the principal component), channel 1 is constant.
    // centred channel 0: [-2.75, -1.75, 2.25, 2.25] -> |.| - min = [1, 0, .5, .5] -> mask (> 1%) = [1, 0, 1, 1];
    // channel 0 scaled: [0, .2, 1, 1] -> score = (0 + 1 + 1) / 2.2
    float[] a = {0, 1, 5, 5, 2, 2, 2, 2};
    double[] s = AblationCam.channelScores(a, 0, 2, 4);
    assertThat(s[1]).isZero();
    assertThat(s[0]).isCloseTo(2 / 2.2, within(1e-9));
    assertThat(AblationCam.channelsToAblate(a, 0, 2, 4, 0.5)).containsExactly(0);
  }

  @Test @DisplayName("a zero target score does not divide by zero: raw drops are used and the explanation says so")
  void zeroScore() {
    float[][] w1 = {{1f}, {0.5f}};
    float[][] wfc = {{1f, -2f}};
    PoolLinearModel m = new PoolLinearModel(w1, new float[] {0, 0}, PoolLinearModel.averagePool(2, 2), wfc, new float[] {0}, 2, 2,
        org.xcam.api.Task.REGRESSION);
    Tensor in = Tensor.of(new float[] {1, 1, 0, 0}, 1, 1, 2, 2);   // A0 = A1 * 2, so Y = mean(A0) - 2 mean(A1) = 0
    Explanation e = ablation(Map.of()).explain(m, in, Target.regression(0));
    assertThat(e.raw().toTensor().isFinite()).isTrue();
    assertThat(e.notes()).anyMatch(n -> n.contains("raw score drops"));
    // w = Y - Y_k: w0 = 0 - (-2 * 0.25) ... = mean(A0) = 0.5, w1 = -2 * mean(A1) = -0.5; map = ReLU(0.5 A0 - 0.5 A1)
    assertThat(e.raw().values()).containsExactly(new float[] {0.25f, 0.25f, 0, 0}, within(1e-6f));
  }

  @Test @DisplayName("max-passes stops it with a CancelledException naming the budget")
  void budget() {
    assertThatThrownBy(() -> ablation(Map.of("batch-size", "2", "max-passes", "3")).explain(model, ExplainRequest.builder(x).build()))
        .isInstanceOf(CancelledException.class).hasMessageContaining("max-passes 3").hasMessageContaining("of 12 channel ablations");
  }

  @Test @DisplayName("ratio-channels outside (0, 1] is rejected")
  void badRatio() {
    assertThatThrownBy(() -> ablation(Map.of("ratio-channels", "0"))).hasMessageContaining("ratio-channels");
    assertThatThrownBy(() -> ablation(Map.of("ratio-channels", "1.5"))).hasMessageContaining("(0, 1]");
  }
}
