package org.xcam.plugins.perturbation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.Objective;
import org.xcam.api.Passes;
import org.xcam.api.Tensor;

/**
 * Score-CAM (Wang et al., CVPR-W 2020), with pytorch-grad-cam's semantics.
 *
 * <pre>
 *   A = head_L(x)                                   [K, h, w]
 *   M_k = upsample(A_k) to H x W                     bilinear, align_corners=True (UpsamplingBilinear2d)
 *   M_k = (M_k - min M_k) / (max M_k - min M_k + 1e-8)    a constant channel gives M_k = 0, never NaN
 *   s_k = objective(model(x * M_k))                  the target logit
 *   w = softmax_k(s)
 *   map = ReLU(sum_k w_k A_k)                        at the layer's resolution
 * </pre>
 *
 * <p>The K masked images of every image are flattened into one job list and run in batches of {@code batch-size};
 * masks are built per batch (a helper thread builds the next batch while the engine runs), so memory is
 * {@code O(batch * C * H * W)} whatever K is. All objectives of an image (e.g. {@code --target all}) are scored from the
 * same forwards. Cost per image and layer: 1 head and {@code K / batch} forwards (plus 1 forward for the targets).
 *
 * <p><b>Constant channels are forwarded once.</b> A channel whose upsampled map is constant (an all-zero channel after
 * ReLU, typically) has the mask {@code 0 / (0 + 1e-8) = 0}: its masked image is all zeros, whatever the image and the
 * channel. All such (image, channel) pairs share one forward of a zero image, so the map is the one the formula gives,
 * with {@code K_constant - 1} fewer forwards per layer ({@code constantChannels} in the explanation's extras). Only
 * channels constant at the layer's resolution are checked (their upsampled plane is computed and compared), so no
 * non-constant channel is ever skipped.
 */
final class ScoreCam implements Explainer {
  static final String NAME = "scorecam";
  private final int batch;
  private final long maxPasses;
  private int parallel = 0;   // 0: auto, the engine's concurrency()
  private final Resampler.Mode mode;

  ScoreCam(int batch, long maxPasses, Resampler.Mode mode) {
    this.batch = batch;
    this.maxPasses = maxPasses;
    this.mode = mode;
  }

  @Override public String name() { return NAME; }

  /**
   * One forward, and per layer one head plus one masked image per activation channel, per image: an upper bound, since
   * channels with a constant map share one forward (known only after the head).
   */
  @Override public org.xcam.api.Plan plan(Model model, ExplainRequest request) {
    List<String> layers = Common.layers(model, request);
    long k = 0;
    for (String l : layers) k += model.info().layer(l).channels();
    return org.xcam.api.Plan.of(1 + layers.size() + k, "at most " + k + " masked images (one per channel; constant channels share one) + " + (1 + layers.size()) + " forward/head");
  }

  /**
   * Engine calls in flight at once (see {@link Pipeline#run(int, int, int, Pipeline.Builder, java.util.function.UnaryOperator, Pipeline.Consumer, Work)});
   * 0 = auto, the model's {@link Model#concurrency()}.
   */
  ScoreCam parallel(int p) {
    this.parallel = p;
    return this;
  }

  @Override public List<Explanation> explain(Model model, ExplainRequest request) {
    Tensor x = request.input();
    int n = x.dim(0), c = x.dim(1), hh = x.dim(2), ww = x.dim(3);
    int inFlight = Common.parallelFor(parallel, model);
    List<String> layers = Common.layers(model, request);
    long channels = 0;
    for (String l : layers) channels += model.info().layer(l).channels();
    Work work = new Work(NAME, request, maxPasses, (long) n * channels, "masked images");
    long planned = Work.batches(n, batch);
    for (String l : layers) planned += Work.batches(n, batch) + Work.batches((long) n * model.info().layer(l).channels(), batch);
    work.plan(planned);

    Tensor outputs = Common.forward(model, x, batch, work);
    List<List<Objective>> objectives = Common.objectives(model, request, outputs);

    // per image, per objective, per layer: the raw map
    List<List<List<float[]>>> maps = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      List<List<float[]>> perObjective = new ArrayList<>();
      for (int o = 0; o < objectives.get(i).size(); o++) perObjective.add(new ArrayList<>());
      maps.add(perObjective);
    }
    List<int[]> sizes = new ArrayList<>();
    float[] xs = x.toArray();
    long constantChannels = 0;
    int chw = c * hh * ww, hw = hh * ww;

    for (String layer : layers) {
      LayerHook hook = model.layer(layer);
      // token and channels-last layers: the spatial view [N, D, h, w] (prefix tokens dropped, as reshape_transform)
      Tensor act = model.info().layer(layer).layout().toView(activations(hook, x, work));
      int k = act.dim(1), h = act.dim(2), w = act.dim(3), lhw = h * w;
      sizes.add(new int[] {h, w});
      float[] a = act.toArray();
      Resampler up = new Resampler(h, w, hh, ww, mode);
      double[][][] scores = new double[n][][];
      for (int i = 0; i < n; i++) scores[i] = new double[objectives.get(i).size()][k];

      // Jobs: one masked image per (image, channel) whose mask is not constant; channels whose upsampled map is
      // constant get the all-zero mask, i.e. the same all-zero input for every image: it is forwarded once (job -1).
      int[] jobs = new int[n * k];
      int count0 = 0;
      boolean[] flat = new boolean[n * k];
      float[] m0 = new float[hw];
      for (int j = 0; j < n * k; j++) {
        if (constantMask(a, j * lhw, lhw, up, m0)) flat[j] = true;
        else jobs[count0++] = j;
      }
      int masked = count0;
      int total = masked + (masked < n * k ? 1 : 0);
      constantChannels += n * k - masked;
      planned -= Work.batches((long) n * k, batch) - Work.batches(total, batch);
      work.plan(planned);                             // the budget message counts the passes really needed
      double[][] zeroScore = new double[n][];

      Pipeline.run(total, batch, inFlight, (start, count) -> {
        float[] in = new float[count * chw];
        float[] m = new float[hw];
        for (int j = 0; j < count; j++) {
          if (start + j >= masked) continue;            // the shared all-zero input
          int job = jobs[start + j], img = job / k;
          up.resample(a, job * lhw, m);
          float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
          for (float v : m) { min = Math.min(min, v); max = Math.max(max, v); }
          float range = max - min + 1e-8f;
          for (int p = 0; p < hw; p++) m[p] = (m[p] - min) / range;   // once per pixel, not once per channel
          int dst = j * chw, src = img * chw;
          for (int cc = 0; cc < c; cc++) {
            int co = cc * hw;
            for (int p = 0; p < hw; p++) in[dst + co + p] = xs[src + co + p] * m[p];
          }
        }
        return Tensor.wrap(in, count, c, hh, ww);
      }, model::forward, (start, count, out) -> {
        for (int j = 0; j < count; j++) {
          float[] row = Common.row(out, j);
          if (start + j >= masked) {
            for (int i = 0; i < n; i++) {
              List<Objective> objs = objectives.get(i);
              zeroScore[i] = new double[objs.size()];
              for (int o = 0; o < objs.size(); o++) zeroScore[i][o] = objs.get(o).value(row);
            }
            continue;
          }
          int job = jobs[start + j], img = job / k, ch = job % k;
          List<Objective> objs = objectives.get(img);
          for (int o = 0; o < objs.size(); o++) scores[img][o][ch] = objs.get(o).value(row);
        }
      }, work);
      work.advance((long) n * k - total);             // the channels the shared all-zero input stood for
      for (int j = 0; j < n * k; j++) {
        if (!flat[j]) continue;
        int img = j / k, ch = j % k;
        for (int o = 0; o < objectives.get(img).size(); o++) scores[img][o][ch] = zeroScore[img][o];
      }

      for (int i = 0; i < n; i++) {
        for (int o = 0; o < objectives.get(i).size(); o++) {
          double[] wts = Common.softmax(scores[i][o]);
          maps.get(i).get(o).add(Common.weightedRelu(a, i * k * lhw, wts, lhw));
        }
      }
    }

    List<Explanation> result = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] row = Common.row(outputs, i);
      for (int o = 0; o < objectives.get(i).size(); o++) {
        Objective obj = objectives.get(i).get(o);
        Heatmap raw = Common.combine(NAME, layers, maps.get(i).get(o), sizes, obj.describe(), hh, ww);
        result.add(Explanation.of(i, raw, hh, ww, obj, obj.value(row), Passes.NONE,
            Map.of("channels", channels, "batchSize", batch, "parallel", inFlight, "constantChannels", constantChannels,
                "upsample", mode == Resampler.Mode.ALIGN_CORNERS ? "align-corners" : "half-pixel")));
      }
    }
    return result;
  }

  /**
   * True when channel plane {@code a[off .. off + lhw)}, upsampled, is constant: its min-max scaled mask is then exactly
   * all zeros ({@code 0 / (0 + 1e-8)}), whatever the image. Only planes constant at the layer's resolution are
   * upsampled to check (a non-constant plane is never treated as constant, so the map cannot change).
   */
  static boolean constantMask(float[] a, int off, int lhw, Resampler up, float[] scratch) {
    float first = a[off];
    for (int p = 1; p < lhw; p++) if (a[off + p] != first) return false;
    up.resample(a, off, scratch);
    float v = scratch[0];
    for (float s : scratch) if (s != v) return false;
    return true;
  }

  /** Activations for all images, one budgeted head pass per batch. */
  static Tensor activations(LayerHook hook, Tensor x, int batch, Work work) {
    int n = x.dim(0);
    List<Tensor> parts = new ArrayList<>();
    for (int i = 0; i < n; i += batch) {
      work.beforePass();
      parts.add(hook.activation(n <= batch ? x : x.slice(i, Math.min(n, i + batch))));
    }
    return parts.size() == 1 ? parts.get(0) : Tensor.concat(parts);
  }

  private Tensor activations(LayerHook hook, Tensor x, Work work) { return activations(hook, x, batch, work); }
}
