package org.xcam.plugins.gradient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.xcam.api.Attention;
import org.xcam.api.Capability;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.api.UnsupportedCapabilityException;
import org.xcam.tck.fixtures.PoolLinearModel;

/**
 * attention-rollout and gradient-rollout on attention matrices written down by hand (T = 5: the class token and a
 * 2 x 2 patch grid), with the expected maps worked out by hand in the comments. The reference tests against the
 * independent numpy implementation are in {@link RolloutReferenceTest}.
 */
@DisplayName("attention-rollout and gradient-rollout: closed forms worked by hand")
class RolloutTest {
  static final int T = 5;

  /** Row 0 = {@code row0}, rows 1..4 = the identity (each patch attends only to itself). */
  static float[] cls(float... row0) {
    float[] a = new float[T * T];
    System.arraycopy(row0, 0, a, 0, T);
    for (int i = 1; i < T; i++) a[i * T + i] = 1;
    return a;
  }

  static float[] fill(float row0, float rest) {
    float[] g = new float[T * T];
    for (int i = 0; i < T * T; i++) g[i] = i < T ? row0 : rest;
    return g;
  }

  static Tensor heads(float[]... h) {
    float[] d = new float[h.length * T * T];
    for (int i = 0; i < h.length; i++) System.arraycopy(h[i], 0, d, i * T * T, T * T);
    return Tensor.wrap(d, 1, h.length, T, T);
  }

  /**
   * A model whose attention is given: the forward pass, info and layers of the tck's PoolLinearModel (3 classes), and
   * the blocks' probabilities and gradients as written here (the gradients do not depend on the seed; the seed is
   * still applied so the objective is resolved).
   */
  static final class HandAttention implements Model {
    final PoolLinearModel base = Fx.model();
    final List<Tensor> attn;
    final List<Tensor> grads;
    int calls;

    HandAttention(List<Tensor> attn, List<Tensor> grads) {
      this.attn = attn;
      this.grads = grads;
    }

    @Override public ModelInfo info() { return base.info(); }
    @Override public Set<Capability> capabilities() {
      EnumSet<Capability> c = EnumSet.copyOf(base.capabilities());
      c.add(Capability.ATTENTION);
      c.add(Capability.ATTENTION_GRADIENT);
      return c;
    }
    @Override public Tensor forward(Tensor batch) { return base.forward(batch); }
    @Override public LayerHook layer(String layer) { return base.layer(layer); }
    @Override public void close() { }

    @Override public List<Attention.Layer> attentionLayers() {
      List<Attention.Layer> l = new ArrayList<>();
      for (int b = 0; b < attn.size(); b++) l.add(new Attention.Layer("blocks." + b + ".attn", attn.get(b).dim(1), T));
      return l;
    }

    @Override public Attention attention(Tensor input, Function<Tensor, Tensor> seed) {
      calls++;
      Tensor y = base.forward(input);
      if (seed != null) seed.apply(y);
      List<Attention.Block> blocks = new ArrayList<>();
      List<Attention.Layer> layers = attentionLayers();
      for (int b = 0; b < attn.size(); b++) blocks.add(new Attention.Block(layers.get(b), attn.get(b), seed == null ? null : grads.get(b)));
      return new Attention(y, blocks);
    }
  }

  static float[] rollout(Model m, String method, Map<String, String> options) {
    Explanation e = Fx.explain(method, m, Fx.input(), Target.classIndex(1), options);
    assertThat(e.raw().height()).isEqualTo(2);
    assertThat(e.raw().width()).isEqualTo(2);
    return e.raw().values();
  }

  @Nested @DisplayName("attention-rollout")
  class AttentionRollout {
    /*
     * Block 1 (1 head): CLS row [.2 .2 .2 .2 .2], patches attend to themselves.
     *   A1 + I, rows renormalised: row 0 = [1.2 .2 .2 .2 .2] / 2 = [.6 .1 .1 .1 .1]; row i = e_i.
     * Block 2: CLS row [0 .5 .5 0 0]; patches to themselves.
     *   row 0 = [1 .5 .5 0 0] / 2 = [.5 .25 .25 0 0]; row i = e_i.
     * R = M2 M1, row 0 = .5 [.6 .1 .1 .1 .1] + .25 e_1 + .25 e_2 = [.30 .30 .30 .05 .05].
     * Map (tokens 1..4 on the 2 x 2 grid, row-major) = [[.30, .30], [.05, .05]].
     */
    @Test @DisplayName("two blocks, mean fusion, nothing discarded: [[.30, .30], [.05, .05]]")
    void twoBlocks() {
      HandAttention m = new HandAttention(List.of(heads(cls(.2f, .2f, .2f, .2f, .2f)), heads(cls(0f, .5f, .5f, 0f, 0f))), null);
      float[] map = rollout(m, "attention-rollout", Map.of("discard-ratio", "0"));
      assertThat(map).containsExactly(new float[] {.30f, .30f, .05f, .05f}, within(1e-6f));
      assertThat(m.calls).isEqualTo(1);
    }

    /*
     * One block, 2 heads with CLS rows [.2 .2 .2 .2 .2] and [.6 .1 .1 .1 .1] (patches to themselves in both).
     * max: CLS row [.6 .2 .2 .2 .2] (sums to 1.4); + I -> [1.6 .2 .2 .2 .2] / 2.4: patches 1/12 each.
     * min: CLS row [.2 .1 .1 .1 .1] (sums to .6); + I -> [1.2 .1 .1 .1 .1] / 1.6: patches .0625 each.
     * mean: CLS row [.4 .15 .15 .15 .15]; + I -> / 2: patches .075 each.
     */
    @Test @DisplayName("head fusion max / min / mean renormalises the fused rows: 1/12, 1/16, 0.075")
    void fusion() {
      HandAttention m = new HandAttention(List.of(heads(cls(.2f, .2f, .2f, .2f, .2f), cls(.6f, .1f, .1f, .1f, .1f))), null);
      assertThat(rollout(m, "attention-rollout", Map.of("discard-ratio", "0", "head-fusion", "max")))
          .containsOnly(1f / 12);
      assertThat(rollout(m, "attention-rollout", Map.of("discard-ratio", "0", "head-fusion", "min")))
          .containsOnly(0.0625f);
      assertThat(rollout(m, "attention-rollout", Map.of("discard-ratio", "0", "head-fusion", "mean")))
          .containsExactly(new float[] {.075f, .075f, .075f, .075f}, within(1e-7f));
    }

    /*
     * One block, CLS row [.1 .4 .3 .15 .05], patches to themselves. discard-ratio .8: int(25 * .8) = 20 smallest
     * entries = the 16 off-diagonal zeros of rows 1..4, then .05 (token 4), .1 (token 0, the class token's
     * self-attention: kept), .15 (token 3), .3 (token 2). CLS row becomes [.1 .4 0 0 0]; + I -> [1.1 .4 0 0 0] / 1.5.
     * Map = [[.4 / 1.5, 0], [0, 0]].
     */
    @Test @DisplayName("discard-ratio 0.8 zeroes the 20 lowest of 25 entries but the class token's self-attention")
    void discard() {
      HandAttention m = new HandAttention(List.of(heads(cls(.1f, .4f, .3f, .15f, .05f))), null);
      float[] map = rollout(m, "attention-rollout", Map.of("discard-ratio", "0.8"));
      assertThat(map).containsExactly(new float[] {(float) (.4 / 1.5), 0f, 0f, 0f}, within(1e-6f));
    }

    @Test @DisplayName("a model without attention is refused in one line before any pass; bad options are refused")
    void refusals() {
      assertThatThrownBy(() -> Fx.explain("attention-rollout", Fx.model(), Fx.input(), Target.predicted(), Map.of()))
          .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("ATTENTION").hasMessageNotContaining("\n");
      assertThatThrownBy(() -> Fx.explainer("attention-rollout", Map.of("discard-ratio", "1")))
          .hasMessageContaining("discard-ratio");
      assertThatThrownBy(() -> Fx.explainer("attention-rollout", Map.of("head-fusion", "median")))
          .hasMessageContaining("median");
      // T = 5 read with 2 prefix tokens leaves 3 patches: not a grid
      HandAttention m = new HandAttention(List.of(heads(cls(.2f, .2f, .2f, .2f, .2f))), null);
      assertThatThrownBy(() -> rollout(m, "attention-rollout", Map.of("prefix-tokens", "2")))
          .hasMessageContaining("prefix-tokens=2").hasMessageContaining("square");
      assertThat(m.calls).isZero();
    }
  }

  @Nested @DisplayName("gradient-rollout")
  class GradientRollout {
    /*
     * Block 1, 2 heads, both with CLS row [.2 .2 .2 .2 .2] and patches to themselves.
     *   Head a's gradient: CLS row [0 1 1 0 0], 0 elsewhere -> grad * attn: CLS row [0 .2 .2 0 0].
     *   Head b's gradient: -1 everywhere -> grad * attn <= 0 -> positive part 0.
     *   Abar1 = mean over heads: CLS row [0 .1 .1 0 0], 0 elsewhere. R1 = I + Abar1: row 0 = [1 .1 .1 0 0].
     * Block 2, 1 head: CLS row [.5 0 0 .5 0], patches to themselves; gradient CLS row [1 1 1 2 1], .5 elsewhere
     *   -> Abar2: CLS row [.5 0 0 1 0], rows i = .5 e_i.
     *   R2 = R1 + Abar2 R1; row 0 = [1 .1 .1 0 0] + .5 [1 .1 .1 0 0] + 1 e_3 = [1.5 .15 .15 1 0].
     * Map = [[.15, .15], [1, 0]].
     */
    @Test @DisplayName("two blocks: positive part of grad x attn, mean over heads, R += Abar R: [[.15, .15], [1, 0]]")
    void twoBlocks() {
      float[] ga = new float[T * T];
      ga[1] = 1;
      ga[2] = 1;
      Tensor a1 = heads(cls(.2f, .2f, .2f, .2f, .2f), cls(.2f, .2f, .2f, .2f, .2f));
      Tensor g1 = heads(ga, fill(-1f, -1f));
      float[] gb = fill(1f, .5f);
      gb[3] = 2;
      HandAttention m = new HandAttention(List.of(a1, heads(cls(.5f, 0f, 0f, .5f, 0f))), List.of(g1, heads(gb)));
      float[] map = rollout(m, "gradient-rollout", Map.of());
      assertThat(map).containsExactly(new float[] {.15f, .15f, 1f, 0f}, within(1e-6f));
      assertThat(m.calls).isEqualTo(1);
    }
  }
}
