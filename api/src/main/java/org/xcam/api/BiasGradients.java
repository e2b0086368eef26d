package org.xcam.api;

import java.util.List;

/**
 * What FullGrad needs from an engine ({@link Model#biasGradients}, {@link Capability#BIAS_GRADIENTS}): the output,
 * the input gradient, and for every layer that adds a per-channel bias to a 4-D tensor the bias and the gradient of
 * the objective with respect to that layer's output.
 *
 * @param output        the model's output {@code [N, K]}
 * @param inputGradient dObjective/dInput, {@code [N, C, H, W]}
 * @param layers        one entry per bias layer, in graph order
 */
public record BiasGradients(Tensor output, Tensor inputGradient, List<Layer> layers) {
  public BiasGradients {
    layers = List.copyOf(layers);
  }

  /**
   * One bias layer.
   *
   * @param name     the layer (the engine's name for the tensor it writes)
   * @param bias     the effective per-channel bias ({@code C} values; for a batch norm in inference mode
   *                 {@code beta - mean * gamma / sqrt(var + eps)})
   * @param gradient dObjective/d(layer output), {@code [N, C, h, w]}
   */
  public record Layer(String name, float[] bias, Tensor gradient) {
    public Layer {
      bias = bias.clone();
    }

    @Override public float[] bias() { return bias.clone(); }
  }
}
