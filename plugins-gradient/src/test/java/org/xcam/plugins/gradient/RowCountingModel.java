package org.xcam.plugins.gradient;

import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.xcam.api.BackwardRule;
import org.xcam.api.BiasGradients;
import org.xcam.api.Capability;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.SecondOrder;
import org.xcam.api.TailGradient;
import org.xcam.api.Tensor;

/**
 * Counts network evaluations the way {@link org.xcam.api.Plan} defines them: rows, not calls. A head, tail or forward
 * over N rows counts N; a fused tail and backward over N rows counts 2N; with the Hessian-vector product 3N (as
 * {@link org.xcam.api.CountingModel} counts that call as one tail and two VJPs). {@code CountingModel} counts calls,
 * which batching changes; a plan is per image and independent of {@code batch-size}.
 */
final class RowCountingModel implements Model {
  private final Model inner;
  long rows;

  RowCountingModel(Model inner) { this.inner = inner; }

  @Override public ModelInfo info() { return inner.info(); }
  @Override public Set<Capability> capabilities() { return inner.capabilities(); }

  @Override public Tensor forward(Tensor batch) {
    rows += batch.dim(0);
    return inner.forward(batch);
  }

  @Override public LayerHook layer(String layer) {
    LayerHook h = inner.layer(layer);
    return new LayerHook() {
      @Override public String name() { return h.name(); }
      @Override public Tensor activation(Tensor input) { rows += input.dim(0); return h.activation(input); }
      @Override public Tensor tail(Tensor a) { rows += a.dim(0); return h.tail(a); }
      @Override public Tensor vjp(Tensor a, Tensor g) { rows += a.dim(0); return h.vjp(a, g); }
      @Override public TailGradient tailWithGradient(Tensor a, Function<Tensor, Tensor> seed) {
        rows += 2L * a.dim(0);
        return h.tailWithGradient(a, seed);
      }
      @Override public SecondOrder tailWithHessianVector(Tensor a, Tensor v, Function<Tensor, Tensor> seed,
                                                         BiFunction<Tensor, Tensor, Tensor> seedTangent) {
        rows += 3L * a.dim(0);
        return h.tailWithHessianVector(a, v, seed, seedTangent);
      }
      @Override public TailGradient tailWithRule(Tensor a, Tensor reference, BackwardRule rule, Function<Tensor, Tensor> seed) {
        rows += 2L * a.dim(0);
        return h.tailWithRule(a, reference, rule, seed);
      }
    };
  }

  @Override public BiasGradients biasGradients(Tensor input, Function<Tensor, Tensor> seed) {
    rows += 2L * input.dim(0);
    return inner.biasGradients(input, seed);
  }

  @Override public void close() { }
}
