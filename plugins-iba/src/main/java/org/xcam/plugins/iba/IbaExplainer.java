package org.xcam.plugins.iba;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xcam.api.CancelledException;
import org.xcam.api.Explainer;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerLayout;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.Objective;
import org.xcam.api.Passes;
import org.xcam.api.Target;
import org.xcam.api.Task;
import org.xcam.api.Tensor;

/**
 * IBA, Inverse IBA and Regression IBA: one per-sample {@link Bottleneck} per image and objective at one layer.
 *
 * <h2>Passes</h2>
 * One head over the whole batch, then per chunk of images ({@code images-per-call}) exactly {@code steps} batched
 * tail+VJP calls ({@code images x samples} rows each). The unmodified activations ride along as extra rows of the
 * first call, so the target ("predicted") and the score come without another pass. Only {@code Target.all} (several
 * objectives per image, unknown before the output is seen) costs one more batched tail. With the defaults and one
 * chunk: 1 head + 10 tail + 10 vjp.
 *
 * <h2>Output</h2>
 * The raw map is the capacity summed over channels in bits per pixel at the layer's resolution; the extras hold
 * {@code totalBits} (its sum), {@code modelLoss} (the model term at the last step), {@code beta}, {@code steps},
 * {@code statsCount}. Several layers in the request: one bottleneck per layer; the raw map is the mean of the per-layer
 * bits maps resized to the first layer's resolution and {@code totalBits} their sum.
 */
public final class IbaExplainer implements Explainer {
  private final String name;
  private final Bottleneck.Config cfg;
  private final StatsSource stats;
  private final boolean regressionLoss;
  private final ModelLoss.RegressionLoss regression;
  private final double targetValue;
  private final int imagesPerCall;

  /**
   * @param name           the method name (iba, inverse-iba, regression-iba)
   * @param regressionLoss true to use {@code regression} as the model loss whatever the task (Regression IBA); the
   *                       plain variants use it only for regression models
   * @param targetValue    y of the MSE loss (NaN when not given)
   * @param imagesPerCall  images whose noise samples share one tail+VJP call
   */
  public IbaExplainer(String name, Bottleneck.Config cfg, StatsSource stats, boolean regressionLoss,
                      ModelLoss.RegressionLoss regression, double targetValue, int imagesPerCall) {
    if (cfg.steps() < 1 || cfg.samples() < 1) throw new InvalidInputException(name + ": steps and samples must be >= 1");
    if (imagesPerCall < 1) throw new InvalidInputException(name + ": images-per-call must be >= 1");
    if (regression == ModelLoss.RegressionLoss.MSE && Double.isNaN(targetValue)) {
      throw new InvalidInputException(name + ": loss=mse needs the target value; pass target-value=Y (or use loss=dv)");
    }
    this.name = name;
    this.cfg = cfg;
    this.stats = stats;
    this.regressionLoss = regressionLoss;
    this.regression = regression;
    this.targetValue = targetValue;
    this.imagesPerCall = imagesPerCall;
  }

  /** Plain IBA with the paper's defaults and the given statistics. */
  public static IbaExplainer iba(StatsSource stats) {
    return new IbaExplainer("iba", Bottleneck.Config.iba(), stats, false, ModelLoss.RegressionLoss.DV, Double.NaN, 8);
  }

  /** Inverse IBA (beta 30) with the given statistics. */
  public static IbaExplainer inverse(StatsSource stats) {
    return new IbaExplainer("inverse-iba", Bottleneck.Config.inverseIba(), stats, false, ModelLoss.RegressionLoss.DV, Double.NaN, 8);
  }

  @Override public String name() { return name; }

  public Bottleneck.Config config() { return cfg; }

  /**
   * Before any pass: the statistics of every layer exist and have the layer's shape (else the one-line error that
   * names {@code xcam estimate}). Cost per image and layer: 1 head + steps x (tail + VJP).
   */
  @Override public org.xcam.api.Plan plan(Model model, ExplainRequest request) {
    List<String> layers = request.layers().isEmpty() ? List.of(model.info().defaultLayer()) : request.layers();
    for (String layer : layers) checkStats(model, layer);
    return org.xcam.api.Plan.of(layers.size() * (1 + 2L * cfg.steps()),
        layers.size() + " layer(s) x (1 head + " + cfg.steps() + " x (tail + VJP))");
  }

  /** The layer's statistics exist and fit its activation shape. */
  void checkStats(Model model, String layer) {
    ActivationStats st = stats.stats(model.info(), layer);
    int[] shape = model.info().layer(layer).shape();
    if (shape.length == 3) st.checkShape(shape, model.info().name());
  }

  @Override public List<Explanation> explain(Model model, ExplainRequest request) {
    ModelInfo info = model.info();
    List<String> layers = request.layers().isEmpty() ? List.of(info.defaultLayer()) : request.layers();
    List<List<Explanation>> perLayer = new ArrayList<>();
    for (String layer : layers) perLayer.add(explainAt(model, request, layer));
    if (perLayer.size() == 1) return perLayer.get(0);
    List<Explanation> out = new ArrayList<>();
    for (int q = 0; q < perLayer.get(0).size(); q++) {
      Explanation first = perLayer.get(0).get(q);
      int h = first.raw().height(), w = first.raw().width();
      float[] acc = new float[h * w];
      double bits = 0;
      for (List<Explanation> l : perLayer) {
        Explanation e = l.get(q);
        float[] r = Heatmap.resizeBilinear(e.raw().values(), e.raw().height(), e.raw().width(), h, w);
        for (int p = 0; p < acc.length; p++) acc[p] += r[p] / perLayer.size();
        bits += ((Number) e.extras().get("totalBits")).doubleValue();
      }
      Map<String, Object> extras = new LinkedHashMap<>(first.extras());
      extras.put("totalBits", bits);
      extras.put("layers", String.join(",", layers));
      Heatmap raw = Heatmap.of(acc, h, w, name, String.join("+", layers), first.objective(), Heatmap.Resolution.LAYER);
      out.add(new Explanation(first.index(), raw, raw.toInput(request.input().dim(2), request.input().dim(3)),
          first.classIndex(), first.label(), first.score(), first.objective(), first.passes(), extras, first.notes()));
    }
    return out;
  }

  /** Per-job bookkeeping. */
  private static final class Work {
    final int image;
    final Bottleneck.Job job;
    Objective objective;
    float[] cleanRow;

    Work(int image, Bottleneck.Job job) {
      this.image = image;
      this.job = job;
    }
  }

  /** Runs the bottlenecks at one layer; returns the explanations in image order. */
  public List<Explanation> explainAt(Model model, ExplainRequest request, String layer) {
    ModelInfo info = model.info();
    int n = request.size();
    LayerHook hook = model.layer(layer);
    ActivationStats st = stats.stats(info, layer);
    float[] mu = st.meanPerElement();
    float[] sd = st.stdPerElement(cfg.minStd());
    int chunks = (n + imagesPerCall - 1) / imagesPerCall;
    boolean multi = false;
    for (int i = 0; i < n; i++) multi |= request.target(i) instanceof Target.AboveThreshold;
    long needed = 1 + (multi ? 1 : 0) + 2L * cfg.steps() * chunks;
    if (request.maxPasses() > 0 && needed > request.maxPasses()) {
      throw new CancelledException(name + " needs " + needed + " passes for " + n + " images at layer '" + layer
          + "' but the budget is " + request.maxPasses() + "; raise --max-passes or lower steps");
    }
    request.checkCancelled();
    // token / channels-last layers: the bottleneck acts on the spatial view (the grid tokens); prefix tokens pass as they are
    LayerLayout layout = info.layer(layer).layout();
    layout.requireSpatial(name, layer);
    Tensor rawAct = hook.activation(request.input());
    Tensor act = layout.toView(rawAct);
    int[] shape = {act.dim(1), act.dim(2), act.dim(3)};
    st.checkShape(shape, info.name());
    int c = shape[0], h = shape[1], w = shape[2], chw = c * h * w;
    float[] all = act.toArray();
    float[][] f = new float[n][chw];
    for (int i = 0; i < n; i++) System.arraycopy(all, i * chw, f[i], 0, chw);
    int rs = layout.rawSize();
    float[] rawAll = layout.identity() ? all : rawAct.toArray();
    float[][] rawRows = new float[n][];
    for (int i = 0; i < n; i++) rawRows[i] = layout.identity() ? f[i] : java.util.Arrays.copyOfRange(rawAll, i * rs, (i + 1) * rs);

    // Jobs: with Target.all the objectives are resolved from one extra batched tail; otherwise one job per image
    // and the objective is resolved inside the first step from the clean rows.
    List<Work> works = new ArrayList<>();
    float[][] cleanOut = null;
    if (multi) {
      Tensor y = hook.tail(rawAct);
      int k = y.dim(1);
      float[] yy = y.toArray();
      cleanOut = new float[n][k];
      for (int i = 0; i < n; i++) System.arraycopy(yy, i * k, cleanOut[i], 0, k);
    }
    for (int i = 0; i < n; i++) {
      if (multi) {
        List<Objective> objs = resolve(info, request.target(i), cleanOut[i]);
        for (int q = 0; q < objs.size(); q++) {
          Work wk = new Work(i, new Bottleneck.Job(f[i], mu, sd, c, h, w, null, jobSeed(request.seed(), q), cfg.alphaInit()).raw(rawRows[i]));
          wk.objective = objs.get(q);
          wk.cleanRow = cleanOut[i];
          wk.job.setLoss(loss(info, wk.objective, wk.cleanRow));
          works.add(wk);
        }
      } else {
        works.add(new Work(i, new Bottleneck.Job(f[i], mu, sd, c, h, w, null, jobSeed(request.seed(), 0), cfg.alphaInit()).raw(rawRows[i])));
      }
    }

    Bottleneck b = new Bottleneck(cfg).layout(layout);
    long totalSteps = (long) chunks * cfg.steps();
    long[] done = {0};
    for (int start = 0; start < n; start += imagesPerCall) {
      int end = Math.min(n, start + imagesPerCall);
      List<Work> chunk = new ArrayList<>();
      for (Work wk : works) if (wk.image >= start && wk.image < end) chunk.add(wk);
      List<Bottleneck.Job> jobs = chunk.stream().map(x -> x.job).toList();
      float[][] clean = null;
      if (!multi) {
        clean = new float[end - start][];
        for (int i = start; i < end; i++) clean[i - start] = rawRows[i];   // clean rows only run forward: the raw layout
      }
      final int s0 = start;
      b.optimise(hook, jobs, clean, outs -> {
        for (Work wk : chunk) {
          float[] row = outs[wk.image - s0];
          List<Objective> objs = resolve(info, request.target(wk.image), row);
          wk.objective = objs.get(0);
          wk.cleanRow = row;
          wk.job.setLoss(loss(info, wk.objective, row));
        }
      }, () -> {
        done[0]++;
        request.progress().progress(done[0], totalSteps, name + " steps");
        request.checkCancelled();
      });
    }

    List<Explanation> out = new ArrayList<>();
    int inH = request.input().dim(2), inW = request.input().dim(3);
    for (Work wk : works) {
      float[] bits = b.bitsMap(wk.job);
      double total = 0;
      for (float v : bits) total += v;
      Heatmap raw = Heatmap.of(bits, h, w, name, layer, wk.objective.describe(), Heatmap.Resolution.LAYER);
      Map<String, Object> extras = new LinkedHashMap<>();
      extras.put("totalBits", total);
      extras.put("modelLoss", wk.job.lastModelLoss());
      extras.put("beta", cfg.beta());
      extras.put("steps", cfg.steps());
      extras.put("samples", cfg.samples());
      extras.put("statsCount", st.count());
      Explanation e = Explanation.of(wk.image, raw, inH, inW, wk.objective, wk.objective.value(wk.cleanRow), Passes.NONE, extras);
      if (st.count() < ActivationStats.MIN_RELIABLE_COUNT) {
        e = e.withNote("activation statistics for layer '" + layer + "' come from only " + st.count()
            + " images (fewer than " + ActivationStats.MIN_RELIABLE_COUNT + "); re-run xcam estimate with more images");
      }
      out.add(e);
    }
    return out;
  }

  private static List<Objective> resolve(ModelInfo info, Target t, float[] row) {
    List<Objective> objs = t.resolve(info, row);
    if (objs.isEmpty()) throw new InvalidInputException("target " + t.spec() + " resolved to no objective");
    return objs;
  }

  private ModelLoss loss(ModelInfo info, Objective o, float[] cleanRow) {
    if ((regressionLoss || info.task() == Task.REGRESSION) && o.classIndex() >= 0) {
      return ModelLoss.regression(o.classIndex(), regression, targetValue, cleanRow[o.classIndex()]);
    }
    return ModelLoss.forObjective(info.task(), info.outputsProbabilities(), o, regression, targetValue, cleanRow);
  }

  /** The noise seed of the q-th objective of an image: independent of the image's position in the batch. */
  static long jobSeed(long seed, int q) { return Bottleneck.mix(seed, 1_000_003L * (q + 1)); }
}
