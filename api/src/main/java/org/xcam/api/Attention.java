package org.xcam.api;

import java.util.List;

/**
 * What attention rollout needs from an engine ({@link Model#attention}, {@link Capability#ATTENTION}): the output and,
 * for every attention block in graph order, its attention probabilities and (when a seed was given,
 * {@link Capability#ATTENTION_GRADIENT}) the gradient of the objective with respect to them, from one forward (and one
 * backward) pass.
 *
 * @param output the model's output {@code [N, K]}
 * @param blocks one entry per attention block, input side first
 */
public record Attention(Tensor output, List<Block> blocks) {
  public Attention {
    blocks = List.copyOf(blocks);
  }

  /**
   * An attention block of a model: softmax(q k^T / sqrt(d)) over {@code tokens} tokens with {@code heads} heads, the
   * rows summing to 1 over the last axis.
   *
   * @param name   the block's name (an exported bundle: the attention module, e.g. {@code blocks.3.attn}; ONNX: the
   *               Softmax output tensor)
   * @param heads  attention heads
   * @param tokens T, tokens per image (prefix tokens plus the patch grid)
   */
  public record Layer(String name, int heads, int tokens) {
    /** The probabilities' shape without the batch axis, {@code [heads, T, T]}. */
    public int[] shape() { return new int[] {heads, tokens, tokens}; }

    /**
     * The prefix tokens (class, distillation, register) and the square patch grid side: {@code T = P + g * g} with
     * the smallest {@code P} in 0..4 that makes {@code T - P} a perfect square, or null when none does.
     */
    public int[] squareGrid() {
      for (int p = 0; p <= 4 && p < tokens; p++) {
        int g = (int) Math.round(Math.sqrt(tokens - p));
        if (g > 0 && g * g == tokens - p) return new int[] {p, g};
      }
      return null;
    }
  }

  /**
   * One block's values.
   *
   * @param layer         the block
   * @param probabilities {@code [N, heads, T, T]}, rows summing to 1
   * @param gradient      dObjective/dProbabilities {@code [N, heads, T, T]}, or null when no seed was given
   */
  public record Block(Layer layer, Tensor probabilities, Tensor gradient) { }
}
