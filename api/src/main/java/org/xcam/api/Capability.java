package org.xcam.api;

/**
 * What a model (through its engine) can do, and what an explainer or metric needs. Declared up front and checked
 * before any work starts, so a gradient method on a gradient-free engine fails with
 * {@link UnsupportedCapabilityException} naming what is missing, never deep inside the math.
 */
public enum Capability {
  /** Batched forward pass of the whole model. Every model has it. */
  FORWARD,
  /** Cut at a named layer: activation = head(x), output = tail(activation). */
  LAYER_CUT,
  /** Vector-Jacobian product from the output to a layer's activation (gradients). */
  VJP,
  /** Vector-Jacobian product all the way to the input tensor (the layer named {@code input}). */
  INPUT_GRADIENT,
  /**
   * Exact Hessian-vector product of an objective with respect to a layer's activation
   * ({@link LayerHook#tailWithHessianVector}): double backward or forward-over-reverse, zero through piecewise-linear
   * parts (ReLU, max-pooling), unlike a finite difference of two VJPs.
   */
  HESSIAN_VECTOR_PRODUCT,
  /**
   * A backward pass whose rules can be swapped ({@link LayerHook#tailWithRule}): guided ReLU (guided backprop),
   * DeepLift's rescale multipliers. Needs an engine that builds its own backward graph.
   */
  MODIFIED_BACKWARD,
  /**
   * Gradients at the output of every layer that adds a bias, with the biases ({@link Model#biasGradients}), as
   * FullGrad needs.
   */
  BIAS_GRADIENTS,
  /**
   * The attention probabilities {@code [N, heads, T, T]} of every attention block ({@link Model#attention}), as
   * attention rollout needs.
   */
  ATTENTION,
  /** The gradient of an objective with respect to every block's attention probabilities, as gradient rollout needs. */
  ATTENTION_GRADIENT
}
