package org.xcam.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The spatial view against pytorch-grad-cam's reshape_transform, worked by hand on tiny tensors. */
class LayerLayoutTest {
  /** Tokens [N=1, T=7, D=2], 1 prefix token, grid 2 x 3: raw[t][d] = 10 t + d. */
  private static Tensor tokens() {
    float[] r = new float[14];
    for (int t = 0; t < 7; t++) for (int d = 0; d < 2; d++) r[t * 2 + d] = 10 * t + d;
    return Tensor.wrap(r, 1, 7, 2);
  }

  @Test @DisplayName("tokens: t[:, 1:, :].reshape(1, 2, 3, 2).permute(0, 3, 1, 2), worked by hand")
  void tokensView() {
    LayerLayout l = LayerLayout.tokens(1, 2, 3, 2);
    Tensor v = l.toView(tokens());
    assertThat(v.shape()).containsExactly(1, 2, 2, 3);
    // channel 0: tokens 1..6 (row-major patches), d = 0; channel 1: d = 1
    assertThat(v.toArray()).containsExactly(10, 20, 30, 40, 50, 60, 11, 21, 31, 41, 51, 61);
    assertThat(l.viewShape()).containsExactly(2, 2, 3);
    assertThat(l.rawShape()).containsExactly(7, 2);
    assertThat(l.spec()).isEqualTo("tokens:1:2x3");
  }

  @Test @DisplayName("fromView is the inverse on the grid and takes the prefix tokens from 'like' (or zeros)")
  void tokensBack() {
    LayerLayout l = LayerLayout.tokens(1, 2, 3, 2);
    Tensor raw = tokens();
    assertThat(l.fromView(l.toView(raw), raw)).isEqualTo(raw);
    Tensor zeroPrefix = l.fromView(l.toView(raw), null);
    assertThat(zeroPrefix.get(0, 0, 0)).isZero();
    assertThat(zeroPrefix.get(0, 0, 1)).isZero();
    assertThat(zeroPrefix.get(0, 3, 1)).isEqualTo(31f);
    // two view rows per image take that image's prefix
    Tensor two = Tensor.concat(java.util.List.of(l.toView(raw), l.toView(raw)));
    Tensor back = l.fromView(two, raw);
    assertThat(back.shape()).containsExactly(2, 7, 2);
    assertThat(back.get(1, 0, 1)).isEqualTo(1f);
    assertThat(l.prefix(raw).toArray()).containsExactly(0, 1);
  }

  @Test @DisplayName("channels-last [1, 2, 3, 2]: t.permute(0, 3, 1, 2), worked by hand")
  void channelsLast() {
    float[] r = new float[12];
    for (int i = 0; i < 12; i++) r[i] = i;      // r[y][x][c] = (y*3 + x)*2 + c
    LayerLayout l = LayerLayout.channelsLast(2, 3, 2);
    Tensor v = l.toView(Tensor.wrap(r, 1, 2, 3, 2));
    assertThat(v.toArray()).containsExactly(0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11);
    assertThat(l.fromView(v, null).toArray()).containsExactly(r);
  }

  @Test @DisplayName("setChannel ablates the channel in every token, the prefix too when asked (AblationLayerVit)")
  void ablate() {
    LayerLayout l = LayerLayout.tokens(1, 2, 3, 2);
    float[] r = tokens().toArray();
    l.setChannel(r, 0, 1, -5, true);
    for (int t = 0; t < 7; t++) {
      assertThat(r[t * 2 + 1]).isEqualTo(-5f);
      assertThat(r[t * 2]).isEqualTo(10f * t);
    }
    float[] q = tokens().toArray();
    l.setChannel(q, 0, 0, -5, false);
    assertThat(q[0]).isEqualTo(0f);
    assertThat(q[2]).isEqualTo(-5f);
  }

  @Test @DisplayName("tokens are inferred only when one prefix count 0..4 leaves a square grid of at least 2 x 2")
  void infer() {
    assertThat(LayerLayout.inferTokens(new int[] {65, 64})).contains(LayerLayout.tokens(1, 8, 8, 64));
    assertThat(LayerLayout.inferTokens(new int[] {197, 768})).contains(LayerLayout.tokens(1, 14, 14, 768));
    assertThat(LayerLayout.inferTokens(new int[] {49, 32})).contains(LayerLayout.tokens(0, 7, 7, 32));
    assertThat(LayerLayout.inferTokens(new int[] {200, 32})).contains(LayerLayout.tokens(4, 14, 14, 32));
    assertThat(LayerLayout.inferTokens(new int[] {203, 32})).isEmpty();
    assertThat(LayerLayout.inferTokens(new int[] {3, 32})).isEmpty();
    assertThat(LayerLayout.inferTokens(new int[] {64, 8, 8})).isEmpty();
  }

  @Test @DisplayName("specs are read against the shape; a misfit fails with the reason")
  void specs() {
    assertThat(LayerLayout.of("tokens:1", new int[] {65, 64})).isEqualTo(LayerLayout.tokens(1, 8, 8, 64));
    assertThat(LayerLayout.of("tokens:2:3x5", new int[] {17, 4})).isEqualTo(LayerLayout.tokens(2, 3, 5, 4));
    assertThat(LayerLayout.of("channels-last", new int[] {8, 8, 48})).isEqualTo(LayerLayout.channelsLast(8, 8, 48));
    assertThat(LayerLayout.of("channels-first", new int[] {48, 8, 8}).identity()).isTrue();
    assertThatThrownBy(() -> LayerLayout.of("tokens:2", new int[] {65, 64})).hasMessageContaining("no square grid");
    assertThatThrownBy(() -> LayerLayout.of("channels-last", new int[] {65, 64})).hasMessageContaining("[h, w, C]");
    assertThatThrownBy(() -> LayerLayout.of("rows", new int[] {65, 64})).hasMessageContaining("unknown layer layout");
  }

  @Test @DisplayName("LayerInfo describes the view; the two-argument constructor is channels-first")
  void layerInfo() {
    LayerInfo cnn = new LayerInfo("features.14", new int[] {64, 8, 8});
    assertThat(cnn.layout().kind()).isEqualTo(LayerLayout.Kind.CHANNELS_FIRST);
    assertThat(cnn.rawShape()).containsExactly(64, 8, 8);
    LayerInfo vit = new LayerInfo("blocks.2", LayerLayout.tokens(1, 8, 8, 64));
    assertThat(vit.shape()).containsExactly(64, 8, 8);
    assertThat(vit.rawShape()).containsExactly(65, 64);
    assertThat(vit.channels()).isEqualTo(64);
    assertThat(vit.height()).isEqualTo(8);
    LayerInfo att = new LayerInfo("blocks.2.attn", LayerLayout.attention(4, 65));
    assertThat(att.layout().spatial()).isFalse();
    assertThatThrownBy(() -> att.layout().requireSpatial("gradcam", "blocks.2.attn")).hasMessageContaining("no spatial view");
  }
}
