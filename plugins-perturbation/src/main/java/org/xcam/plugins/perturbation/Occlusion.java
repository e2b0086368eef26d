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
 * Occlusion (Zeiler &amp; Fergus, ECCV 2014): a window slides over the image; each position replaces the pixels under
 * it by a baseline and measures the score drop.
 *
 * <pre>
 *   drop_w = objective(model(x)) - objective(model(x with window w replaced by the baseline))
 *   map(p) = mean of drop_w over the windows w that cover pixel p       (signed; no ReLU)
 * </pre>
 *
 * <p>Window: {@code window} pixels square (0 = 1/8 of each side, at least 1); stride {@code stride} (0 = half the
 * window, at least 1). Positions are {@code 0, stride, 2 stride, ...} plus a last one flush with the far edge, so
 * every pixel is covered. Baselines: {@code zero} (0 in the model's normalised input space, i.e. the dataset mean
 * pixel), {@code mean} (the image's own per-channel mean) or {@code blur} (a Gaussian blur of the image,
 * {@code blur-sigma} pixels, 0 = window / 2).
 */
final class Occlusion implements Explainer {
  static final String NAME = "occlusion";
  private final int window;
  private final int stride;
  private final String baseline;
  private final double sigma;
  private final int batch;
  private final long maxPasses;

  Occlusion(int window, int stride, String baseline, double sigma, int batch, long maxPasses) {
    this.window = window;
    this.stride = stride;
    this.baseline = baseline;
    this.sigma = sigma;
    this.batch = batch;
    this.maxPasses = maxPasses;
  }

  @Override public String name() { return NAME; }

  static int[] positions(int size, int win, int stride) {
    List<Integer> out = new ArrayList<>();
    for (int s = 0; s + win <= size; s += stride) out.add(s);
    if (out.isEmpty() || out.get(out.size() - 1) + win < size) out.add(Math.max(0, size - win));
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /** One occluded image per window position and one clean forward, per image. */
  @Override public org.xcam.api.Plan plan(Model model, ExplainRequest request) {
    int hh = request.input().dim(2), ww = request.input().dim(3);
    int winH = window > 0 ? Math.min(window, hh) : Math.max(1, Math.round(hh / 8f));
    int winW = window > 0 ? Math.min(window, ww) : Math.max(1, Math.round(ww / 8f));
    long windows = (long) positions(hh, winH, stride > 0 ? stride : Math.max(1, winH / 2)).length
        * positions(ww, winW, stride > 0 ? stride : Math.max(1, winW / 2)).length;
    return org.xcam.api.Plan.of(windows + 1, windows + " occluded images + 1 forward");
  }

  @Override public List<Explanation> explain(Model model, ExplainRequest request) {
    Tensor x = request.input();
    int n = x.dim(0), c = x.dim(1), hh = x.dim(2), ww = x.dim(3), hw = hh * ww, chw = c * hw;
    int winH = window > 0 ? Math.min(window, hh) : Math.max(1, Math.round(hh / 8f));
    int winW = window > 0 ? Math.min(window, ww) : Math.max(1, Math.round(ww / 8f));
    int strH = stride > 0 ? stride : Math.max(1, winH / 2);
    int strW = stride > 0 ? stride : Math.max(1, winW / 2);
    int[] ys = positions(hh, winH, strH), xsPos = positions(ww, winW, strW);
    int windows = ys.length * xsPos.length;

    Work work = new Work(NAME, request, maxPasses, (long) windows * n, "occluded images")
        .plan(Work.batches(n, batch) + Work.batches((long) windows * n, batch));
    Tensor outputs = Common.forward(model, x, batch, work);
    List<List<Objective>> objectives = Common.objectives(model, request, outputs);
    float[] xs = x.toArray();
    float[] base = baselines(xs, n, c, hh, ww, winH, winW);

    double[][] y0 = new double[n][];
    double[][][] sum = new double[n][][];
    for (int i = 0; i < n; i++) {
      float[] row = Common.row(outputs, i);
      List<Objective> objs = objectives.get(i);
      y0[i] = new double[objs.size()];
      for (int o = 0; o < objs.size(); o++) y0[i][o] = objs.get(o).value(row);
      sum[i] = new double[objs.size()][hw];
    }
    int[] count = new int[hw];
    for (int wy : ys) for (int wx : xsPos)
      for (int y = wy; y < wy + winH; y++) for (int q = wx; q < wx + winW; q++) count[y * ww + q]++;

    Pipeline.run(windows * n, batch, (start, cnt) -> {
      float[] in = new float[cnt * chw];
      for (int j = 0; j < cnt; j++) {
        int job = start + j, wi = job / n, img = job % n;
        int wy = ys[wi / xsPos.length], wx = xsPos[wi % xsPos.length];
        System.arraycopy(xs, img * chw, in, j * chw, chw);
        for (int cc = 0; cc < c; cc++)
          for (int y = wy; y < wy + winH; y++) {
            int off = cc * hw + y * ww + wx;
            System.arraycopy(base, img * chw + off, in, j * chw + off, winW);
          }
      }
      return Tensor.wrap(in, cnt, c, hh, ww);
    }, model::forward, (start, cnt, out) -> {
      for (int j = 0; j < cnt; j++) {
        int job = start + j, wi = job / n, img = job % n;
        int wy = ys[wi / xsPos.length], wx = xsPos[wi % xsPos.length];
        float[] row = Common.row(out, j);
        List<Objective> objs = objectives.get(img);
        for (int o = 0; o < objs.size(); o++) {
          double drop = y0[img][o] - objs.get(o).value(row);
          double[] acc = sum[img][o];
          for (int y = wy; y < wy + winH; y++) for (int q = wx; q < wx + winW; q++) acc[y * ww + q] += drop;
        }
      }
    }, work);

    List<Explanation> result = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      for (int o = 0; o < objectives.get(i).size(); o++) {
        Objective obj = objectives.get(i).get(o);
        float[] v = new float[hw];
        for (int q = 0; q < hw; q++) v[q] = (float) (sum[i][o][q] / count[q]);
        Heatmap raw = Heatmap.of(v, hh, ww, NAME, LayerInfo.INPUT, obj.describe(), Heatmap.Resolution.LAYER);
        result.add(Explanation.of(i, raw, hh, ww, obj, y0[i][o], Passes.NONE,
            Map.of("window", winH + "x" + winW, "stride", strH + "x" + strW, "windows", windows, "baseline", baseline)));
      }
    }
    return result;
  }

  private float[] baselines(float[] xs, int n, int c, int hh, int ww, int winH, int winW) {
    return baselines(baseline, xs, n, c, hh, ww, sigma > 0 ? sigma : Math.max(winH, winW) / 2.0);
  }

  /**
   * The replacement values for {@code n} images {@code [C, H, W]}: {@code zero} (0 in the normalised input space),
   * {@code mean} (each image's per-channel mean) or {@code blur} (each channel Gaussian-blurred with {@code sigma}).
   */
  static float[] baselines(String baseline, float[] xs, int n, int c, int hh, int ww, double sigma) {
    int hw = hh * ww;
    float[] b = new float[xs.length];
    switch (baseline) {
      case "zero" -> { }
      case "mean" -> {
        for (int i = 0; i < n * c; i++) {
          double s = 0;
          for (int q = 0; q < hw; q++) s += xs[i * hw + q];
          java.util.Arrays.fill(b, i * hw, (i + 1) * hw, (float) (s / hw));
        }
      }
      default -> {
        for (int i = 0; i < n * c; i++) {
          float[] plane = new float[hw];
          System.arraycopy(xs, i * hw, plane, 0, hw);
          System.arraycopy(Filters.gaussianBlur(plane, hh, ww, sigma), 0, b, i * hw, hw);
        }
      }
    }
    return b;
  }
}
