package org.xcam.plugins.gradient;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.xcam.api.CancelledException;
import org.xcam.api.Capability;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerInfo;
import org.xcam.api.LayerLayout;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.Objective;
import org.xcam.api.Objectives;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.Passes;
import org.xcam.api.SecondOrder;
import org.xcam.api.Target;
import org.xcam.api.TailGradient;
import org.xcam.api.Tensor;

/**
 * The one core every method of the gradient family runs on. Per layer it costs one head, one fused tail+VJP per
 * chunk of rows, and nothing else:
 *
 * <ol>
 *   <li><b>Input rows.</b> Each image becomes {@code R_in} input rows: itself, or with {@code aug-smooth} the six
 *       pytorch-grad-cam augmentations (horizontal flip x intensity {0.9, 1, 1.1}), or with input noise (SmoothGrad,
 *       Smooth Grad-CAM++) the clean image followed by {@code n} noisy copies. One head call on all of them.</li>
 *   <li><b>Activation rows.</b> A method may expand each activation into {@code R_act} rows (row 0 is always the
 *       activation itself): Hessian-CIAM and ShapleyCAM add {@code A + r v} for a finite-difference Hessian-vector
 *       product; integrated gradients adds its path.</li>
 *   <li><b>Targets.</b> Resolved per image from the output of its anchor row (the unmodified image). When every
 *       target resolves to exactly one objective (class index, predicted, none, regression) this happens inside the
 *       fused call's seed function, so there is no extra pass; a multilabel {@code all} target first runs the tail on
 *       the anchors (one tail) and then batches one copy of the rows per positive label.</li>
 *   <li><b>One fused call</b> {@link LayerHook#tailWithGradient} on every row of every image and objective (split only
 *       when the rows exceed {@code batch-size}).</li>
 *   <li><b>Per-method math</b> ({@link #map}) in Java on each image's rows, then the replica reduction (mean over
 *       noisy copies; for aug-smooth each map is un-flipped, min-max scaled and averaged).</li>
 * </ol>
 *
 * <p>Several layers: each layer runs as above (objectives resolved at the first layer are reused, so every layer
 * explains the same thing) and the per-layer maps are min-max normalised, resized to the input and averaged (or, with
 * {@code fusion=max}, their maximum taken), as pytorch-grad-cam does; the raw map is then that fused map at input
 * resolution.
 *
 * <p>Stateless and thread-safe: everything lives on the stack of {@link #explain}.
 */
public abstract class GradientCam implements Explainer {
  /** Intensity factors of aug-smooth (pytorch-grad-cam's {@code tta.Multiply}), each with and without a flip. */
  private static final double[] AUG_FACTORS = {1.0, 0.9, 1.1};

  /** Options every layer-based method of the family has. */
  static List<OptionSpec> commonOptions() {
    return List.of(
        new OptionSpec("aug-smooth", "false", "average over horizontal flip x intensity 0.9/1/1.1 (6 rows per image, one batch)"),
        new OptionSpec("eigen-smooth", "false", "map = first principal component of the weighted activations instead of their sum"),
        new OptionSpec("fusion", "mean", "several layers: mean or max of the per-layer normalised maps"),
        new OptionSpec("batch-size", "64", "rows per fused tail+VJP call (0 = all rows in one call)"));
  }

  /** The shared options, parsed. */
  record Common(boolean augSmooth, boolean eigenSmooth, boolean maxFusion, int batchSize) {
    static final Common DEFAULT = new Common(false, false, false, 64);

    static Common of(Options o) {
      boolean aug = o.has("aug-smooth") && o.getBoolean("aug-smooth");
      boolean eig = o.has("eigen-smooth") && o.getBoolean("eigen-smooth");
      boolean max = o.has("fusion") && o.getChoice("fusion", "mean", "max").equals("max");
      int b = o.has("batch-size") ? o.getInt("batch-size") : 64;
      if (b < 0) throw new InvalidInputException("option batch-size must be >= 0 (0 = one call), got " + b);
      return new Common(aug, eig, max, b);
    }
  }

  /**
   * One image's rows for one objective and one input replica: the activation rows ({@code a[q]}, q = 0 the
   * activation itself), their gradients, and the objective's value on each row's output. Arrays are {@code [K*h*w]},
   * channel-major. {@code extras} collects numbers for the manifest.
   */
  record Rows(float[][] a, float[][] g, double[] values, int k, int h, int w, Map<String, Object> extras, float[][] hv) {
    Rows(float[][] a, float[][] g, double[] values, int k, int h, int w, Map<String, Object> extras) {
      this(a, g, values, k, h, w, extras, null);
    }

    int hw() { return h * w; }
  }

  protected final String name;
  final Common common;

  protected GradientCam(String name, Common common) {
    this.name = name;
    this.common = common;
  }

  @Override public String name() { return name; }

  // ---- what a method says about itself (overridden by the methods) ----

  /** True when the method ignores the request's target (its objective is {@link #independentObjective}). */
  protected boolean categoryIndependent() { return false; }

  /** The objective of a category-independent method. */
  protected Objective independentObjective(ModelInfo info) { return Objectives.categoryIndependent(info); }

  /** False for methods that need activations only (EigenCAM): then the cost is one head and one tail (the score). */
  protected boolean needsGradient() { return true; }

  /** True for the input-gradient family: the default layer is {@code input}. */
  protected boolean inputLevel() { return false; }

  /** Activation rows per input row; row 0 is the activation itself. */
  protected int activationReplicas() { return 1; }

  /** Fills {@code out[1..]} (each {@code [K*h*w]}) from the activation {@code a} ({@code out[0]} is a copy of it). */
  protected void expand(float[] a, int k, int h, int w, float[][] out) { }

  /**
   * True for methods that need the exact Hessian-vector product along the activation itself ({@code H A}): the fused
   * call is then {@link LayerHook#tailWithHessianVector} (counted as one tail and two VJPs) and {@link Rows#hv()}
   * holds the product, the objective's own curvature included.
   */
  protected boolean secondOrder() { return false; }

  /** Noisy input copies per image (0 = none), with noise {@code N(0, (sigma * range)^2)}, range = max - min of the image. */
  protected int noiseSamples() { return 0; }

  protected double noiseSigma() { return 0; }

  /**
   * The objective actually explained for a resolved target (default: itself). Finer-CAM replaces a class's logit by
   * its contrast with the most similar classes, chosen from {@code output}, the image's unmodified output row.
   */
  protected Objective refine(Objective resolved, float[] output, ModelInfo info) { return resolved; }

  /** The method's raw map ({@code h*w}, after its ReLU) from one image's rows. */
  protected abstract double[] map(Rows rows);

  // ---- the core ----

  @Override public List<Explanation> explain(Model model, ExplainRequest req) {
    ModelInfo info = model.info();
    List<String> layers = req.layers().isEmpty()
        ? List.of(inputLevel() || info.defaultLayer() == null ? LayerInfo.INPUT : info.defaultLayer()) : req.layers();
    if (common.augSmooth && noiseSamples() > 0) {
      throw new InvalidInputException("'" + name + "' already averages over noisy inputs; it cannot also take aug-smooth=true");
    }
    EnumSet<Capability> needs = EnumSet.noneOf(Capability.class);
    for (String l : layers) {
      info.layer(l).layout().requireSpatial(name, l); // an unknown layer fails here, listing the model's layers
      if (LayerInfo.INPUT.equals(l)) {
        if (needsGradient()) needs.add(Capability.INPUT_GRADIENT);
      } else {
        needs.add(Capability.LAYER_CUT);
        if (needsGradient()) needs.add(Capability.VJP);
      }
    }
    if (secondOrder()) needs.add(Capability.HESSIAN_VECTOR_PRODUCT);
    model.require(needs, name);

    long[] calls = new long[3]; // heads, tails, vjps
    List<LayerResult> results = new ArrayList<>();
    List<List<Objective>> objectives = null;
    for (String l : layers) {
      req.checkCancelled();
      LayerResult r = runLayer(model.layer(l), info, req, objectives, calls);
      objectives = r.objectives;
      results.add(r);
    }
    return assemble(req, layers, results, new Passes(0, calls[0], calls[1], calls[2]));
  }

  /**
   * The network evaluations {@link #explain} will run per image, known before any pass (the method's preconditions are
   * checked here too): per layer, one head row per input replica (aug-smooth's 6, or the clean image and its noisy
   * copies), then one tail and one backward (two with the exact Hessian-vector product) per activation row: input
   * replicas x activation replicas (integrated gradients' path, Hessian-CIAM's shifted copy) x objectives (a
   * multilabel {@code all:P} target counts every output, an upper bound), plus one tail row per image when the
   * targets are resolved from a separate tail first (rows above {@code batch-size}, or {@code all:P}). A head or
   * tail over N rows counts N, whatever the batching; {@code batch-size} changes the calls, not this count.
   */
  @Override public org.xcam.api.Plan plan(Model model, ExplainRequest req) {
    ModelInfo info = model.info();
    List<String> layers = req.layers().isEmpty()
        ? List.of(inputLevel() || info.defaultLayer() == null ? LayerInfo.INPUT : info.defaultLayer()) : req.layers();
    if (common.augSmooth && noiseSamples() > 0) {
      throw new InvalidInputException("'" + name + "' already averages over noisy inputs; it cannot also take aug-smooth=true");
    }
    for (String l : layers) info.layer(l); // an unknown layer fails here, listing the model's layers
    long rin = inputReplicas(), rq = activationReplicas(), n = Math.max(1, req.size());
    boolean multi = false;
    for (Target t : req.targets()) multi |= t instanceof Target.AboveThreshold;
    long slots = multi && !categoryIndependent() ? Math.max(1, info.numOutputs()) : 1;
    long perRow = secondOrder() ? 3 : 2;
    long batch = common.batchSize == 0 ? Long.MAX_VALUE : common.batchSize;
    long heads = 0, tails = 0, backwards = 0;
    for (int li = 0; li < layers.size(); li++) {
      heads += rin;
      if (!needsGradient()) {
        tails += 1;
        continue;
      }
      boolean resolvedBefore = li > 0 || categoryIndependent();
      if (!resolvedBefore && (multi || n * rin * rq > batch)) tails += 1; // the anchors' tail resolves the targets
      long rows = slots * rin * rq;
      tails += rows;
      backwards += rows * (perRow - 1);
    }
    long total = heads + tails + backwards;
    StringBuilder d = new StringBuilder();
    d.append(heads).append(heads == 1 ? " head row" : " head rows").append(" + ").append(tails).append(" tail rows");
    if (backwards > 0) d.append(" + ").append(backwards).append(secondOrder() ? " backward rows (gradient and Hessian-vector product)" : " backward rows");
    if (rin > 1) d.append(common.augSmooth ? "; aug-smooth: 6 input rows" : "; " + (rin - 1) + " noisy copies + the clean image");
    if (rq > 1) d.append("; ").append(rq).append(" activation rows each");
    if (slots > 1) d.append("; at most: one set per output above the threshold (").append(slots).append(" outputs)");
    return org.xcam.api.Plan.of(total, d.toString());
  }

  /** What one layer gave: per image, its objectives, scores, raw maps and extras. */
  private record LayerResult(String layer, int h, int w, List<List<Objective>> objectives, double[][] scores,
                             double[][][] maps, List<List<Map<String, Object>>> extras, boolean inputResolution) { }

  private int inputReplicas() {
    if (common.augSmooth) return 2 * AUG_FACTORS.length;
    int n = noiseSamples();
    return n > 0 ? n + 1 : 1;
  }

  private LayerResult runLayer(LayerHook hook, ModelInfo info, ExplainRequest req, List<List<Objective>> given,
                               long[] calls) {
    Tensor x = req.input();
    int n = req.size();
    int rin = inputReplicas();
    budget(req, calls, 1);
    Tensor act = hook.activation(rin == 1 ? x : expandInputs(x, req.seed(), rin));
    calls[0]++;
    int[] shape = act.shape();
    // token and channels-last layers: the engine's rows stay raw (the tail and VJP take them), the maps are computed on
    // the spatial view [D, h, w] (prefix tokens dropped, as pytorch-grad-cam's reshape_transform)
    LayerLayout layout = LayerInfo.INPUT.equals(hook.name()) ? null : info.layer(hook.name()).layout();
    boolean viewed = layout != null && !layout.identity();
    int k = viewed ? layout.channels() : shape.length > 1 ? shape[1] : 1;
    int khw = act.size() / act.dim(0);
    // [N, K, h, w]; any other rank is read as K rows of khw / K positions (h = 1)
    final int hh = viewed ? layout.height() : hFinal(shape, k, khw), ww = viewed ? layout.width() : wFinal(shape, k, khw);
    java.util.function.UnaryOperator<float[]> view = viewed ? r -> {
      float[] v = new float[layout.viewSize()];
      layout.toView(r, 0, v, 0);
      return v;
    } : r -> r;
    float[] aData = act.toArray();
    int anchorCol = 0; // the input replica that is the unmodified image

    if (!needsGradient()) {
      Tensor anchors = rin == 1 ? act : gather(aData, shape, khw, n, rin, anchorCol);
      budget(req, calls, 1);
      Tensor y = hook.tail(anchors);
      calls[1]++;
      List<List<Objective>> objs = new ArrayList<>();
      double[][] scores = new double[n][];
      double[][][] maps = new double[n][][];
      List<List<Map<String, Object>>> extras = new ArrayList<>();
      int kout = y.dim(1);
      float[] row = new float[kout];
      for (int i = 0; i < n; i++) {
        Objective o = given != null ? given.get(i).get(0) : independentObjective(info);
        objs.add(List.of(o));
        y.copyTo(i * kout, row, 0, kout);
        scores[i] = new double[] {o.value(row)};
        Map<String, Object> ex = new HashMap<>();
        final int fi = i;
        maps[i] = new double[][] {reduceReplicas(i, rin, r -> map(new Rows(new float[][] {view.apply(slice(aData, (fi * rin + r) * khw, khw))},
            null, new double[] {scores[fi][0]}, k, hh, ww, r == 0 ? ex : new HashMap<>())), hh, ww)};
        extras.add(List.of(ex));
      }
      return new LayerResult(hook.name(), hh, ww, objs, scores, maps, extras, false);
    }

    int rq = activationReplicas();
    int perImage = rin * rq;
    List<List<Objective>> objs = given;
    if (objs == null && categoryIndependent()) {
      Objective o = independentObjective(info);
      objs = new ArrayList<>();
      for (int i = 0; i < n; i++) objs.add(List.of(o));
    }
    boolean lazy = false;
    if (objs == null) {
      boolean single = true;
      for (Target t : req.targets()) if (t instanceof Target.AboveThreshold) single = false;
      int batch = common.batchSize == 0 ? Integer.MAX_VALUE : common.batchSize;
      lazy = single && (long) n * perImage <= batch;
      if (!lazy) { // resolve from the anchors' outputs first (one tail)
        budget(req, calls, 1);
        Tensor y = hook.tail(rin == 1 ? act : gather(aData, shape, khw, n, rin, anchorCol));
        calls[1]++;
        objs = resolve(req, info, y);
      }
    }
    int[] slots = new int[n];
    int[] base = new int[n + 1];
    for (int i = 0; i < n; i++) {
      slots[i] = lazy ? 1 : objs.get(i).size();
      base[i + 1] = base[i] + slots[i] * perImage;
    }
    int rows = base[n];
    int[] rowImage = new int[rows], rowSlot = new int[rows];
    for (int i = 0; i < n; i++) for (int t = base[i]; t < base[i + 1]; t++) { rowImage[t] = i; rowSlot[t] = (t - base[i]) / perImage; }

    // Expanded activation rows: image i, slot j, input replica r, activation replica q at base[i] + (j*rin + r)*rq + q.
    boolean trivial = rows == n * rin;
    float[] e = trivial ? aData : new float[rows * khw];
    if (!trivial) {
      float[][] buf = new float[rq][khw];
      for (int i = 0; i < n; i++)
        for (int r = 0; r < rin; r++) {
          System.arraycopy(aData, (i * rin + r) * khw, buf[0], 0, khw);
          if (rq > 1 && viewed) {           // replicas made on the view; the prefix tokens stay as they are
            float[][] vb = new float[rq][];
            vb[0] = view.apply(buf[0]);
            for (int q = 1; q < rq; q++) vb[q] = new float[vb[0].length];
            expand(vb[0], k, hh, ww, vb);
            for (int q = 1; q < rq; q++) {
              System.arraycopy(buf[0], 0, buf[q], 0, khw);
              layout.fromView(vb[q], 0, buf[q], 0);
            }
          } else if (rq > 1) {
            expand(buf[0], k, hh, ww, buf);
          }
          for (int j = 0; j < slots[i]; j++)
            for (int q = 0; q < rq; q++) System.arraycopy(buf[q], 0, e, (base[i] + (j * rin + r) * rq + q) * khw, khw);
        }
    }

    int batch = common.batchSize == 0 ? rows : Math.min(rows, common.batchSize);
    if (lazy) batch = rows;
    int chunks = (rows + batch - 1) / batch;
    budget(req, calls, (secondOrder() ? 3L : 2L) * chunks);
    float[] gAll = new float[rows * khw];
    float[] hvAll = secondOrder() ? new float[rows * khw] : null;
    float[][] yRows = new float[rows][];
    Objective[][] lazyObj = new Objective[n][];
    final List<List<Objective>> fixed = objs;
    final boolean resolveInside = lazy;
    for (int c = 0; c < chunks; c++) {
      req.checkCancelled();
      int start = c * batch, end = Math.min(rows, start + batch);
      int[] cs = shape.clone();
      cs[0] = end - start;
      Tensor chunk = trivial && start == 0 && end == rows ? act : Tensor.wrap(Arrays.copyOfRange(e, start * khw, end * khw), cs);
      java.util.function.Function<Tensor, Tensor> seedFn = y -> {
        int kout = y.dim(1);
        float[] yd = y.toArray();
        if (resolveInside) {
          for (int i = 0; i < n; i++) {
            int anchorRow = base[i] + anchorCol * rq - start;
            float[] anchor = Arrays.copyOfRange(yd, anchorRow * kout, (anchorRow + 1) * kout);
            List<Objective> l = req.target(i).resolve(info, anchor);
            lazyObj[i] = new Objective[] {refine(l.get(0), anchor, info)};
          }
        }
        float[] seed = new float[yd.length];
        for (int t = 0; t < end - start; t++) {
          int i = rowImage[start + t], j = rowSlot[start + t];
          Objective o = resolveInside ? lazyObj[i][j] : fixed.get(i).get(j);
          float[] row = Arrays.copyOfRange(yd, t * kout, (t + 1) * kout);
          yRows[start + t] = row;
          System.arraycopy(o.gradient(row), 0, seed, t * kout, kout);
        }
        return Tensor.wrap(seed, end - start, kout);
      };
      calls[1]++;
      calls[2]++;
      if (secondOrder()) {
        final int s0 = start;
        // v = the activation; for token layers its view part only (the prefix tokens are not on the map: v is 0 there)
        Tensor v = viewed ? layout.fromView(layout.toView(chunk), null) : chunk;
        SecondOrder so = hook.tailWithHessianVector(chunk, v, seedFn, (y, jv) -> {
          // the objective's own curvature along J v, row by row (zero for a logit)
          int kout = y.dim(1), nr = y.dim(0);
          float[] yd = y.toArray(), jd = jv.toArray(), u = new float[yd.length];
          for (int t = 0; t < nr; t++) {
            int i = rowImage[s0 + t], j = rowSlot[s0 + t];
            Objective o = resolveInside ? lazyObj[i][j] : fixed.get(i).get(j);
            double[] d = new double[kout];
            for (int q = 0; q < kout; q++) d[q] = jd[t * kout + q];
            double[] hu = o.hessianVector(Arrays.copyOfRange(yd, t * kout, (t + 1) * kout), d);
            for (int q = 0; q < kout; q++) u[t * kout + q] = (float) hu[q];
          }
          return Tensor.wrap(u, nr, kout);
        });
        calls[2]++;
        so.gradient().copyTo(0, gAll, start * khw, (end - start) * khw);
        so.hessianVector().copyTo(0, hvAll, start * khw, (end - start) * khw);
      } else {
        TailGradient tg = hook.tailWithGradient(chunk, seedFn);
        tg.gradient().copyTo(0, gAll, start * khw, (end - start) * khw);
      }
      req.progress().progress(c + 1, chunks, name);
    }
    if (lazy) {
      objs = new ArrayList<>();
      for (int i = 0; i < n; i++) objs.add(List.of(lazyObj[i]));
    }

    double[][] scores = new double[n][];
    double[][][] maps = new double[n][][];
    List<List<Map<String, Object>>> extras = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int m = slots[i];
      scores[i] = new double[m];
      maps[i] = new double[m][];
      List<Map<String, Object>> ex = new ArrayList<>();
      for (int j = 0; j < m; j++) {
        Objective o = objs.get(i).get(j);
        int first = base[i] + j * rin * rq;
        scores[i][j] = o.value(yRows[first + anchorCol * rq]);
        Map<String, Object> exj = new HashMap<>();
        final int fi = i, fj = j;
        maps[i][j] = reduceReplicas(i, rin, r -> {
          float[][] a = new float[rq][], g = new float[rq][], hvr = hvAll == null ? null : new float[rq][];
          double[] v = new double[rq];
          for (int q = 0; q < rq; q++) {
            int row = base[fi] + (fj * rin + r) * rq + q;
            a[q] = view.apply(slice(e, row * khw, khw));
            g[q] = view.apply(slice(gAll, row * khw, khw));
            if (hvr != null) hvr[q] = view.apply(slice(hvAll, row * khw, khw));
            v[q] = o.value(yRows[row]);
          }
          Map<String, Object> target = r == 0 ? exj : new HashMap<>();
          return map(new Rows(a, g, v, k, hh, ww, target, hvr));
        }, hh, ww);
        ex.add(exj);
      }
      extras.add(ex);
    }
    return new LayerResult(hook.name(), hh, ww, objs, scores, maps, extras, false);
  }

  private static int hFinal(int[] shape, int k, int khw) {
    return shape.length > 3 && k * shape[2] * shape[3] == khw ? shape[2] : 1;
  }

  private static int wFinal(int[] shape, int k, int khw) {
    return khw / k / hFinal(shape, k, khw);
  }

  /** Combines the per-input-replica maps of one image: the anchor alone, the mean over noisy copies, or aug-smooth. */
  private double[] reduceReplicas(int image, int rin, java.util.function.IntFunction<double[]> mapOf, int h, int w) {
    if (rin == 1) return mapOf.apply(0);
    if (common.augSmooth) {
      double[] out = new double[h * w];
      for (int r = 0; r < rin; r++) {
        double[] m = mapOf.apply(r);
        if (r >= AUG_FACTORS.length) m = flip(m, h, w);
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (double v : m) { min = Math.min(min, v); max = Math.max(max, v); }
        double range = max - min;
        if (range > 0) for (int p = 0; p < m.length; p++) out[p] += (m[p] - min) / range / rin;
      }
      return out;
    }
    double[] out = new double[h * w];
    for (int r = 1; r < rin; r++) {
      double[] m = mapOf.apply(r);
      for (int p = 0; p < out.length; p++) out[p] += m[p] / (rin - 1);
    }
    return out;
  }

  /** Input rows per image: aug-smooth's six augmentations, or the clean image and its noisy copies. */
  private Tensor expandInputs(Tensor x, long seed, int rin) {
    int n = x.dim(0), chw = x.size() / n, h = x.dim(2), w = x.dim(3), c = x.dim(1);
    float[] src = x.toArray();
    float[] out = new float[n * rin * chw];
    for (int i = 0; i < n; i++) {
      if (common.augSmooth) {
        for (int r = 0; r < rin; r++) {
          double f = AUG_FACTORS[r % AUG_FACTORS.length];
          boolean flip = r >= AUG_FACTORS.length;
          int o = (i * rin + r) * chw;
          for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
              for (int xx = 0; xx < w; xx++) {
                int sx = flip ? w - 1 - xx : xx;
                out[o + (ch * h + y) * w + xx] = (float) (f * src[i * chw + (ch * h + y) * w + sx]);
              }
        }
      } else {
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (int p = 0; p < chw; p++) { min = Math.min(min, src[i * chw + p]); max = Math.max(max, src[i * chw + p]); }
        double sd = noiseSigma() * (max - min);
        Random rnd = new Random(seed); // the same noise for every image: a batch of N equals N single calls
        System.arraycopy(src, i * chw, out, i * rin * chw, chw);
        for (int r = 1; r < rin; r++) {
          int o = (i * rin + r) * chw;
          for (int p = 0; p < chw; p++) out[o + p] = (float) (src[i * chw + p] + sd * rnd.nextGaussian());
        }
      }
    }
    int[] s = x.shape();
    s[0] = n * rin;
    return Tensor.wrap(out, s);
  }

  private static double[] flip(double[] m, int h, int w) {
    double[] out = new double[m.length];
    for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) out[y * w + x] = m[y * w + w - 1 - x];
    return out;
  }

  private static Tensor gather(float[] a, int[] shape, int khw, int n, int rin, int col) {
    float[] out = new float[n * khw];
    for (int i = 0; i < n; i++) System.arraycopy(a, (i * rin + col) * khw, out, i * khw, khw);
    int[] s = shape.clone();
    s[0] = n;
    return Tensor.wrap(out, s);
  }

  private List<List<Objective>> resolve(ExplainRequest req, ModelInfo info, Tensor y) {
    int n = y.dim(0), kout = y.dim(1);
    List<List<Objective>> out = new ArrayList<>();
    float[] row = new float[kout];
    for (int i = 0; i < n; i++) {
      y.copyTo(i * kout, row, 0, kout);
      List<Objective> l = new ArrayList<>();
      for (Objective o : req.target(i).resolve(info, row.clone())) l.add(refine(o, row.clone(), info));
      out.add(l);
    }
    return out;
  }

  private static float[] slice(float[] a, int from, int len) { return Arrays.copyOfRange(a, from, from + len); }

  private void budget(ExplainRequest req, long[] calls, long more) {
    long used = calls[0] + calls[1] + calls[2];
    if (req.maxPasses() > 0 && used + more > req.maxPasses()) {
      throw new CancelledException("'" + name + "' needs more than the pass budget of " + req.maxPasses()
          + " (" + used + " used, " + more + " more needed); raise maxPasses or lower batch-size");
    }
  }

  private List<Explanation> assemble(ExplainRequest req, List<String> layers, List<LayerResult> results, Passes passes) {
    int n = req.size(), inH = req.input().dim(2), inW = req.input().dim(3);
    LayerResult first = results.get(0);
    List<Explanation> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      List<Objective> objs = first.objectives.get(i);
      for (int j = 0; j < objs.size(); j++) {
        Objective o = objs.get(j);
        String target = o.classIndex() >= 0 ? Integer.toString(o.classIndex()) : "none";
        Heatmap raw;
        if (results.size() == 1) {
          raw = Heatmap.of(CamMath.toFloat(first.maps[i][j]), first.h, first.w, name, first.layer, target, Heatmap.Resolution.LAYER);
        } else {
          float[] fused = new float[inH * inW];
          for (int l = 0; l < results.size(); l++) {
            LayerResult r = results.get(l);
            float[] m = Heatmap.of(CamMath.toFloat(r.maps[i][j]), r.h, r.w, name, r.layer, target, Heatmap.Resolution.LAYER)
                .toInput(inH, inW).values();
            for (int p = 0; p < fused.length; p++) {
              fused[p] = common.maxFusion ? (l == 0 ? m[p] : Math.max(fused[p], m[p])) : fused[p] + m[p] / results.size();
            }
          }
          raw = Heatmap.of(fused, inH, inW, name, String.join("+", layers), target, Heatmap.Resolution.INPUT);
        }
        Map<String, Object> extras = new HashMap<>();
        for (LayerResult r : results) {
          for (Map.Entry<String, Object> en : r.extras.get(i).get(j).entrySet()) {
            extras.put(results.size() == 1 ? en.getKey() : r.layer + "." + en.getKey(), en.getValue());
          }
        }
        Explanation e = Explanation.of(i, raw, inH, inW, o, first.scores[i][j], passes, extras);
        if (categoryIndependent() && !(req.target(i) instanceof Target.None)) {
          e = e.withNote("'" + name + "' is category-independent: the target '" + req.target(i).spec()
              + "' is ignored; it explains " + o.describe());
        }
        out.add(e);
      }
    }
    return out;
  }
}
