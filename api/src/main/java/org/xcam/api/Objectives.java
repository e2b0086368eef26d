package org.xcam.api;

import java.util.List;

/**
 * The built-in objectives.
 *
 * <ul>
 *   <li>{@link #logit}: the raw output (logit) of class k, as pytorch-grad-cam's {@code ClassifierOutputTarget}.
 *       Used for class-discriminative methods on multiclass and multilabel models (sigmoid and softmax are monotone
 *       in it).</li>
 *   <li>{@link #logSumExp}: {@code log sum_k exp(y_k)}, the category-independent scalar for multiclass models.</li>
 *   <li>{@link #sumSigmoid}: {@code sum_k sigmoid(y_k)}, the category-independent scalar for multilabel models.</li>
 *   <li>{@link #maxLogit}: {@code max_k y_k} (gradient one-hot at the arg-max).</li>
 *   <li>{@link #output}: the raw output i of a regression model.</li>
 *   <li>{@link #classScore}: output k as it is, named for what it is ({@link OutputKind}): the logit, or the
 *       probability of a model that applies sigmoid/softmax itself.</li>
 *   <li>{@link #sumOfProbabilities}, {@link #sumOfSquaredProbabilities}: the category-independent scalars of models
 *       whose outputs are probabilities (see {@link #categoryIndependent(ModelInfo)}).</li>
 * </ul>
 */
public final class Objectives {
  private Objectives() { }

  public static Objective logit(int k, String label) {
    return new Objective() {
      @Override public String describe() { return "logit of class " + k + " (" + label + ")"; }
      @Override public int classIndex() { return k; }
      @Override public double value(float[] y) { check(y, k); return y[k]; }
      @Override public float[] gradient(float[] y) {
        check(y, k);
        float[] g = new float[y.length];
        g[k] = 1f;
        return g;
      }
    };
  }

  /**
   * Output k used as it is (the gradient is one-hot at k), described as a logit or a probability per {@code kind}.
   * For a probability model this is the probability itself: a method explains what the model outputs, whatever
   * post-processing (sigmoid, operating-point rescaling) produced it.
   */
  public static Objective classScore(int k, String label, OutputKind kind) {
    if (kind != OutputKind.PROBABILITIES) return logit(k, label);
    Objective base = logit(k, label);
    return new Objective() {
      @Override public String describe() { return "probability of class " + k + " (" + label + ")"; }
      @Override public int classIndex() { return k; }
      @Override public double value(float[] y) { return base.value(y); }
      @Override public float[] gradient(float[] y) { return base.gradient(y); }
    };
  }

  public static Objective output(int i, String label) {
    Objective base = logit(i, label);
    return new Objective() {
      @Override public String describe() { return "regression output " + i + " (" + label + ")"; }
      @Override public int classIndex() { return i; }
      @Override public double value(float[] y) { return base.value(y); }
      @Override public float[] gradient(float[] y) { return base.gradient(y); }
    };
  }

  public static Objective logSumExp() {
    return new Objective() {
      @Override public String describe() { return "log-sum-exp of the logits (category-independent)"; }
      @Override public int classIndex() { return -1; }
      @Override public double value(float[] y) {
        double m = max(y), s = 0;
        for (float v : y) s += Math.exp(v - m);
        return m + Math.log(s);
      }
      @Override public float[] gradient(float[] y) {
        double m = max(y), s = 0;
        for (float v : y) s += Math.exp(v - m);
        float[] g = new float[y.length];
        for (int i = 0; i < y.length; i++) g[i] = (float) (Math.exp(y[i] - m) / s);
        return g;
      }
      @Override public double[] hessianVector(float[] y, double[] u) { // (diag(p) - p p^T) u
        double m = max(y), s = 0, pu = 0;
        double[] p = new double[y.length];
        for (int i = 0; i < y.length; i++) s += p[i] = Math.exp(y[i] - m);
        for (int i = 0; i < y.length; i++) pu += (p[i] /= s) * u[i];
        double[] out = new double[y.length];
        for (int i = 0; i < y.length; i++) out[i] = p[i] * (u[i] - pu);
        return out;
      }
    };
  }

  public static Objective sumSigmoid() {
    return new Objective() {
      @Override public String describe() { return "sum of sigmoids of the logits (category-independent)"; }
      @Override public int classIndex() { return -1; }
      @Override public double value(float[] y) {
        double s = 0;
        for (float v : y) s += sigmoid(v);
        return s;
      }
      @Override public float[] gradient(float[] y) {
        float[] g = new float[y.length];
        for (int i = 0; i < y.length; i++) {
          double p = sigmoid(y[i]);
          g[i] = (float) (p * (1 - p));
        }
        return g;
      }
      @Override public double[] hessianVector(float[] y, double[] u) { // diag(p (1 - p) (1 - 2 p)) u
        double[] out = new double[y.length];
        for (int i = 0; i < y.length; i++) {
          double p = sigmoid(y[i]);
          out[i] = p * (1 - p) * (1 - 2 * p) * u[i];
        }
        return out;
      }
    };
  }

  public static Objective maxLogit() {
    return new Objective() {
      @Override public String describe() { return "largest logit (category-independent)"; }
      @Override public int classIndex() { return -1; }
      @Override public double value(float[] y) { return max(y); }
      @Override public float[] gradient(float[] y) {
        float[] g = new float[y.length];
        g[argmax(y)] = 1f;
        return g;
      }
    };
  }

  /** The documented category-independent objective for a task: log-sum-exp (multiclass), sum of sigmoids (multilabel), sum of outputs (regression). */
  public static Objective categoryIndependent(Task task) {
    return switch (task) {
      case MULTILABEL -> sumSigmoid();
      case REGRESSION -> sumOfOutputs();
      default -> logSumExp();
    };
  }

  /**
   * The category-independent objective for a model: {@link #categoryIndependent(Task)} when its outputs are logits;
   * when they are probabilities, the sum of the probabilities for multilabel (and anatomy) models (equal to the sum
   * of sigmoids when the model's last step is a sigmoid), and the sum of squared probabilities for multiclass models
   * (the plain sum of a softmax is always 1 and has no gradient; {@code sum p_k^2} has gradient {@code 2 p_k}, which
   * weights every class by its probability as log-sum-exp does for logits). Regression: the sum of the outputs.
   */
  public static Objective categoryIndependent(ModelInfo model) {
    if (!model.outputsProbabilities()) return categoryIndependent(model.task());
    return switch (model.task()) {
      case MULTICLASS -> sumOfSquaredProbabilities();
      case REGRESSION -> sumOfOutputs();
      default -> sumOfProbabilities();
    };
  }

  /** {@code sum_k p_k} over a probability model's outputs (category-independent, multilabel). */
  public static Objective sumOfProbabilities() {
    Objective base = sumOfOutputs();
    return new Objective() {
      @Override public String describe() { return "sum of the probabilities (category-independent)"; }
      @Override public int classIndex() { return -1; }
      @Override public double value(float[] y) { return base.value(y); }
      @Override public float[] gradient(float[] y) { return base.gradient(y); }
    };
  }

  /** {@code sum_k p_k^2} over a probability model's outputs (category-independent, multiclass); gradient {@code 2 p}. */
  public static Objective sumOfSquaredProbabilities() {
    return new Objective() {
      @Override public String describe() { return "sum of squared probabilities (category-independent)"; }
      @Override public int classIndex() { return -1; }
      @Override public double value(float[] y) {
        double s = 0;
        for (float v : y) s += (double) v * v;
        return s;
      }
      @Override public float[] gradient(float[] y) {
        float[] g = new float[y.length];
        for (int i = 0; i < y.length; i++) g[i] = 2 * y[i];
        return g;
      }
    };
  }

  public static Objective sumOfOutputs() {
    return new Objective() {
      @Override public String describe() { return "sum of the outputs (category-independent)"; }
      @Override public int classIndex() { return -1; }
      @Override public double value(float[] y) {
        double s = 0;
        for (float v : y) s += v;
        return s;
      }
      @Override public float[] gradient(float[] y) {
        float[] g = new float[y.length];
        java.util.Arrays.fill(g, 1f);
        return g;
      }
    };
  }

  /** Gradients for a batch where row i uses {@code objectives.get(i)}. */
  public static Tensor gradients(List<Objective> objectives, Tensor output) {
    int n = output.dim(0), k = output.dim(1);
    if (objectives.size() != n) throw new IllegalArgumentException(objectives.size() + " objectives for a batch of " + n);
    float[] g = new float[n * k];
    float[] row = new float[k];
    for (int i = 0; i < n; i++) {
      output.copyTo(i * k, row, 0, k);
      System.arraycopy(objectives.get(i).gradient(row), 0, g, i * k, k);
    }
    return Tensor.wrap(g, n, k);
  }

  /** Values for a batch where row i uses {@code objectives.get(i)}. */
  public static double[] values(List<Objective> objectives, Tensor output) {
    int n = output.dim(0), k = output.dim(1);
    double[] v = new double[n];
    float[] row = new float[k];
    for (int i = 0; i < n; i++) {
      output.copyTo(i * k, row, 0, k);
      v[i] = objectives.get(i).value(row);
    }
    return v;
  }

  public static double sigmoid(double v) { return 1 / (1 + Math.exp(-v)); }

  public static int argmax(float[] y) {
    int b = 0;
    for (int i = 1; i < y.length; i++) if (y[i] > y[b]) b = i;
    return b;
  }

  private static double max(float[] y) {
    double m = Double.NEGATIVE_INFINITY;
    for (float v : y) m = Math.max(m, v);
    return m;
  }

  private static void check(float[] y, int k) {
    if (k < 0 || k >= y.length) {
      throw new InvalidInputException("target index " + k + " out of range; the model has " + y.length + " outputs (0.." + (y.length - 1) + ")");
    }
  }
}
