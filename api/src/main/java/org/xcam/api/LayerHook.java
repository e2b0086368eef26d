package org.xcam.api;

import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A model cut at layer L: {@code activation = head(x)}, {@code output = tail(activation)}, and the vector-Jacobian
 * product from the output back to the activation. Every layer-based method is written over these four operations.
 *
 * <p>The input itself is a layer named {@code input}: its head is the identity and its tail the whole model, so
 * input-gradient methods use the same interface. All calls are batched over the first axis.
 *
 * <pre>{@code
 * LayerHook hook = model.layer("features.14");
 * Tensor a = hook.activation(x);                       // [N, C, h, w]
 * TailGradient tg = hook.tailWithGradient(a, y -> objective.gradient(y));
 * Tensor g = tg.gradient();                            // dY/dA, [N, C, h, w]
 * }</pre>
 *
 * <p>Implementations are thread-safe: several threads may use one hook at once.
 */
public interface LayerHook {
  /** The layer's name, as listed in {@link ModelInfo#layers()} (or {@code input}). */
  String name();

  /** head(x): the activation at this layer for a batch of inputs {@code [N, C, H, W]}. */
  Tensor activation(Tensor input);

  /** tail(a): the model's output {@code [N, K]} when the activation at this layer is {@code a}. */
  Tensor tail(Tensor activation);

  /**
   * Vector-Jacobian product: given {@code gradOutput = dObjective/dOutput} ({@code [N, K]}) and an activation,
   * returns {@code dObjective/dActivation = J_tail(a)^T gradOutput} (the activation's shape). Parameters get no
   * gradient.
   */
  Tensor vjp(Tensor activation, Tensor gradOutput);

  /**
   * Runs the tail and the VJP for a gradient that depends on the output ({@code seed: output -> dObjective/dOutput}).
   * The default costs two tail passes (one here, one inside {@link #vjp}); engines override it to run the tail
   * once with gradients recorded.
   */
  default TailGradient tailWithGradient(Tensor activation, Function<Tensor, Tensor> seed) {
    Tensor y = tail(activation);
    return new TailGradient(y, vjp(activation, seed.apply(y)));
  }

  /**
   * Exact Hessian-vector product ({@link Capability#HESSIAN_VECTOR_PRODUCT}). Runs the tail on {@code activation}
   * ({@code a}), back-propagates {@code s = seed(y)} ({@code g = J^T s}) and differentiates that gradient once more
   * along {@code v} (the activation's shape), per row:
   *
   * <pre>{@code hessianVector = d/de [J(a + e v)^T s(y(a + e v))] at e = 0 = (dJ^T/da . v) s + J^T (ds/dy) (J v)}</pre>
   *
   * {@code seedTangent.apply(y, jv)} returns {@code (ds/dy)(J v)} ({@code [N, K]}), the objective's own curvature
   * along {@code J v}; pass {@code null} when the seed does not depend on {@code y} (a logit). Piecewise-linear
   * parts (ReLU, max-pooling) contribute exactly zero, unlike a finite difference of two VJPs.
   *
   * <p>The default refuses: engines that can differentiate twice override it and declare the capability.
   */
  default SecondOrder tailWithHessianVector(Tensor activation, Tensor v, Function<Tensor, Tensor> seed,
                                            BiFunction<Tensor, Tensor, Tensor> seedTangent) {
    throw new UnsupportedCapabilityException("layer '" + name() + "' has no exact Hessian-vector product on this engine;"
        + " use the ONNX or DJL engine, or the method's finite-difference option", Set.of(Capability.HESSIAN_VECTOR_PRODUCT));
  }

  /**
   * The tail and a VJP through a backward pass whose rules are swapped ({@link Capability#MODIFIED_BACKWARD}, see
   * {@link BackwardRule}). {@code reference} is the baseline activation for {@link BackwardRule#DEEPLIFT_RESCALE}
   * (same shape as {@code activation}) and {@code null} for {@link BackwardRule#GUIDED_RELU}. The output is
   * {@code tail(activation)}; the gradient is the rule's back-propagated {@code seed(output)}.
   *
   * <p>The default refuses: only engines that generate their own backward pass can swap its rules.
   */
  default TailGradient tailWithRule(Tensor activation, Tensor reference, BackwardRule rule, Function<Tensor, Tensor> seed) {
    throw new UnsupportedCapabilityException("layer '" + name() + "' cannot swap backward rules (" + rule + ") on this engine;"
        + " use the ONNX engine (--engine onnx), whose generated backward graph can", Set.of(Capability.MODIFIED_BACKWARD));
  }
}
