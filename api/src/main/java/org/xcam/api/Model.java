package org.xcam.api;

import java.util.EnumSet;
import java.util.Set;
import java.util.function.Function;

/**
 * A loaded image classifier (or regressor) on some engine. Gives its {@link ModelInfo}, batched forward passes, and
 * cuts at named layers ({@link LayerHook}). Obtained from an {@link org.xcam.api.spi.EngineProvider}, usually through
 * the runtime facade.
 *
 * <pre>{@code
 * try (Model m = xcam.load(Path.of("models/phantom-cxr"))) {
 *   Tensor logits = m.forward(batch);                // [N, K]
 *   LayerHook hook = m.layer(m.info().defaultLayer());
 * }
 * }</pre>
 *
 * <p><b>Threads:</b> a model is safe to use from several threads at once; native memory is released per call.
 * Close it when done; calls after {@link #close()} fail with {@link XcamException}.
 */
public interface Model extends AutoCloseable {
  ModelInfo info();

  /** What this model can do on its engine (all models have {@link Capability#FORWARD}). */
  Set<Capability> capabilities();

  /** Forward pass of the whole model on {@code [N, C, H, W]}; returns {@code [N, K]}. */
  Tensor forward(Tensor batch);

  /**
   * The model cut at {@code layer} ({@code input} included). Unknown names raise {@link UnknownNameException} listing
   * the model's layers; a model without {@link Capability#LAYER_CUT} raises {@link UnsupportedCapabilityException}.
   */
  LayerHook layer(String layer);

  @Override void close();

  /**
   * Engine calls in flight at once that use this machine best: 1 (the default) when one call already runs on every
   * core; more when each call runs on fewer threads than there are cores (DJL's engine runs one intra-op thread, so it
   * answers the number of cores). Methods that send many independent batches (Score-CAM, Ablation-CAM) keep this many
   * calls in flight unless told otherwise; a model answering more than 1 must be safe to call from several threads.
   * Wrappers delegate it.
   */
  default int concurrency() { return 1; }

  /**
   * FullGrad's ingredients ({@link Capability#BIAS_GRADIENTS}): the output, the input gradient and the gradient at
   * every bias layer's output for {@code s = seed(output)}, from one forward and one backward pass. The default
   * refuses: only engines that can name the bias layers of their graph override it.
   */
  default BiasGradients biasGradients(Tensor input, Function<Tensor, Tensor> seed) {
    throw new UnsupportedCapabilityException("model '" + info().name() + "' on engine '" + info().engine()
        + "' cannot expose the gradients at its bias layers; use the ONNX engine (--engine onnx)", Set.of(Capability.BIAS_GRADIENTS));
  }

  /**
   * The model's attention blocks ({@link Capability#ATTENTION}), input side first; empty for a model without
   * attention or an engine that cannot expose it.
   */
  default java.util.List<Attention.Layer> attentionLayers() { return java.util.List.of(); }

  /**
   * Attention rollout's ingredients ({@link Capability#ATTENTION}): the output and every attention block's
   * probabilities from one forward pass; with a {@code seed} ({@link Capability#ATTENTION_GRADIENT}, null for none)
   * also the gradient of {@code s = seed(output)} with respect to each block's probabilities, from one backward pass.
   * The default refuses: only engines that can find the attention blocks of their graph override it.
   */
  default Attention attention(Tensor input, Function<Tensor, Tensor> seed) {
    throw new UnsupportedCapabilityException("model '" + info().name() + "' on engine '" + info().engine()
        + "' exposes no attention probabilities (no attention blocks found, or the engine cannot reach them)",
        Set.of(seed == null ? Capability.ATTENTION : Capability.ATTENTION_GRADIENT));
  }

  /** Fails with {@link UnsupportedCapabilityException} naming what is missing, for {@code who} (a method name). */
  default void require(Set<Capability> needed, String who) {
    EnumSet<Capability> missing = needed.isEmpty() ? EnumSet.noneOf(Capability.class) : EnumSet.copyOf(needed);
    missing.removeAll(capabilities());
    if (missing.contains(Capability.ATTENTION) || missing.contains(Capability.ATTENTION_GRADIENT)) {
      throw new UnsupportedCapabilityException("'" + who + "' needs " + missing + " but model '" + info().name() + "' on engine '"
          + info().engine() + "' exposes no attention blocks (windowed or fused attention, or a bundle without attention.pt:"
          + " re-export it with tools/export_bundle.py, or use --engine onnx on its model.onnx); use a layer-based method (gradcam)", missing);
    }
    if (!missing.isEmpty()) {
      throw new UnsupportedCapabilityException("'" + who + "' needs " + missing + " but model '" + info().name()
          + "' on engine '" + info().engine() + "' offers only " + capabilities() + "; use an engine that has them (e.g. "
          + (missing.contains(Capability.MODIFIED_BACKWARD) || missing.contains(Capability.BIAS_GRADIENTS)
              ? "--engine onnx, whose generated backward graph can" : "--engine djl")
          + ") or a method that needs less", missing);
    }
  }
}
