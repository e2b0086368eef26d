package org.xcam.plugins.perturbation;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.xcam.api.Capability;
import org.xcam.api.InputSpec;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.api.UnsupportedCapabilityException;

/**
 * A hand-made regression model whose single output is the mean intensity (over channels) inside one box
 * {@code [y0,y1) x [x0,x1)}: the ground truth of "where does the evidence lie" is exactly the box. Forward only, like
 * a gradient-free ONNX model. Records the largest batch it saw.
 */
final class BoxMeanModel implements Model {
  final int c, h, w, y0, x0, y1, x1;
  final AtomicInteger largestBatch = new AtomicInteger();
  private final ModelInfo info;

  BoxMeanModel(int c, int h, int w, int y0, int x0, int y1, int x1) {
    this.c = c; this.h = h; this.w = w; this.y0 = y0; this.x0 = x0; this.y1 = y1; this.x1 = x1;
    float[] mean = new float[c], std = new float[c];
    java.util.Arrays.fill(std, 1f);
    info = new ModelInfo("box-mean", Task.REGRESSION, List.of("box mean"), new InputSpec(c, h, w, mean, std),
        List.of(), "input", "java:box-mean", "java", Map.of());
  }

  boolean inBox(int y, int x) { return y >= y0 && y < y1 && x >= x0 && x < x1; }

  @Override public ModelInfo info() { return info; }
  @Override public Set<Capability> capabilities() { return EnumSet.of(Capability.FORWARD); }

  @Override public Tensor forward(Tensor batch) {
    int n = batch.dim(0);
    largestBatch.accumulateAndGet(n, Math::max);
    float[] out = new float[n];
    int area = (y1 - y0) * (x1 - x0);
    for (int b = 0; b < n; b++) {
      double s = 0;
      for (int cc = 0; cc < c; cc++)
        for (int y = y0; y < y1; y++)
          for (int x = x0; x < x1; x++) s += batch.get(((b * c + cc) * h + y) * w + x);
      out[b] = (float) (s / (area * c));
    }
    return Tensor.wrap(out, n, 1);
  }

  @Override public LayerHook layer(String layer) {
    throw new UnsupportedCapabilityException("box-mean has no layer cut", EnumSet.of(Capability.LAYER_CUT));
  }

  @Override public void close() { }
}
