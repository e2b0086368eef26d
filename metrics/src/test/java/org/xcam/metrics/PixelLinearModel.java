package org.xcam.metrics;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xcam.api.Capability;
import org.xcam.api.InputSpec;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.api.UnsupportedCapabilityException;

/**
 * A model whose score is an explicit function of the pixels, for hand-worked faithfulness tests:
 * one channel, {@code logits = [ f(x), c ]} with {@code f(x) = Σ_p a_p x_p} on the (normalised) input tensor and a
 * constant second logit {@code c}. Records the size of every forward batch.
 */
final class PixelLinearModel implements Model {
  final float[] a;
  final float second;
  final int h, w;
  final List<Integer> batches = new ArrayList<>();
  private final ModelInfo info;

  PixelLinearModel(float[] a, float second, int h, int w, Task task, float mean, float std) {
    this.a = a;
    this.second = second;
    this.h = h;
    this.w = w;
    this.info = new ModelInfo("pixel-linear", task, List.of("f", "c"),
        new InputSpec(1, h, w, new float[] {mean}, new float[] {std}), List.of(), "input", "java:pixel-linear", "java", Map.of());
  }

  PixelLinearModel(float[] a, float second, int h, int w) { this(a, second, h, w, Task.MULTICLASS, 0f, 1f); }

  @Override public ModelInfo info() { return info; }
  @Override public Set<Capability> capabilities() { return EnumSet.of(Capability.FORWARD); }

  @Override public synchronized Tensor forward(Tensor batch) {
    int n = batch.dim(0), hw = h * w;
    batches.add(n);
    float[] out = new float[2 * n];
    for (int i = 0; i < n; i++) {
      double f = 0;
      for (int p = 0; p < hw; p++) f += a[p] * batch.get(i * hw + p);
      out[2 * i] = (float) f;
      out[2 * i + 1] = second;
    }
    return Tensor.wrap(out, n, 2);
  }

  @Override public LayerHook layer(String layer) {
    throw new UnsupportedCapabilityException("pixel-linear has no layers", EnumSet.of(Capability.LAYER_CUT));
  }

  @Override public void close() { }
}
