package org.xcam.plugins.perturbation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerLayout;
import org.xcam.api.Model;
import org.xcam.api.Objective;
import org.xcam.api.Passes;
import org.xcam.api.Tensor;

/**
 * Ablation-CAM (Desai &amp; Ramaswamy, WACV 2020), with pytorch-grad-cam's semantics ({@code AblationCAM} +
 * {@code AblationLayer}).
 *
 * <pre>
 *   A = head_L(x),  Y = objective(tail_L(A))
 *   A^(k) = A with channel k set to the ablation value: 0 when min(A) == 0 (post-ReLU layers), else min(A) - 1e7
 *   Y_k = objective(tail_L(A^(k)))
 *   w_k = (Y - Y_k) / Y            channels not ablated (ratio-channels &lt; 1) get w_k = 0, i.e. Y_k = Y
 *   map = ReLU(sum_k w_k A_k)
 * </pre>
 *
 * <p>The ablations run through the tail only and are batched over channels (and images). When {@code |Y| < 1e-8} the
 * division would blow up; the weights are then the raw drops {@code Y - Y_k} and the explanation says so.
 *
 * <p>{@code ratio-channels} ablates only that fraction of channels, chosen by pytorch-grad-cam's cheap score: the
 * first principal component of the centred activations (EigenCAM's projection) is thresholded at 1% of its range and
 * each channel scores {@code sum(mask * |A_k|') / sum(|A_k|')} ({@code '} = shifted to min 0 and scaled to max 1).
 * Unlike pytorch-grad-cam, which ablates the top and the bottom fraction (so 0.5 still ablates everything), xcam
 * ablates the top fraction only: {@code ratio-channels} is the fraction of the work that is done.
 *
 * <p>pytorch-grad-cam lowers the ablation value by 1e7 per channel within a batch when {@code min(A) != 0} (it
 * reuses the already-ablated tensor for the minimum); xcam uses {@code min(A) - 1e7} for every channel, which does not
 * depend on the batch size.
 *
 * <p><b>Token and channels-last layers</b> ({@link LayerLayout}): the channel weights and the map are computed on the
 * spatial view {@code [D, h, w]}; channel k is ablated in the raw activation, in every token including the prefix
 * (class) tokens, with the minimum taken over the whole raw activation, as pytorch-grad-cam's {@code AblationLayerVit}
 * does (its references on tiny-vit show that at the last block all of the map comes from ablating the class token).
 *
 * <p><b>All-zero channels are not run.</b> When the ablation value is 0 (post-ReLU layers), ablating a channel that is
 * already all zero leaves the activation unchanged, and whatever its weight, it multiplies {@code A_k = 0}: such channels
 * get {@code w_k = 0} without a tail pass ({@code zeroChannelsSkipped} in the explanation's extras). The map is the one
 * the formula gives.
 */
final class AblationCam implements Explainer {
  static final String NAME = "ablationcam";
  static final float ABLATION_OFFSET = 1e7f;
  private final int batch;
  private final long maxPasses;
  private int parallel = 0;   // 0: auto, the engine's concurrency()
  private final double ratio;

  AblationCam(int batch, long maxPasses, double ratio) {
    this.batch = batch;
    this.maxPasses = maxPasses;
    this.ratio = ratio;
  }

  @Override public String name() { return NAME; }

  /** One forward, per layer a head and a tail, and one tail per ablated channel, per image (all-zero channels skip theirs: an upper bound). */
  @Override public org.xcam.api.Plan plan(Model model, ExplainRequest request) {
    List<String> layers = Common.layers(model, request);
    long k = 0;
    for (String l : layers) k += Math.max(1, (long) Math.floor(model.info().layer(l).channels() * ratio));
    return org.xcam.api.Plan.of(1 + 2L * layers.size() + k, "at most " + k + " channel ablations + " + (1 + 2 * layers.size()) + " forward/head/tail");
  }

  /** Engine calls in flight at once (see {@link Pipeline#run(int, int, int, Pipeline.Builder, java.util.function.UnaryOperator, Pipeline.Consumer, Work)}). */
  AblationCam parallel(int p) {
    this.parallel = p;
    return this;
  }

  @Override public List<Explanation> explain(Model model, ExplainRequest request) {
    Tensor x = request.input();
    int n = x.dim(0), hh = x.dim(2), ww = x.dim(3);
    int inFlight = Common.parallelFor(parallel, model);
    List<String> layers = Common.layers(model, request);
    long planned = 0;
    for (String l : layers) planned += Math.max(1, (long) Math.floor(model.info().layer(l).channels() * ratio));
    Work work = new Work(NAME, request, maxPasses, n * planned, "channel ablations");
    work.plan(layers.size() * 2 * Work.batches(n, batch) + Work.batches(n * planned, batch));

    List<List<Objective>> objectives = null;
    Tensor baseOutputs = null;
    List<List<List<float[]>>> maps = new ArrayList<>();
    List<int[]> sizes = new ArrayList<>();
    Map<Integer, String> notes = new HashMap<>();
    long zeroChannels = 0;

    for (String layer : layers) {
      LayerHook hook = model.layer(layer);
      Tensor act = ScoreCam.activations(hook, x, batch, work);
      Tensor base = tail(hook, act, work);
      if (objectives == null) {
        objectives = Common.objectives(model, request, base);
        baseOutputs = base;
        for (int i = 0; i < n; i++) {
          List<List<float[]>> per = new ArrayList<>();
          for (int o = 0; o < objectives.get(i).size(); o++) per.add(new ArrayList<>());
          maps.add(per);
        }
      }
      final List<List<Objective>> objs = objectives;
      // token / channels-last layers: weights and map on the spatial view; the ablation is done in the raw layout,
      // channel c in every token, prefix tokens included (pytorch-grad-cam's AblationLayerVit)
      LayerLayout layout = model.info().layer(layer).layout();
      Tensor view = layout.toView(act);
      int k = view.dim(1), h = view.dim(2), w = view.dim(3), lhw = h * w, khw = k * lhw;
      int rsz = layout.rawSize();
      int[] rawShape = act.shape();
      sizes.add(new int[] {h, w});
      float[] a = view.toArray();
      float[] ar = layout.identity() ? a : act.toArray();

      float[] ablationValue = new float[n];
      long skipped = 0;
      List<int[]> jobs = new ArrayList<>();     // {image, channel}
      for (int i = 0; i < n; i++) {
        float min = Float.POSITIVE_INFINITY;
        for (int p = 0; p < rsz; p++) min = Math.min(min, ar[i * rsz + p]);
        ablationValue[i] = min == 0f ? 0f : min - ABLATION_OFFSET;
        for (int ch : channelsToAblate(a, i * khw, k, lhw, ratio)) {
          // ablating an all-zero channel with 0 changes nothing (for tokens: only when the prefix tokens are zero there too)
          if (ablationValue[i] == 0f && allZero(a, i * khw + ch * lhw, lhw) && prefixZero(layout, ar, i * rsz, ch)) skipped++;
          else jobs.add(new int[] {i, ch});
        }
      }

      double[][] y = new double[n][];
      double[][][] yk = new double[n][][];
      for (int i = 0; i < n; i++) {
        float[] row = Common.row(base, i);
        y[i] = new double[objs.get(i).size()];
        yk[i] = new double[objs.get(i).size()][k];
        for (int o = 0; o < objs.get(i).size(); o++) {
          y[i][o] = objs.get(i).get(o).value(row);
          Arrays.fill(yk[i][o], y[i][o]);     // not ablated: no drop
        }
      }

      Pipeline.run(jobs.size(), batch, inFlight, (start, count) -> {
        float[] buf = new float[count * rsz];
        for (int j = 0; j < count; j++) {
          int[] job = jobs.get(start + j);
          System.arraycopy(ar, job[0] * rsz, buf, j * rsz, rsz);
          layout.setChannel(buf, j * rsz, job[1], ablationValue[job[0]], true);
        }
        int[] bs = rawShape.clone();   // a copy per batch: batches may be built on several threads
        bs[0] = count;
        return Tensor.wrap(buf, bs);
      }, hook::tail, (start, count, out) -> {
        for (int j = 0; j < count; j++) {
          int[] job = jobs.get(start + j);
          float[] row = Common.row(out, j);
          List<Objective> list = objs.get(job[0]);
          for (int o = 0; o < list.size(); o++) yk[job[0]][o][job[1]] = list.get(o).value(row);
        }
      }, work);
      work.advance(skipped);
      zeroChannels += skipped;

      for (int i = 0; i < n; i++) {
        for (int o = 0; o < objs.get(i).size(); o++) {
          double yy = y[i][o];
          double denom = yy;
          if (Math.abs(yy) < 1e-8) {
            denom = 1;
            notes.put(i * 1000 + o, "the target score is ~0 (" + yy + ") at layer " + layer
                + ", so the channel weights are the raw score drops Y - Y_k instead of (Y - Y_k) / Y");
          }
          double[] wts = new double[k];
          for (int ch = 0; ch < k; ch++) wts[ch] = (yy - yk[i][o][ch]) / denom;
          maps.get(i).get(o).add(Common.weightedRelu(a, i * khw, wts, lhw));
        }
      }
    }

    List<Explanation> result = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] row = Common.row(baseOutputs, i);
      for (int o = 0; o < objectives.get(i).size(); o++) {
        Objective obj = objectives.get(i).get(o);
        Heatmap raw = Common.combine(NAME, layers, maps.get(i).get(o), sizes, obj.describe(), hh, ww);
        Explanation e = Explanation.of(i, raw, hh, ww, obj, obj.value(row), Passes.NONE,
            Map.of("ratioChannels", ratio, "batchSize", batch, "parallel", inFlight, "zeroChannelsSkipped", zeroChannels));
        String note = notes.get(i * 1000 + o);
        result.add(note == null ? e : e.withNote(note));
      }
    }
    return result;
  }

  private Tensor tail(LayerHook hook, Tensor act, Work work) {
    int n = act.dim(0);
    if (n <= batch) {
      work.beforePass();
      return hook.tail(act);
    }
    List<Tensor> parts = new ArrayList<>();
    for (int i = 0; i < n; i += batch) {
      work.beforePass();
      parts.add(hook.tail(act.slice(i, Math.min(n, i + batch))));
    }
    return Tensor.concat(parts);
  }

  /** True when channel {@code ch} is zero in every prefix token of the raw row at {@code off} (always for non-token layouts). */
  static boolean prefixZero(LayerLayout layout, float[] raw, int off, int ch) {
    for (int t = 0; t < layout.prefixTokens(); t++) if (raw[off + t * layout.channels() + ch] != 0f) return false;
    return true;
  }

  static boolean allZero(float[] a, int off, int len) {
    for (int p = 0; p < len; p++) if (a[off + p] != 0f) return false;
    return true;
  }

  /** All channels when {@code ratio >= 1}, else the top {@code floor(K * ratio)} (at least 1) by the cheap score. */
  static int[] channelsToAblate(float[] a, int off, int k, int hw, double ratio) {
    if (ratio >= 1) {
      int[] all = new int[k];
      for (int i = 0; i < k; i++) all[i] = i;
      return all;
    }
    int keep = Math.max(1, (int) Math.floor(k * ratio));
    double[] score = channelScores(a, off, k, hw);
    Integer[] idx = new Integer[k];
    for (int i = 0; i < k; i++) idx[i] = i;
    Arrays.sort(idx, (p, q) -> p.equals(q) ? 0 : score[q] != score[p] ? Double.compare(score[q], score[p]) : Integer.compare(p, q));
    int[] out = new int[keep];
    for (int i = 0; i < keep; i++) out[i] = idx[i];
    Arrays.sort(out);
    return out;
  }

  /** pytorch-grad-cam's {@code activations_to_be_ablated} score of each channel. */
  static double[] channelScores(float[] a, int off, int k, int hw) {
    double[] proj = firstComponentProjection(a, off, k, hw);
    double pmin = Double.POSITIVE_INFINITY, pmax = Double.NEGATIVE_INFINITY;
    for (int p = 0; p < hw; p++) {
      proj[p] = Math.abs(proj[p]);
      pmin = Math.min(pmin, proj[p]);
    }
    for (int p = 0; p < hw; p++) { proj[p] -= pmin; pmax = Math.max(pmax, proj[p]); }
    boolean[] mask = new boolean[hw];
    for (int p = 0; p < hw; p++) mask[p] = pmax > 0 && proj[p] / pmax > 0.01;
    double[] score = new double[k];
    for (int ch = 0; ch < k; ch++) {
      double mn = Double.POSITIVE_INFINITY, mx = Double.NEGATIVE_INFINITY;
      for (int p = 0; p < hw; p++) {
        double v = Math.abs(a[off + ch * hw + p]);
        mn = Math.min(mn, v);
        mx = Math.max(mx, v);
      }
      double range = mx - mn, in = 0, all = 0;
      if (range <= 0) continue;  // a constant channel scores 0 (pytorch-grad-cam would divide by zero)
      for (int p = 0; p < hw; p++) {
        double v = (Math.abs(a[off + ch * hw + p]) - mn) / range;
        all += v;
        if (mask[p]) in += v;
      }
      score[ch] = all > 0 ? in / all : 0;
    }
    return score;
  }

  /**
   * Projection of the centred activation matrix {@code M} ({@code hw x K}, rows = positions) on its first right
   * singular vector, by power iteration on {@code M^T M} (sign is irrelevant: callers take |.|).
   */
  static double[] firstComponentProjection(float[] a, int off, int k, int hw) {
    double[] mean = new double[k];
    for (int ch = 0; ch < k; ch++) {
      double s = 0;
      for (int p = 0; p < hw; p++) s += a[off + ch * hw + p];
      mean[ch] = s / hw;
    }
    double[] v = new double[k];
    for (int ch = 0; ch < k; ch++) v[ch] = 1 + 0.01 * ((ch * 2654435761L) % 97) / 97.0;
    double[] u = new double[hw];
    for (int it = 0; it < 200; it++) {
      Arrays.fill(u, 0);
      for (int ch = 0; ch < k; ch++) {
        double vc = v[ch];
        if (vc == 0) continue;
        for (int p = 0; p < hw; p++) u[p] += (a[off + ch * hw + p] - mean[ch]) * vc;
      }
      double norm = 0;
      for (int ch = 0; ch < k; ch++) {
        double s = 0;
        for (int p = 0; p < hw; p++) s += (a[off + ch * hw + p] - mean[ch]) * u[p];
        v[ch] = s;
        norm += s * s;
      }
      norm = Math.sqrt(norm);
      if (norm == 0) break;
      for (int ch = 0; ch < k; ch++) v[ch] /= norm;
    }
    Arrays.fill(u, 0);
    for (int ch = 0; ch < k; ch++)
      for (int p = 0; p < hw; p++) u[p] += (a[off + ch * hw + p] - mean[ch]) * v[ch];
    return u;
  }
}
