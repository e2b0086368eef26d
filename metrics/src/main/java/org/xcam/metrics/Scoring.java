package org.xcam.metrics;

import java.util.function.IntFunction;
import org.xcam.api.InputSpec;
import org.xcam.api.InvalidInputException;
import org.xcam.api.MetricContext;
import org.xcam.api.Model;
import org.xcam.api.Objective;
import org.xcam.api.Objectives;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.Task;
import org.xcam.api.Tensor;

/**
 * The model side of the faithfulness metrics: scores perturbed copies of the explained input in batches, converts
 * between the model's normalised input and pixel space, and builds baselines.
 *
 * <p>Scores ({@code score} option): {@code auto} is the explained class's probability, softmax for a multiclass model
 * and sigmoid for a multilabel one (the output itself when the model's outputs are probabilities), and the objective's raw value for regression or category-independent objectives;
 * {@code softmax}, {@code sigmoid} and {@code logit} force one. Perturbations that mean "pixel values" (masking
 * {@code x ⊙ M}, the zeros baseline) act in pixel space {@code x * std + mean}, so "zeros" is a black image whatever
 * the normalisation; a blur commutes with the per-channel affine map, so it runs on the normalised tensor directly.
 */
final class Scoring {
  final Model model;
  final Objective objective;
  final String mode;
  final int batch;
  final int c, h, w;
  final float[] mean, std;
  final float[] input;

  static OptionSpec scoreOption(String dflt) {
    return new OptionSpec("score", dflt, "model score: auto (softmax/sigmoid probability of the explained class), softmax, sigmoid or logit");
  }

  static OptionSpec batchOption() {
    return new OptionSpec("batch-size", "64", "perturbed images per forward pass (per-call overhead dominates small models: batch widely)");
  }

  Scoring(MetricContext ctx, Options o) {
    this(ctx.model(), ctx.input(), ctx.objective(), o.getChoice("score", "auto", "softmax", "sigmoid", "logit"),
        o.getInt("batch-size"));
  }

  Scoring(Model model, Tensor in, Objective objective, String mode, int batch) {
    this.model = model;
    this.objective = objective;
    this.mode = mode;
    if (batch < 1) throw new InvalidInputException("option batch-size must be >= 1, got " + batch);
    this.batch = batch;
    if (in.rank() != 4 || in.dim(0) != 1) {
      throw new InvalidInputException("a faithfulness metric scores one image [1, C, H, W]; got " + java.util.Arrays.toString(in.shape()));
    }
    this.c = in.dim(1);
    this.h = in.dim(2);
    this.w = in.dim(3);
    InputSpec spec = model.info().input();
    if (spec.channels() == c) {
      this.mean = spec.mean();
      this.std = spec.std();
    } else {
      this.mean = new float[c];
      this.std = new float[c];
      java.util.Arrays.fill(std, 1f);
    }
    this.input = in.toArray();
  }

  int pixels() { return h * w; }

  /** The explained class: the objective's, or the model's top-1 on the input for category-independent objectives. */
  int explainedClass(float[] outputRow) {
    return objective.classIndex() >= 0 ? objective.classIndex() : Objectives.argmax(outputRow);
  }

  /** The score of one output row (see the class documentation). */
  double score(float[] row) {
    int k = objective.classIndex();
    String m = mode;
    if ("auto".equals(m)) {
      Task t = model.info().task();
      if (k < 0 || t == Task.REGRESSION || model.info().outputsProbabilities()) return objective.value(row);
      m = t == Task.MULTILABEL ? "sigmoid" : "softmax";
    }
    if (k < 0) return objective.value(row);
    return switch (m) {
      case "softmax" -> softmax(row, k);
      case "sigmoid" -> Objectives.sigmoid(row[k]);
      default -> objective.value(row);
    };
  }

  static double softmax(float[] row, int k) {
    double max = Double.NEGATIVE_INFINITY, s = 0;
    for (float v : row) max = Math.max(max, v);
    for (float v : row) s += Math.exp(v - max);
    return Math.exp(row[k] - max) / s;
  }

  /** Scores {@code n} images (each C*H*W in the normalised input space), {@code batch} per forward pass. */
  double[] scores(int n, IntFunction<float[]> image) {
    double[] out = new double[n];
    forEachOutput(n, image, (i, row) -> out[i] = score(row));
    return out;
  }

  interface RowConsumer { void accept(int index, float[] row); }

  /** Runs the model over {@code n} generated images in batches and hands each output row over. */
  void forEachOutput(int n, IntFunction<float[]> image, RowConsumer sink) {
    int per = c * h * w;
    for (int from = 0; from < n; from += batch) {
      int m = Math.min(batch, n - from);
      float[] buf = new float[m * per];
      for (int j = 0; j < m; j++) System.arraycopy(image.apply(from + j), 0, buf, j * per, per);
      Tensor y = model.forward(Tensor.wrap(buf, m, c, h, w));
      int k = y.dim(1);
      for (int j = 0; j < m; j++) {
        float[] row = new float[k];
        y.copyTo(j * k, row, 0, k);
        sink.accept(from + j, row);
      }
    }
  }

  /** One output row for one image. */
  float[] output(float[] image) {
    float[][] r = new float[1][];
    forEachOutput(1, i -> image, (i, row) -> r[0] = row);
    return r[0];
  }

  /** The heatmap at the input's H x W (bilinear if it differs). */
  float[] heatmap(MetricContext ctx) { return MapOps.valuesAt(ctx.heatmap(), h, w); }

  /** {@code x ⊙ M} in pixel space (M is H x W, broadcast over channels), back in the normalised space. */
  float[] masked(float[] mask) {
    float[] out = new float[input.length];
    for (int ch = 0; ch < c; ch++) {
      for (int p = 0; p < h * w; p++) {
        int i = ch * h * w + p;
        float pix = input[i] * std[ch] + mean[ch];
        out[i] = (pix * mask[p] - mean[ch]) / std[ch];
      }
    }
    return out;
  }

  /** A baseline image: {@code zeros} (black in pixel space) or {@code blur} (Gaussian, standard deviation sigma). */
  float[] baseline(String kind, double sigma) {
    return switch (kind) {
      case "zeros" -> masked(new float[h * w]);
      case "blur" -> blur(input, c, h, w, sigma);
      default -> throw new InvalidInputException("unknown baseline '" + kind + "'; use blur or zeros");
    };
  }

  /**
   * Separable Gaussian blur of each channel plane: kernel {@code exp(-d²/2σ²)} over {@code |d| <= ceil(3σ)},
   * normalised to sum 1, borders replicated.
   */
  static float[] blur(float[] x, int c, int h, int w, double sigma) {
    if (sigma <= 0) return x.clone();
    int r = (int) Math.ceil(3 * sigma);
    double[] k = new double[2 * r + 1];
    double s = 0;
    for (int d = -r; d <= r; d++) { k[d + r] = Math.exp(-d * d / (2 * sigma * sigma)); s += k[d + r]; }
    for (int i = 0; i < k.length; i++) k[i] /= s;
    float[] out = new float[x.length];
    float[] tmp = new float[h * w];
    for (int ch = 0; ch < c; ch++) {
      int off = ch * h * w;
      for (int y = 0; y < h; y++) {
        for (int xx = 0; xx < w; xx++) {
          double a = 0;
          for (int d = -r; d <= r; d++) a += k[d + r] * x[off + y * w + Math.min(w - 1, Math.max(0, xx + d))];
          tmp[y * w + xx] = (float) a;
        }
      }
      for (int y = 0; y < h; y++) {
        for (int xx = 0; xx < w; xx++) {
          double a = 0;
          for (int d = -r; d <= r; d++) a += k[d + r] * tmp[Math.min(h - 1, Math.max(0, y + d)) * w + xx];
          out[off + y * w + xx] = (float) a;
        }
      }
    }
    return out;
  }

  /** {@code base} with the pixels {@code order[0..count)} (all channels) taken from {@code from}. */
  float[] replace(float[] base, float[] from, int[] order, int count) {
    float[] out = base.clone();
    for (int j = 0; j < count; j++) {
      int p = order[j];
      for (int ch = 0; ch < c; ch++) out[ch * h * w + p] = from[ch * h * w + p];
    }
    return out;
  }
}
