package org.xcam.api;

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
}
