package org.xcam.plugins.gradient;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.xcam.api.ModelInfo;
import org.xcam.api.Objective;
import org.xcam.plugins.gradient.WeightedCam.Kind;

/**
 * Finer-CAM (Zhang et al. 2025; pytorch-grad-cam's {@code FinerCAM} with its {@code FinerWeightedTarget}): a base CAM
 * (option {@code base}, default Grad-CAM) of the target's logit contrasted with the classes the model finds most
 * similar to it. With {@code y} the logits, {@code p = softmax(y)}, {@code t} the target and {@code J} the
 * {@code comparisons} classes whose logits are closest to {@code y_t} (ranks 1..n of {@code |y_j - y_t|}, as
 * pytorch-grad-cam's default {@code comparison_categories=[1, 2, 3]}, capped at the other classes there are), the
 * objective is
 *
 * <pre>{@code f(y) = sum_{j in J} p_j (y_t - alpha y_j) / (sum_{j in J} p_j + 1e-9)}</pre>
 *
 * and its gradient (the softmax weights differentiated too, as pytorch-grad-cam's autograd does) seeds the backward
 * pass. The comparison classes are chosen once per image from its unmodified output and recorded in the manifest.
 */
final class FinerCam extends GradientCam {
  private final Kind base;
  private final int comparisons;
  private final double alpha;

  FinerCam(String name, Common common, Kind base, int comparisons, double alpha) {
    super(name, common);
    this.base = base;
    this.comparisons = comparisons;
    this.alpha = alpha;
  }

  @Override protected Objective refine(Objective resolved, float[] output, ModelInfo info) {
    int t = resolved.classIndex();
    if (t < 0 || output.length < 2) return resolved;
    Integer[] order = new Integer[output.length];
    for (int i = 0; i < order.length; i++) order[i] = i;
    final double yt = output[t];
    Arrays.sort(order, Comparator.comparingDouble((Integer j) -> Math.abs(output[j] - yt)).thenComparingInt(j -> j));
    List<Integer> cmp = new ArrayList<>();
    for (int r = 0; r < order.length && cmp.size() < comparisons; r++) if (order[r] != t) cmp.add(order[r]);
    return new Contrast(t, info.label(t), cmp.stream().mapToInt(Integer::intValue).toArray(), alpha);
  }

  @Override protected double[] map(Rows rows) {
    if (rows.extras() != null) rows.extras().put("alpha", alpha);
    return WeightedCam.cam(base, rows.a()[0], rows.g()[0], rows.k(), rows.h(), rows.w(), common.eigenSmooth(), true);
  }

  /** pytorch-grad-cam's {@code FinerWeightedTarget} with its exact gradient. */
  static final class Contrast implements Objective {
    private static final double EPS = 1e-9;
    final int t;
    final String label;
    final int[] j;
    final double alpha;

    Contrast(int t, String label, int[] j, double alpha) {
      this.t = t;
      this.label = label;
      this.j = j.clone();
      this.alpha = alpha;
    }

    @Override public String describe() {
      return "Finer-CAM contrast of class " + t + " (" + label + ") with classes " + Arrays.toString(j) + " (alpha " + alpha + ")";
    }

    @Override public int classIndex() { return t; }

    private static double[] softmax(float[] y) {
      double m = Double.NEGATIVE_INFINITY, s = 0;
      for (float v : y) m = Math.max(m, v);
      double[] p = new double[y.length];
      for (int i = 0; i < y.length; i++) s += p[i] = Math.exp(y[i] - m);
      for (int i = 0; i < y.length; i++) p[i] /= s;
      return p;
    }

    @Override public double value(float[] y) {
      double[] p = softmax(y);
      double num = 0, den = 0;
      for (int c : j) {
        num += p[c] * (y[t] - alpha * y[c]);
        den += p[c];
      }
      return num / (den + EPS);
    }

    /**
     * With {@code S = sum_J p_j}, {@code N = sum_J p_j d_j}, {@code d_j = y_t - alpha y_j} and
     * {@code dp_j/dy_k = p_j (delta_jk - p_k)}: {@code dN/dy_k = [k in J] p_k d_k - p_k N + S delta_kt - alpha [k in J] p_k},
     * {@code dS/dy_k = [k in J] p_k - p_k S}, {@code df/dy_k = (dN/dy_k (S + eps) - N dS/dy_k) / (S + eps)^2}.
     */
    @Override public float[] gradient(float[] y) {
      if (t >= y.length) throw new org.xcam.api.InvalidInputException("target index " + t + " out of range; the model has "
          + y.length + " outputs (0.." + (y.length - 1) + ")");
      double[] p = softmax(y);
      boolean[] in = new boolean[y.length];
      for (int c : j) in[c] = true;
      double num = 0, den = 0;
      for (int c : j) {
        num += p[c] * (y[t] - alpha * y[c]);
        den += p[c];
      }
      double se = den + EPS;
      float[] g = new float[y.length];
      for (int k = 0; k < y.length; k++) {
        double dn = (in[k] ? p[k] * (y[t] - alpha * y[k]) - alpha * p[k] : 0) - p[k] * num + (k == t ? den : 0);
        double ds = (in[k] ? p[k] : 0) - p[k] * den;
        g[k] = (float) ((dn * se - num * ds) / (se * se));
      }
      return g;
    }
  }

}
