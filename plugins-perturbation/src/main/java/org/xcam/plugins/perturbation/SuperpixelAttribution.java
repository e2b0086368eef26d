package org.xcam.plugins.perturbation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.LayerInfo;
import org.xcam.api.Model;
import org.xcam.api.Objective;
import org.xcam.api.Passes;
import org.xcam.api.Tensor;

/**
 * LIME and KernelSHAP over superpixels, as Captum computes them for images with a feature mask
 * ({@code captum.attr.Lime}, {@code captum.attr.KernelShap}, {@code return_input_shape=True}).
 *
 * <pre>
 *   labels = superpixels(x)                         M features (grid or BoofCV SLIC, see {@link Superpixels})
 *   x_z    = x where z[label] = 1, baseline elsewhere
 *   v(z)   = objective(model(x_z))
 *   lime:        z ~ Bernoulli(1/2)^M, samples of them; weight exp(-d^2 / kernel-width^2), d = 1 - cos(x, x_z)
 *                (Captum's default similarity, in input space); coefficients of a weighted Lasso with intercept,
 *                alpha 0.01 (Captum's default SkLearnLasso; alpha = 0 is weighted least squares)
 *   kernel-shap: M &lt;= exact-max-features: exact Shapley values of v over all 2^M coalitions;
 *                else KernelSHAP: coalitions sampled from the Shapley kernel (paired), least squares with
 *                sum(phi) = v(1) - v(0)
 *   map(p) = attribution of p's feature             signed (Captum's), positive (ReLU, default) or absolute
 * </pre>
 *
 * <p>Baselines: {@code zero} (0 in the model's normalised input space, Captum's default), {@code mean} (the image's
 * per-channel mean) or {@code blur} (Gaussian blur of the image, sigma {@code blur-sigma}). The coalitions depend only
 * on the seed and M, so the same seed gives the same map for any batch size, and a batch gives the maps of single
 * calls. Perturbed images are built per batch on a helper thread ({@link Pipeline}). Cost per image: 1 forward (the
 * targets) + {@code ceil(S / batch-size)} forwards, S = samples (lime, sampled kernel-shap; +2 for v(1), v(0)) or
 * {@code 2^M} (exact).
 */
final class SuperpixelAttribution implements Explainer {
  enum Kind { LIME, KERNEL_SHAP }

  private final Kind kind;
  private final String name;
  private final String superpixels;
  private final int segments;
  private final int samples;
  private final int exactMax;
  private final double alpha;
  private final double kernelWidth;
  private final String baseline;
  private final double blurSigma;
  private final String mapMode;
  private final int batch;
  private final long maxPasses;

  SuperpixelAttribution(Kind kind, String name, String superpixels, int segments, int samples, int exactMax, double alpha,
                        double kernelWidth, String baseline, double blurSigma, String mapMode, int batch, long maxPasses) {
    this.kind = kind;
    this.name = name;
    this.superpixels = superpixels;
    this.segments = segments;
    this.samples = samples;
    this.exactMax = exactMax;
    this.alpha = alpha;
    this.kernelWidth = kernelWidth;
    this.baseline = baseline;
    this.blurSigma = blurSigma;
    this.mapMode = mapMode;
    this.batch = batch;
    this.maxPasses = maxPasses;
  }

  @Override public String name() { return name; }

  /**
   * One forward plus the perturbed images of the costliest image of the request (the superpixels are computed here:
   * cheap, no network pass; exact KernelSHAP costs 2^M).
   */
  @Override public org.xcam.api.Plan plan(Model model, ExplainRequest request) {
    Tensor x = request.input();
    int n = x.dim(0), c = x.dim(1), hh = x.dim(2), ww = x.dim(3);
    float[] xs = x.toArray();
    long most = 0;
    int features = 0;
    for (int i = 0; i < n; i++) {
      int m = Superpixels.count(Superpixels.segment(xs, i * c * hh * ww, c, hh, ww, superpixels, segments));
      long r = rowsFor(m, kind == Kind.KERNEL_SHAP && m <= exactMax);
      if (r > most) { most = r; features = m; }
    }
    return org.xcam.api.Plan.of(most + 1, most + " perturbed images of " + features + " superpixels + 1 forward");
  }

  @Override public List<Explanation> explain(Model model, ExplainRequest request) {
    Tensor x = request.input();
    int n = x.dim(0), c = x.dim(1), hh = x.dim(2), ww = x.dim(3), hw = hh * ww, chw = c * hw;
    float[] xs = x.toArray();
    // segmentation is cheap and needs no pass: do it first, so the budget message knows the whole run
    int[][] labels = new int[n][];
    int[] m = new int[n];
    boolean[] exact = new boolean[n];
    long rows = 0, planned = Work.batches(n, batch);
    for (int i = 0; i < n; i++) {
      labels[i] = Superpixels.segment(xs, i * chw, c, hh, ww, superpixels, segments);
      m[i] = Superpixels.count(labels[i]);
      exact[i] = kind == Kind.KERNEL_SHAP && m[i] <= exactMax;
      long s = rowsFor(m[i], exact[i]);
      rows += s;
      planned += Work.batches(s, batch);
    }
    Work work = new Work(name, request, maxPasses, rows, "perturbed images").plan(planned);
    Tensor outputs = Common.forward(model, x, batch, work);
    List<List<Objective>> objectives = Common.objectives(model, request, outputs);
    float[] base = Occlusion.baselines(baseline, xs, n, c, hh, ww, blurSigma);

    List<Explanation> result = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int mi = m[i];
      int[] lab = labels[i];
      boolean[][] z = coalitions(mi, exact[i], request.seed());
      List<Objective> objs = objectives.get(i);
      double[][] v = new double[objs.size()][z.length];
      double[] sim = new double[z.length];
      int img = i;
      Pipeline.run(z.length, batch, (start, count) -> {
        float[] in = new float[count * chw];
        for (int j = 0; j < count; j++) {
          boolean[] keep = z[start + j];
          int dst = j * chw, src = img * chw;
          for (int cc = 0; cc < c; cc++) {
            int co = cc * hw;
            for (int p = 0; p < hw; p++) in[dst + co + p] = keep[lab[p]] ? xs[src + co + p] : base[src + co + p];
          }
          if (kind == Kind.LIME) sim[start + j] = similarity(xs, src, in, dst, chw);
        }
        return Tensor.wrap(in, count, c, hh, ww);
      }, model::forward, (start, count, out) -> {
        for (int j = 0; j < count; j++) {
          float[] row = Common.row(out, j);
          for (int o = 0; o < objs.size(); o++) v[o][start + j] = objs.get(o).value(row);
        }
      }, work);

      float[] row = Common.row(outputs, i);
      for (int o = 0; o < objs.size(); o++) {
        double[] phi = fit(z, v[o], sim, mi, exact[i]);
        float[] raw = new float[hw];
        for (int p = 0; p < hw; p++) raw[p] = (float) phi[lab[p]];
        applyMap(raw, mapMode);
        Objective obj = objs.get(o);
        Heatmap h = Heatmap.of(raw, hh, ww, name, LayerInfo.INPUT, obj.describe(), Heatmap.Resolution.LAYER);
        Map<String, Object> extras = new java.util.LinkedHashMap<>();
        extras.put("features", mi);
        extras.put("superpixels", superpixels);
        extras.put("evaluations", z.length);
        extras.put("exact", exact[i]);
        extras.put("baseline", baseline);
        extras.put("map", mapMode);
        extras.put("seed", request.seed());
        double[] attributions = phi.clone();
        extras.put("attributions", attributions);
        result.add(Explanation.of(i, h, hh, ww, obj, obj.value(row), Passes.NONE, extras));
      }
    }
    return result;
  }

  private long rowsFor(int m, boolean exactShapley) {
    if (exactShapley) return 1L << m;
    return kind == Kind.LIME ? samples : 2L * Math.max(1, samples / 2) + 2;
  }

  /** The coalitions to evaluate; for sampled KernelSHAP the last two rows are the full and the empty coalition. */
  private boolean[][] coalitions(int m, boolean exactShapley, long seed) {
    if (exactShapley) return Surrogate.all(m);
    if (kind == Kind.LIME) return Surrogate.bernoulli(samples, m, seed);
    boolean[][] s = Surrogate.shapleyKernel(samples, m, seed);
    boolean[][] z = java.util.Arrays.copyOf(s, s.length + 2);
    z[s.length] = new boolean[m];
    java.util.Arrays.fill(z[s.length], true);
    z[s.length + 1] = new boolean[m];
    return z;
  }

  private double[] fit(boolean[][] z, double[] v, double[] sim, int m, boolean exactShapley) {
    if (exactShapley) return Surrogate.exactShapley(v, m);
    if (kind == Kind.KERNEL_SHAP) {
      int s = z.length - 2;
      return Surrogate.kernelShap(java.util.Arrays.copyOf(z, s), java.util.Arrays.copyOf(v, s), v[s], v[s + 1]);
    }
    return Surrogate.lasso(z, v, sim, alpha);
  }

  /** Captum's default LIME kernel: {@code exp(-d^2 / width^2)}, {@code d = 1 - x.y / max(|x||y|, 1e-8)}. */
  private double similarity(float[] xs, int src, float[] in, int dst, int len) {
    double dot = 0, a = 0, b = 0;
    for (int q = 0; q < len; q++) {
      double u = xs[src + q], w = in[dst + q];
      dot += u * w;
      a += u * u;
      b += w * w;
    }
    double d = 1 - dot / Math.max(Math.sqrt(a) * Math.sqrt(b), 1e-8);
    return Math.exp(-d * d / (kernelWidth * kernelWidth));
  }

  /** {@code signed} keeps the attribution; {@code positive} is its ReLU; {@code absolute} its magnitude. */
  static void applyMap(float[] raw, String mode) {
    switch (mode) {
      case "signed" -> { }
      case "absolute" -> { for (int p = 0; p < raw.length; p++) raw[p] = Math.abs(raw[p]); }
      default -> { for (int p = 0; p < raw.length; p++) raw[p] = Math.max(0, raw[p]); }
    }
  }
}
