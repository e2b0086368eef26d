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
  INPUT_GRADIENT
}
