package org.xcam.plugins.perturbation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.Objective;
import org.xcam.api.Passes;
import org.xcam.api.Tensor;

/**
 * Recipro-CAM (Byun &amp; Lee, "ReciproCAM: Lightweight Gradient-free Class Activation Map for Post-hoc
 * Explanations", CVPR-W 2024), with OpenVINO XAI's semantics ({@code openvino_xai.methods.white_box.recipro_cam}).
 *
 * <pre>
 *   A = head_L(x)                                     [K, h, w]
 *   for each position p = (i, j) of the layer:
 *     M_p = one-hot at p                                kernel onehot   (OpenVINO XAI's ReciproCAM, for CNNs)
 *         = the 3x3 Gaussian [1 2 1; 2 4 2; 1 2 1]/16   kernel gaussian (its ViTReciproCAM's use_gaussian=True),
 *           centred at p, cut off at the border (not renormalised)
 *     A^(p) = A * M_p                                   the same spatial mask on every channel
 *     map[p] = score(tail_L(A^(p)))
 *   score = the objective's value (the target logit; OpenVINO XAI reads the logits before any softmax)
 *         = softmax(tail_L(A^(p)))[target]              score softmax (the authors' own code)
 * </pre>
 *
 * <p>No ReLU: the raw map is the score itself (signed for logits); the explanation's map is it min-max scaled, which is
 * OpenVINO XAI's per-class scaling divided by 255. The {@code h*w} masked activations of every image, plus its unmasked
 * activation (whose output resolves the target, e.g. {@code predicted}), go through the tail in batches of
 * {@code batch-size}; all objectives of an image are scored from the same rows. Cost per image and layer: 1 head and
 * {@code ceil((h*w + 1) / batch-size)} tails; no gradient, no forward pass of the whole model.
 *
 * <p><b>What is not reproduced.</b> OpenVINO XAI's ViT variant cuts a transformer between two blocks, keeps the class
 * token unmasked and applies the mosaic after the next block's LayerNorm as well. xcam cuts at 4-D activations
 * {@code [N, K, h, w]}; the {@code gaussian} kernel is that variant's spatial mask on such an activation, and the authors'
 * code differs again (it spreads the centre's activation over the 3x3 neighbourhood instead of weighting each
 * neighbour's own activation; xcam follows OpenVINO XAI).
 */
final class ReciproCam implements Explainer {
  static final String NAME = "recipro-cam";
  /** OpenVINO XAI's 3x3 Gaussian: 1/4 at the centre, 1/8 at the edges, 1/16 at the corners. */
  static final float[][] GAUSSIAN = {{1 / 16f, 1 / 8f, 1 / 16f}, {1 / 8f, 1 / 4f, 1 / 8f}, {1 / 16f, 1 / 8f, 1 / 16f}};

  private final int batch;
  private final long maxPasses;
  private final boolean gaussian;
  private final boolean softmax;

  ReciproCam(int batch, long maxPasses, boolean gaussian, boolean softmax) {
    this.batch = batch;
    this.maxPasses = maxPasses;
    this.gaussian = gaussian;
    this.softmax = softmax;
  }

  @Override public String name() { return NAME; }

  /**
   * The spatial mask of position {@code p} on an {@code h x w} layer ({@code h*w} weights, row-major): 1 at {@code p}
   * for the one-hot kernel; the Gaussian centred at {@code p}, cut off at the border, otherwise. Non-zero only in the
   * 3x3 neighbourhood of {@code p}.
   */
  static float[] mask(int p, int h, int w, boolean gaussian) {
    float[] m = new float[h * w];
    if (!gaussian) {
      m[p] = 1f;
      return m;
    }
    int i = p / w, j = p % w;
    for (int di = -1; di <= 1; di++)
      for (int dj = -1; dj <= 1; dj++) {
        int y = i + di, x = j + dj;
        if (y >= 0 && y < h && x >= 0 && x < w) m[y * w + x] = GAUSSIAN[di + 1][dj + 1];
      }
    return m;
  }

  /** Per image and layer: one head, and one tail row per position plus the unmasked one. */
  @Override public org.xcam.api.Plan plan(Model model, ExplainRequest request) {
    List<String> layers = Common.layers(model, request);
    long rows = 0;
    for (String l : layers) {
      int[] s = model.info().layer(l).shape();
      rows += (long) s[1] * s[2] + 1;
    }
    return org.xcam.api.Plan.of(rows + layers.size(), rows + " masked activations through the tail + " + layers.size() + " head");
  }

  @Override public List<Explanation> explain(Model model, ExplainRequest request) {
    Tensor x = request.input();
    int n = x.dim(0), hh = x.dim(2), ww = x.dim(3);
    List<String> layers = Common.layers(model, request);
    long positions = 0, planned = 0;
    for (String l : layers) {
      int[] s = model.info().layer(l).shape();
      long rows = (long) n * (s[1] * s[2] + 1);
      positions += (long) n * s[1] * s[2];
      planned += Work.batches(n, batch) + Work.batches(rows, batch);
    }
    Work work = new Work(NAME, request, maxPasses, positions, "masked positions").plan(planned);

    List<List<Objective>> objectives = null;
    float[][] unmasked = null;
    List<List<List<float[]>>> maps = new ArrayList<>();
    List<int[]> sizes = new ArrayList<>();

    for (String layer : layers) {
      LayerHook hook = model.layer(layer);
      // token / channels-last layers: masks on the spatial view; the prefix (class) tokens are kept as they are
      org.xcam.api.LayerLayout layout = model.info().layer(layer).layout();
      Tensor rawAct = ScoreCam.activations(hook, x, batch, work);
      Tensor act = layout.toView(rawAct);
      int k = act.dim(1), h = act.dim(2), w = act.dim(3), lhw = h * w, khw = k * lhw, per = lhw + 1;
      sizes.add(new int[] {h, w});
      float[] a = act.toArray();
      float[] ar = layout.identity() ? a : rawAct.toArray();
      int rs = layout.rawSize();
      int[] rawShape = rawAct.shape();
      float[][] masks = new float[lhw][];
      for (int p = 0; p < lhw; p++) masks[p] = mask(p, h, w, gaussian);
      float[][][] rows = new float[n][per][];

      Pipeline.run(n * per, batch, (start, count) -> {
        float[] buf = new float[count * khw];
        for (int j = 0; j < count; j++) {
          int job = start + j, img = job / per, pos = job % per - 1, src = img * khw, dst = j * khw;
          if (pos < 0) {
            System.arraycopy(a, src, buf, dst, khw);
            continue;
          }
          float[] m = masks[pos];
          int i0 = Math.max(0, pos / w - 1), i1 = Math.min(h - 1, pos / w + 1);
          int j0 = Math.max(0, pos % w - 1), j1 = Math.min(w - 1, pos % w + 1);
          for (int ch = 0; ch < k; ch++) {
            int c0 = ch * lhw;
            for (int yy = i0; yy <= i1; yy++)
              for (int xx = j0; xx <= j1; xx++) {
                int q = yy * w + xx;
                buf[dst + c0 + q] = a[src + c0 + q] * m[q];
              }
          }
        }
        if (layout.identity()) return Tensor.wrap(buf, count, k, h, w);
        float[] rb = new float[count * rs];
        for (int j = 0; j < count; j++) {
          System.arraycopy(ar, ((start + j) / per) * rs, rb, j * rs, rs);
          layout.fromView(buf, j * khw, rb, j * rs);
        }
        int[] bs = rawShape.clone();
        bs[0] = count;
        return Tensor.wrap(rb, bs);
      }, hook::tail, (start, count, out) -> {
        for (int j = 0; j < count; j++) {
          int job = start + j;
          rows[job / per][job % per] = Common.row(out, j);
        }
      }, work);

      if (objectives == null) {
        unmasked = new float[n][];
        for (int i = 0; i < n; i++) unmasked[i] = rows[i][0];
        objectives = Common.objectives(model, request, Tensor.wrap(flatten(unmasked), n, unmasked[0].length));
        for (int i = 0; i < n; i++) {
          List<List<float[]>> perObjective = new ArrayList<>();
          for (int o = 0; o < objectives.get(i).size(); o++) perObjective.add(new ArrayList<>());
          maps.add(perObjective);
          if (softmax) {
            for (Objective o : objectives.get(i)) {
              if (o.classIndex() < 0) {
                throw new InvalidInputException("recipro-cam score=softmax needs a class target (an index, predicted or"
                    + " all), not '" + o.describe() + "'; use score=objective");
              }
            }
          }
        }
      }
      for (int i = 0; i < n; i++) {
        for (int o = 0; o < objectives.get(i).size(); o++) {
          Objective obj = objectives.get(i).get(o);
          float[] m = new float[lhw];
          for (int p = 0; p < lhw; p++) m[p] = (float) score(obj, rows[i][p + 1]);
          maps.get(i).get(o).add(m);
        }
      }
    }

    List<Explanation> result = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      for (int o = 0; o < objectives.get(i).size(); o++) {
        Objective obj = objectives.get(i).get(o);
        Heatmap raw = Common.combine(NAME, layers, maps.get(i).get(o), sizes, obj.describe(), hh, ww);
        result.add(Explanation.of(i, raw, hh, ww, obj, obj.value(unmasked[i]), Passes.NONE,
            Map.of("kernel", gaussian ? "gaussian" : "onehot", "score", softmax ? "softmax" : "objective", "batchSize", batch)));
      }
    }
    return result;
  }

  private double score(Objective obj, float[] row) {
    if (!softmax) return obj.value(row);
    double[] s = new double[row.length];
    for (int j = 0; j < row.length; j++) s[j] = row[j];
    return Common.softmax(s)[obj.classIndex()];
  }

  private static float[] flatten(float[][] rows) {
    int k = rows[0].length;
    float[] out = new float[rows.length * k];
    for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, out, i * k, k);
    return out;
  }
}
