package org.xcam.api;

/**
 * A backward pass with some of its rules replaced ({@link Capability#MODIFIED_BACKWARD},
 * {@link LayerHook#tailWithRule}). Every other operator keeps its ordinary gradient.
 */
public enum BackwardRule {
  /**
   * Guided backpropagation (Springenberg et al. 2015) as Captum's {@code GuidedBackprop}: at every ReLU the gradient
   * passed down is {@code max(g, 0)} where the ReLU's input is positive, 0 elsewhere.
   */
  GUIDED_RELU,
  /**
   * DeepLift's rescale rule (Shrikumar et al. 2017) as Captum's {@code DeepLift}: at every elementwise nonlinearity
   * (ReLU, leaky ReLU, sigmoid, tanh) the multiplier is {@code (f(x) - f(x0)) / (x - x0)} against the reference pass
   * on the baseline, the ordinary derivative where {@code |x - x0| < 1e-10}; max-pooling and everything else take
   * their ordinary gradient at {@code x}. The returned "gradient" is the multiplier {@code m}; the attribution is
   * {@code (a - a0) * m}.
   */
  DEEPLIFT_RESCALE
}
