package org.xcam.metrics;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.xcam.api.Heatmap;
import org.xcam.api.Metric;
import org.xcam.api.MetricContext;
import org.xcam.api.MetricResult;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;

/**
 * Agreement with a human saliency map (eye tracking, radiologist annotation), as in the MIT saliency benchmark
 * (Bylinskii et al., "What do different evaluation metrics tell us about saliency models?"). The human map is resized
 * to the heatmap's grid. Judd AUC and NSS need fixations: the human map's pixels above {@code fixation-threshold}
 * times its maximum (a binary fixation map stays as it is with the default 0.5).
 */
public final class Saliency {
  private Saliency() { }

  static OptionSpec fixationOption() {
    return new OptionSpec("fixation-threshold", "0.5", "fixations are the human map's pixels above this fraction of its maximum");
  }

  static float[] human(MetricContext ctx, Heatmap m) { return MapOps.plane(ctx.saliency(), m.height(), m.width(), "saliency map"); }

  static boolean[] fixations(float[] human, double t) {
    float max = Float.NEGATIVE_INFINITY;
    for (float f : human) max = Math.max(max, f);
    boolean[] f = new boolean[human.length];
    if (max <= 0) return f;
    for (int i = 0; i < f.length; i++) f[i] = human[i] > t * max;
    return f;
  }

  /**
   * AUC-Judd: thresholds at the heatmap's values on the fixations; true-positive rate = fixations at or above over all
   * fixations, false-positive rate = other pixels at or above over all non-fixated pixels; (0,0) and (1,1) added,
   * trapezoid rule. The MIT code's tiny random jitter for ties is left out (deterministic).
   */
  public static final class JuddAuc extends AbstractMetricProvider {
    public JuddAuc() {
      super("judd-auc", "AUC-Judd of the map against human fixations (from the saliency map)", unit(true),
          EnumSet.of(MetricContext.Need.SALIENCY), List.of(fixationOption()));
    }

    @Override public Metric create(Options o) {
      double t = o.getDouble("fixation-threshold");
      return ctx -> {
        Heatmap m = ctx.heatmap();
        float[] s = m.values();
        boolean[] fix = fixations(human(ctx, m), t);
        int nf = MapOps.count(fix), np = s.length;
        if (nf == 0) return MetricResult.undefined("the human saliency map has no fixation above the threshold");
        if (nf == np) return MetricResult.undefined("every pixel is a fixation; AUC needs non-fixated pixels");
        float[] sth = new float[nf];
        int k = 0;
        for (int i = 0; i < np; i++) if (fix[i]) sth[k++] = s[i];
        Arrays.sort(sth); // ascending; walk it from the top
        float[] sorted = s.clone();
        Arrays.sort(sorted);
        double[] tp = new double[nf + 2], fp = new double[nf + 2];
        tp[nf + 1] = 1;
        fp[nf + 1] = 1;
        for (int i = 1; i <= nf; i++) {
          float thresh = sth[nf - i];
          int above = np - lowerBound(sorted, thresh); // pixels with value >= thresh
          tp[i] = (double) i / nf;
          fp[i] = (double) (above - i) / (np - nf);
        }
        return MetricResult.of(MapOps.trapezoid(fp, tp));
      };
    }
  }

  /** First index with {@code a[i] >= key} in ascending {@code a}. */
  static int lowerBound(float[] a, float key) {
    int lo = 0, hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < key) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /** SIM: both maps scaled to sum 1, then the sum of the element-wise minimum (histogram intersection). */
  public static final class Sim extends AbstractMetricProvider {
    public Sim() {
      super("sim", "similarity (histogram intersection) of the map and the human saliency map, both summing to 1",
          unit(true), EnumSet.of(MetricContext.Need.SALIENCY), List.of());
    }

    @Override public Metric create(Options o) {
      return ctx -> {
        Heatmap m = ctx.heatmap();
        double[] a = toDistribution(m.values()), b = toDistribution(human(ctx, m));
        if (a == null || b == null) return new MetricResult(0, Map.of(), "a map sums to zero: no overlap");
        double s = 0;
        for (int i = 0; i < a.length; i++) s += Math.min(a[i], b[i]);
        return MetricResult.of(s);
      };
    }
  }

  /** Min-max normalised then divided by the sum (the MIT code's order); null when that sum is zero. */
  static double[] toDistribution(float[] v) {
    double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
    for (float f : v) { min = Math.min(min, f); max = Math.max(max, f); }
    if (!(max > min)) return null;
    double[] d = new double[v.length];
    double sum = 0;
    for (int i = 0; i < v.length; i++) { d[i] = (v[i] - min) / (max - min); sum += d[i]; }
    for (int i = 0; i < v.length; i++) d[i] /= sum;
    return d;
  }

  /** CC: Pearson correlation of the map and the human saliency map. */
  public static final class Cc extends AbstractMetricProvider {
    public Cc() {
      super("cc", "Pearson correlation of the map and the human saliency map", new Range(-1, 1, true),
          EnumSet.of(MetricContext.Need.SALIENCY), List.of());
    }

    @Override public Metric create(Options o) {
      return ctx -> {
        Heatmap m = ctx.heatmap();
        float[] a = m.values(), b = human(ctx, m);
        String note = MapOps.constant(a) || MapOps.constant(b) ? "a map is constant: correlation set to 0" : "";
        return new MetricResult(MapOps.pearson(MapOps.toDouble(a), MapOps.toDouble(b)), Map.of(), note);
      };
    }
  }

  /** NSS: the map standardised (zero mean, unit sample standard deviation), averaged over the fixations. */
  public static final class Nss extends AbstractMetricProvider {
    public Nss() {
      super("nss", "normalised scanpath saliency: mean of the standardised map at human fixations",
          new Range(Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, true), EnumSet.of(MetricContext.Need.SALIENCY),
          List.of(fixationOption()));
    }

    @Override public Metric create(Options o) {
      double t = o.getDouble("fixation-threshold");
      return ctx -> {
        Heatmap m = ctx.heatmap();
        float[] s = m.values();
        boolean[] fix = fixations(human(ctx, m), t);
        int nf = MapOps.count(fix);
        if (nf == 0) return MetricResult.undefined("the human saliency map has no fixation above the threshold");
        double mean = 0;
        for (float f : s) mean += f;
        mean /= s.length;
        double var = 0;
        for (float f : s) var += (f - mean) * (f - mean);
        double sd = Math.sqrt(var / (s.length - 1));
        if (!(sd > 0)) return new MetricResult(0, Map.of(), "the map is constant: NSS set to 0");
        double acc = 0;
        for (int i = 0; i < s.length; i++) if (fix[i]) acc += (s[i] - mean) / sd;
        return MetricResult.of(acc / nf);
      };
    }
  }
}
