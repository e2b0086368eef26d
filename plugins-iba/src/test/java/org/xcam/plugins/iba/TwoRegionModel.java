package org.xcam.plugins.iba;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xcam.api.Capability;
import org.xcam.api.InputSpec;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerInfo;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.api.UnknownNameException;

/**
 * A hand-made model with two redundant evidence regions, for the Inverse IBA claim. Pure Java, exact VJP.
 *
 * <pre>
 *   layer "features": a_k = (1 - k/32) x for k < K, [N, K, H, W]   (channel 0 is read; the others stand for the
 *                     channels of a real layer that carry nothing about the class)
 *   s_A = mean of a_0 over box A,  s_B = mean of a_0 over box B
 *   y_0 = 0,  y_1 = w * max(s_A, s_B) - b        (either region alone is enough evidence for class 1)
 * </pre>
 * The VJP of y_1 goes to the arg-max region only (w / |box| per pixel), as autograd's max does.
 */
final class TwoRegionModel implements Model {
  final int h;
  final int w;
  final int[] boxA; // y0, x0, y1, x1
  final int[] boxB;
  final double weight;
  final double bias;
  final int k;
  private final ModelInfo info;

  TwoRegionModel(int k, int h, int w, int[] boxA, int[] boxB, double weight, double bias) {
    this.k = k;
    this.h = h;
    this.w = w;
    this.boxA = boxA;
    this.boxB = boxB;
    this.weight = weight;
    this.bias = bias;
    this.info = new ModelInfo("two-region", Task.MULTICLASS, List.of("absent", "present"),
        new InputSpec(1, h, w, new float[] {0}, new float[] {1}), List.of(new LayerInfo("features", new int[] {k, h, w})),
        "features", "java:two-region", "java", Map.of());
  }

  static double boxMean(float[] a, int off, int w, int[] b) {
    double s = 0;
    for (int y = b[0]; y < b[2]; y++) for (int x = b[1]; x < b[3]; x++) s += a[off + y * w + x];
    return s / ((b[2] - b[0]) * (b[3] - b[1]));
  }

  static boolean inBox(int y, int x, int[] b) { return y >= b[0] && y < b[2] && x >= b[1] && x < b[3]; }

  @Override public ModelInfo info() { return info; }
  @Override public Set<Capability> capabilities() { return EnumSet.of(Capability.FORWARD, Capability.LAYER_CUT, Capability.VJP); }
  @Override public Tensor forward(Tensor x) { return tail(head(x)); }

  Tensor head(Tensor x) {
    int n = x.dim(0), hw = h * w;
    float[] v = x.toArray();
    float[] a = new float[n * k * hw];
    for (int i = 0; i < n; i++)
      for (int c = 0; c < k; c++)
        for (int p = 0; p < hw; p++) a[(i * k + c) * hw + p] = (1f - c / 32f) * v[i * hw + p];
    return Tensor.wrap(a, n, k, h, w);
  }

  Tensor tail(Tensor a) {
    int n = a.dim(0), hw = h * w;
    float[] v = a.toArray();
    float[] y = new float[n * 2];
    for (int i = 0; i < n; i++) {
      double sa = boxMean(v, i * k * hw, w, boxA), sb = boxMean(v, i * k * hw, w, boxB);
      y[i * 2 + 1] = (float) (weight * Math.max(sa, sb) - bias);
    }
    return Tensor.wrap(y, n, 2);
  }

  Tensor vjp(Tensor a, Tensor g) {
    int n = a.dim(0), hw = h * w;
    float[] v = a.toArray(), gy = g.toArray();
    float[] ga = new float[n * k * hw];
    for (int i = 0; i < n; i++) {
      double sa = boxMean(v, i * k * hw, w, boxA), sb = boxMean(v, i * k * hw, w, boxB);
      int[] b = sa >= sb ? boxA : boxB;
      double per = gy[i * 2 + 1] * weight / ((b[2] - b[0]) * (b[3] - b[1]));
      for (int y = b[0]; y < b[2]; y++) for (int x = b[1]; x < b[3]; x++) ga[i * k * hw + y * w + x] = (float) per;
    }
    return Tensor.wrap(ga, n, k, h, w);
  }

  @Override public LayerHook layer(String layer) {
    if (!layer.equals("features")) throw UnknownNameException.of("layer", layer, List.of("features"), null);
    return new LayerHook() {
      @Override public String name() { return "features"; }
      @Override public Tensor activation(Tensor input) { return head(input); }
      @Override public Tensor tail(Tensor activation) { return TwoRegionModel.this.tail(activation); }
      @Override public Tensor vjp(Tensor activation, Tensor gradOutput) { return TwoRegionModel.this.vjp(activation, gradOutput); }
    };
  }

  @Override public void close() { }
}
