package org.xcam.api;

import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Wraps a model and counts its passes ({@link Passes}); used by the runtime to record what each explanation cost,
 * and by benchmarks and tests to check a method's declared cost. Closing it does not close the wrapped model.
 *
 * <pre>{@code
 * CountingModel counted = new CountingModel(model);
 * explainer.explain(counted, request);
 * Passes p = counted.passes();     // e.g. 0 forward, 1 head, 1 tail, 1 vjp
 * }</pre>
 */
public final class CountingModel implements Model {
  private final Model inner;
  private final AtomicLong forwards = new AtomicLong();
  private final AtomicLong heads = new AtomicLong();
  private final AtomicLong tails = new AtomicLong();
  private final AtomicLong vjps = new AtomicLong();

  public CountingModel(Model inner) { this.inner = inner; }

  public Model inner() { return inner; }

  public Passes passes() { return new Passes(forwards.get(), heads.get(), tails.get(), vjps.get()); }

  @Override public ModelInfo info() { return inner.info(); }
  @Override public Set<Capability> capabilities() { return inner.capabilities(); }

  @Override public int concurrency() { return inner.concurrency(); }
  /** The inner model's check, so an engine's own message (what blocks a capability, what still works) comes through. */
  @Override public void require(Set<Capability> needed, String who) { inner.require(needed, who); }

  @Override public Tensor forward(Tensor batch) {
    forwards.incrementAndGet();
    return inner.forward(batch);
  }

  @Override public LayerHook layer(String layer) {
    LayerHook h = inner.layer(layer);
    return new LayerHook() {
      @Override public String name() { return h.name(); }
      @Override public Tensor activation(Tensor input) { heads.incrementAndGet(); return h.activation(input); }
      @Override public Tensor tail(Tensor activation) { tails.incrementAndGet(); return h.tail(activation); }
      @Override public Tensor vjp(Tensor activation, Tensor gradOutput) {
        vjps.incrementAndGet();
        return h.vjp(activation, gradOutput);
      }
      @Override public TailGradient tailWithGradient(Tensor activation, Function<Tensor, Tensor> seed) {
        // Counted as one tail and one vjp whatever the engine does inside (a fused pass is the point).
        tails.incrementAndGet();
        vjps.incrementAndGet();
        return h.tailWithGradient(activation, seed);
      }
      @Override public SecondOrder tailWithHessianVector(Tensor activation, Tensor v, Function<Tensor, Tensor> seed,
                                                         BiFunction<Tensor, Tensor, Tensor> seedTangent) {
        // One tail, one backward and one second-order pass (a double backward, or the tangent of the backward): 2 vjps.
        tails.incrementAndGet();
        vjps.addAndGet(2);
        return h.tailWithHessianVector(activation, v, seed, seedTangent);
      }
      @Override public TailGradient tailWithRule(Tensor activation, Tensor reference, BackwardRule rule,
                                                 Function<Tensor, Tensor> seed) {
        tails.incrementAndGet();
        vjps.incrementAndGet();
        return h.tailWithRule(activation, reference, rule, seed);
      }
    };
  }

  @Override public BiasGradients biasGradients(Tensor input, Function<Tensor, Tensor> seed) {
    forwards.incrementAndGet();
    vjps.incrementAndGet();
    return inner.biasGradients(input, seed);
  }

  @Override public java.util.List<Attention.Layer> attentionLayers() { return inner.attentionLayers(); }

  /** One forward, plus one vjp when a seed is given. */
  @Override public Attention attention(Tensor input, Function<Tensor, Tensor> seed) {
    forwards.incrementAndGet();
    if (seed != null) vjps.incrementAndGet();
    return inner.attention(input, seed);
  }

  @Override public void close() { }
}
