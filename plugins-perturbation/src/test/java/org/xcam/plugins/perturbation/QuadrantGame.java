package org.xcam.plugins.perturbation;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import org.xcam.api.Capability;
import org.xcam.api.InputSpec;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.api.UnsupportedCapabilityException;

/**
 * A forward-only regression model on 1 x 8 x 8 images whose output is a chosen function ("game") of the four quadrant
 * means {@code s = (top-left, top-right, bottom-left, bottom-right)}: with the all-ones image and the zero baseline, a
 * 2 x 2 grid of superpixels switches each s_q between 1 and 0, so Shapley values and LIME coefficients can be worked
 * out by hand.
 */
final class QuadrantGame implements Model {
  private final ToDoubleFunction<double[]> game;
  private final ModelInfo info = new ModelInfo("quadrant-game", Task.REGRESSION, List.of("v"),
      new InputSpec(1, 8, 8, new float[] {0}, new float[] {1}), List.of(), "input", "java:quadrant-game", "java", Map.of());

  QuadrantGame(ToDoubleFunction<double[]> game) { this.game = game; }

  static Tensor ones() { return Tensor.full(1f, 1, 1, 8, 8); }

  @Override public ModelInfo info() { return info; }
  @Override public Set<Capability> capabilities() { return EnumSet.of(Capability.FORWARD); }

  @Override public Tensor forward(Tensor x) {
    int n = x.dim(0);
    float[] v = x.toArray(), out = new float[n];
    for (int b = 0; b < n; b++) {
      double[] s = new double[4];
      for (int p = 0; p < 64; p++) s[(p / 8 / 4) * 2 + (p % 8) / 4] += v[b * 64 + p] / 16.0;
      out[b] = (float) game.applyAsDouble(s);
    }
    return Tensor.wrap(out, n, 1);
  }

  @Override public LayerHook layer(String layer) {
    throw new UnsupportedCapabilityException("quadrant-game has no layer cut", EnumSet.of(Capability.LAYER_CUT));
  }

  @Override public void close() { }
}
