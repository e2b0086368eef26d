package org.xcam.plugins.perturbation;

import java.util.ArrayList;
import java.util.List;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Heatmap;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Model;
import org.xcam.api.Objective;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.Tensor;

/** Plumbing shared by the perturbation methods: options, batched forwards, target resolution, layer maps. */
final class Common {
  private Common() { }

  static final OptionSpec BATCH_SIZE = new OptionSpec("batch-size", "32",
      "images (or activations) per engine call; the batch is the memory bound: masks are made per batch");
  static final OptionSpec MAX_PASSES = new OptionSpec("max-passes", "0",
      "stop with an error after this many engine calls (0 = no limit; the request's own budget also applies)");

  static final OptionSpec PARALLEL = new OptionSpec("parallel", "auto",
      "engine calls in flight at once, each on its own thread (the map does not change): auto asks the engine (DJL: the"
          + " cores, it runs one thread per call; ONNX: 1, or cores / threads with --engine-option threads=T), or 1-64");

  /** Option {@code parallel}: 1-64, or 0 for {@code auto} (see {@link #parallelFor}). */
  static int parallel(Options o, String method) {
    String v = o.getString("parallel");
    if (v != null && v.trim().equals("auto")) return 0;
    int p;
    try {
      p = Integer.parseInt(v == null ? "" : v.trim());
    } catch (NumberFormatException e) {
      throw new InvalidInputException("option parallel of " + method + " must be auto or a whole number in [1, 64], got '" + v + "'");
    }
    if (p < 1 || p > 64) throw new InvalidInputException("option parallel of " + method + " must be auto or in [1, 64], got " + p);
    return p;
  }

  /** The calls in flight for {@code model}: the option, or for {@code auto} (0) the engine's {@link Model#concurrency()}. */
  static int parallelFor(int option, Model model) {
    return option > 0 ? option : Math.max(1, Math.min(64, model.concurrency()));
  }

  static int batchSize(Options o, String method) {
    int b = o.getInt("batch-size");
    if (b < 1) throw new InvalidInputException("option batch-size of " + method + " must be >= 1, got " + b);
    return b;
  }

  static long maxPasses(Options o, String method) {
    long m = o.getLong("max-passes");
    if (m < 0) throw new InvalidInputException("option max-passes of " + method + " must be >= 0 (0 = no limit), got " + m);
    return m;
  }

  /** The layers to explain at: the request's, or the model's default. */
  static List<String> layers(Model model, ExplainRequest request) {
    List<String> ls = request.layers().isEmpty() ? java.util.Arrays.asList(model.info().defaultLayer()) : request.layers();
    // an attention layer has no map to weight: refused here, before any pass (unknown layers fail here too)
    for (String l : ls) if (l != null) model.info().layer(l).layout().requireSpatial("this method", l);
    return ls;
  }

  /** The model's outputs on the request's images, in batches of {@code batch} (one budgeted pass each). */
  static Tensor forward(Model model, Tensor x, int batch, Work work) {
    int n = x.dim(0);
    if (n <= batch) {
      work.beforePass();
      return model.forward(x);
    }
    List<Tensor> parts = new ArrayList<>();
    for (int i = 0; i < n; i += batch) {
      work.beforePass();
      parts.add(model.forward(x.slice(i, Math.min(n, i + batch))));
    }
    return Tensor.concat(parts);
  }

  /** The objectives of each image, resolved from the target and the image's output row. */
  static List<List<Objective>> objectives(Model model, ExplainRequest request, Tensor outputs) {
    int n = request.size(), k = outputs.dim(1);
    List<List<Objective>> out = new ArrayList<>(n);
    float[] row = new float[k];
    for (int i = 0; i < n; i++) {
      outputs.copyTo(i * k, row, 0, k);
      out.add(request.target(i).resolve(model.info(), row.clone()));
    }
    return out;
  }

  static float[] row(Tensor outputs, int i) {
    int k = outputs.dim(1);
    float[] r = new float[k];
    outputs.copyTo(i * k, r, 0, k);
    return r;
  }

  /** {@code ReLU(sum_k w_k A_k)} over one image's activation {@code a[off .. off + K*hw)}. */
  static float[] weightedRelu(float[] a, int off, double[] w, int hw) {
    double[] acc = new double[hw];
    for (int k = 0; k < w.length; k++) {
      double wk = w[k];
      if (wk == 0) continue;
      int base = off + k * hw;
      for (int p = 0; p < hw; p++) acc[p] += wk * a[base + p];
    }
    float[] m = new float[hw];
    for (int p = 0; p < hw; p++) m[p] = (float) Math.max(0, acc[p]);
    return m;
  }

  /**
   * One raw heatmap from per-layer maps: a single layer keeps its own resolution; several layers are each min-max
   * normalised, resized to the input (half-pixel bilinear) and averaged, as pytorch-grad-cam aggregates layers.
   */
  static Heatmap combine(String method, List<String> layers, List<float[]> maps, List<int[]> sizes, String target,
                         int inputH, int inputW) {
    if (maps.size() == 1) {
      int[] s = sizes.get(0);
      return Heatmap.of(maps.get(0), s[0], s[1], method, layers.get(0), target, Heatmap.Resolution.LAYER);
    }
    float[] sum = new float[inputH * inputW];
    for (int l = 0; l < maps.size(); l++) {
      int[] s = sizes.get(l);
      Heatmap h = Heatmap.of(maps.get(l), s[0], s[1], method, layers.get(l), target, Heatmap.Resolution.LAYER);
      float[] v = h.toInput(inputH, inputW).values();
      for (int p = 0; p < sum.length; p++) sum[p] += v[p] / maps.size();
    }
    return Heatmap.of(sum, inputH, inputW, method, String.join("+", layers), target, Heatmap.Resolution.INPUT);
  }

  /** Softmax of {@code s}, in double, stable. */
  static double[] softmax(double[] s) {
    double m = Double.NEGATIVE_INFINITY;
    for (double v : s) m = Math.max(m, v);
    double z = 0;
    double[] e = new double[s.length];
    for (int i = 0; i < s.length; i++) {
      e[i] = Math.exp(s[i] - m);
      z += e[i];
    }
    for (int i = 0; i < s.length; i++) e[i] /= z;
    return e;
  }
}
