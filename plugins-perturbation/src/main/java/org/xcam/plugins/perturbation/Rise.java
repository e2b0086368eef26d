package org.xcam.plugins.perturbation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
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
 * RISE (Petsiuk et al., BMVC 2018): randomized input sampling.
 *
 * <pre>
 *   for i = 1..N:  G_i = s x s grid, each cell kept (1) with probability p
 *                  M_i = bilinear upsample of G_i to (s+1)*ceil(H/s) x (s+1)*ceil(W/s), cropped at a random shift
 *                        (dy, dx) in [0, ceil(H/s)) x [0, ceil(W/s)) to H x W
 *   saliency = sum_i objective(model(x * M_i)) * M_i / (N * p)
 * </pre>
 *
 * <p>Defaults N = 4000, s = 8, p = 0.5 (the paper's set-up for single images). The upsampling is half-pixel bilinear
 * with clamped borders (the paper's skimage {@code resize(order=1, mode='reflect')} differs only in the outermost
 * half cell, which the crop mostly removes).
 *
 * <p><b>Determinism.</b> Mask i draws its grid and shift from its own generator seeded by {@code (seed, i)}
 * (SplitMix64), not from a shared stream, and the saliency is accumulated in mask order on one thread; so the same
 * seed gives the same map bit for bit whatever the batch size, the thread count or the engine's timing. The same
 * masks are used for every image of a request. Masks are made per batch, never all N at once.
 */
final class Rise implements Explainer {
  static final String NAME = "rise";
  private final int masks;
  private final int grid;
  private final double p;
  private final int batch;
  private final long maxPasses;

  Rise(int masks, int grid, double p, int batch, long maxPasses) {
    this.masks = masks;
    this.grid = grid;
    this.p = p;
    this.batch = batch;
    this.maxPasses = maxPasses;
  }

  @Override public String name() { return NAME; }

  /** Mask {@code i} of a run seeded with {@code seed}: an {@code H x W} plane in [0,1]. */
  static float[] mask(long seed, int i, int s, double p, int hh, int ww, Resampler up) {
    SplittableRandom rng = new SplittableRandom(mix(seed, i));
    float[] g = new float[s * s];
    for (int c = 0; c < g.length; c++) g[c] = rng.nextDouble() < p ? 1f : 0f;
    int cellH = (hh + s - 1) / s, cellW = (ww + s - 1) / s;
    int dy = rng.nextInt(cellH), dx = rng.nextInt(cellW);
    float[] big = new float[up.outHeight() * up.outWidth()];
    up.resample(g, 0, big);
    float[] m = new float[hh * ww];
    int bw = up.outWidth();
    for (int y = 0; y < hh; y++) System.arraycopy(big, (y + dy) * bw + dx, m, y * ww, ww);
    return m;
  }

  static Resampler upsampler(int s, int hh, int ww) {
    int cellH = (hh + s - 1) / s, cellW = (ww + s - 1) / s;
    return new Resampler(s, s, (s + 1) * cellH, (s + 1) * cellW, Resampler.Mode.HALF_PIXEL);
  }

  /** SplitMix64 of the seed and the mask index: independent, reproducible streams per mask. */
  static long mix(long seed, long i) {
    long z = seed * 0x9E3779B97F4A7C15L + (i + 1) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** N masked images and one clean forward per image. */
  @Override public org.xcam.api.Plan plan(Model model, ExplainRequest request) {
    return org.xcam.api.Plan.of((long) masks + 1, masks + " masked images + 1 forward");
  }

  @Override public List<Explanation> explain(Model model, ExplainRequest request) {
    Tensor x = request.input();
    int n = x.dim(0), c = x.dim(1), hh = x.dim(2), ww = x.dim(3), hw = hh * ww, chw = c * hw;
    Work work = new Work(NAME, request, maxPasses, (long) masks * n, "masked images")
        .plan(Work.batches(n, batch) + Work.batches((long) masks * n, batch));
    Tensor outputs = Common.forward(model, x, batch, work);
    List<List<Objective>> objectives = Common.objectives(model, request, outputs);
    float[] xs = x.toArray();
    Resampler up = upsampler(grid, hh, ww);
    long seed = request.seed();

    double[][][] sal = new double[n][][];
    for (int i = 0; i < n; i++) sal[i] = new double[objectives.get(i).size()][hw];
    Map<Integer, float[][]> made = new ConcurrentHashMap<>();

    Pipeline.run(masks * n, batch, (start, count) -> {
      float[] in = new float[count * chw];
      int first = start / n, last = (start + count - 1) / n;
      float[][] ms = new float[last - first + 1][];
      for (int mi = first; mi <= last; mi++) ms[mi - first] = mask(seed, mi, grid, p, hh, ww, up);
      for (int j = 0; j < count; j++) {
        int job = start + j, img = job % n;
        float[] m = ms[job / n - first];
        int dst = j * chw, src = img * chw;
        for (int cc = 0; cc < c; cc++) {
          int co = cc * hw;
          for (int q = 0; q < hw; q++) in[dst + co + q] = xs[src + co + q] * m[q];
        }
      }
      made.put(start, ms);
      return Tensor.wrap(in, count, c, hh, ww);
    }, model::forward, (start, count, out) -> {
      float[][] ms = made.remove(start);
      int first = start / n;
      for (int j = 0; j < count; j++) {
        int job = start + j, img = job % n;
        float[] m = ms[job / n - first];
        float[] row = Common.row(out, j);
        List<Objective> objs = objectives.get(img);
        for (int o = 0; o < objs.size(); o++) {
          double score = objs.get(o).value(row);
          double[] acc = sal[img][o];
          for (int q = 0; q < hw; q++) acc[q] += score * m[q];
        }
      }
    }, work);

    List<Explanation> result = new ArrayList<>();
    double norm = 1.0 / (masks * p);
    for (int i = 0; i < n; i++) {
      float[] row = Common.row(outputs, i);
      for (int o = 0; o < objectives.get(i).size(); o++) {
        Objective obj = objectives.get(i).get(o);
        float[] v = new float[hw];
        for (int q = 0; q < hw; q++) v[q] = (float) (sal[i][o][q] * norm);
        Heatmap raw = Heatmap.of(v, hh, ww, NAME, LayerInfo.INPUT, obj.describe(), Heatmap.Resolution.LAYER);
        result.add(Explanation.of(i, raw, hh, ww, obj, obj.value(row), Passes.NONE,
            Map.of("masks", masks, "grid", grid, "p", p, "seed", seed, "batchSize", batch)));
      }
    }
    return result;
  }
}
