package org.xcam.metrics.kit;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xcam.api.Box;
import org.xcam.api.Capability;
import org.xcam.api.Heatmap;
import org.xcam.api.InputSpec;
import org.xcam.api.LayerHook;
import org.xcam.api.MetricContext;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.Objectives;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.tck.MetricCompatibilityKit.KnownValue;

/**
 * Hand-worked cases for the {@link org.xcam.tck.MetricCompatibilityKit} runs, the same arithmetic as the golden tests
 * in {@code org.xcam.metrics} (see the comments there), in the kit's form.
 */
final class Cases {
  private Cases() { }

  static Heatmap map(int h, int w, float... v) { return Heatmap.of(v, h, w, "test", "input", "test", Heatmap.Resolution.INPUT); }

  /* 2x4 map [0.5 .25 0 0 / .125 .125 0 0], truth box = column 0 = pixels {0, 4} */
  static final Heatmap MAP = map(2, 4, 0.5f, 0.25f, 0f, 0f, 0.125f, 0.125f, 0f, 0f);

  static MetricContext boxes() { return MetricContext.builder(MAP).boxes(List.of(Box.of(0, 0, 1, 2, "lesion"))).build(); }

  static List<KnownValue> one(String d, MetricContext c, double v) { return List.of(new KnownValue(d, c, v, 1e-9)); }

  /* map a = [0, 1, 2, 1], human b = [1, 1, 0, 0] */
  static MetricContext saliency() {
    return MetricContext.builder(map(1, 4, 0, 1, 2, 1)).saliency(Tensor.of(new float[] {1, 1, 0, 0}, 1, 4)).build();
  }

  /** logits [f, c] with f = x0 + 2 x1 + 3 x2 + 4 x3 on a 2x2 (or 1x4) input, mean 0 std 1. */
  static final class PixelLinear implements Model {
    final float[] a;
    final float c;
    final ModelInfo info;

    PixelLinear(float[] a, float c, int h, int w) {
      this.a = a;
      this.c = c;
      this.info = new ModelInfo("pixel-linear", Task.MULTICLASS, List.of("f", "c"),
          new InputSpec(1, h, w, new float[] {0}, new float[] {1}), List.of(), "input", "java", "java", Map.of());
    }

    @Override public ModelInfo info() { return info; }
    @Override public Set<Capability> capabilities() { return EnumSet.of(Capability.FORWARD); }
    @Override public Tensor forward(Tensor b) {
      int n = b.dim(0), per = a.length;
      float[] out = new float[2 * n];
      for (int i = 0; i < n; i++) {
        double f = 0;
        for (int p = 0; p < per; p++) f += a[p] * b.get(i * per + p);
        out[2 * i] = (float) f;
        out[2 * i + 1] = c;
      }
      return Tensor.wrap(out, n, 2);
    }
    @Override public LayerHook layer(String l) { throw new UnsupportedOperationException(); }
    @Override public void close() { }
  }

  static final float[] A = {1, 2, 3, 4};
  static final Tensor ONES = Tensor.of(new float[] {1, 1, 1, 1}, 1, 1, 2, 2);
  static final Heatmap HEAT = map(2, 2, 0.1f, 0.4f, 0.3f, 0.2f);

  static MetricContext model(Model m, Heatmap h, Tensor x) {
    return MetricContext.builder(h).model(m, x, Objectives.logit(0, "f")).seed(7).build();
  }

  static double sigmoid(double v) { return 1 / (1 + Math.exp(-v)); }

  static List<KnownValue> list(KnownValue... k) { return new ArrayList<>(List.of(k)); }
}
