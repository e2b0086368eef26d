package org.xcam.spark;

import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.xcam.api.Attention;
import org.xcam.api.BiasGradients;
import org.xcam.api.Capability;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.Tensor;

/**
 * An executor's model as Spark tasks see it: everything delegated, except that {@link #concurrency()} is 1. Spark
 * already runs one task per executor core, each with its own engine calls; a method that keeps
 * {@code model.concurrency()} calls in flight ({@code parallel=auto}: Score-CAM, Ablation-CAM) would otherwise multiply
 * that by the cores again (DJL answers the cores), and with it the native memory per executor. An explicit
 * {@code --option parallel=N} still applies.
 */
final class OneCallPerTask implements Model {
  private final Model inner;

  OneCallPerTask(Model inner) { this.inner = inner; }

  @Override public ModelInfo info() { return inner.info(); }
  @Override public Set<Capability> capabilities() { return inner.capabilities(); }
  @Override public Tensor forward(Tensor batch) { return inner.forward(batch); }
  @Override public LayerHook layer(String layer) { return inner.layer(layer); }
  @Override public void close() { inner.close(); }
  @Override public int concurrency() { return 1; }
  @Override public BiasGradients biasGradients(Tensor input, Function<Tensor, Tensor> seed) { return inner.biasGradients(input, seed); }
  @Override public List<Attention.Layer> attentionLayers() { return inner.attentionLayers(); }
  @Override public Attention attention(Tensor input, Function<Tensor, Tensor> seed) { return inner.attention(input, seed); }
  @Override public void require(Set<Capability> needed, String who) { inner.require(needed, who); }
  @Override public String toString() { return inner.toString(); }
}
