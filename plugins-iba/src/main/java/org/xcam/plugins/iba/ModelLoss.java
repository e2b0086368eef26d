package org.xcam.plugins.iba;

import org.xcam.api.InvalidInputException;
import org.xcam.api.Objective;
import org.xcam.api.Task;

/**
 * The model term of the bottleneck's loss, as a function of one output row (K values): its value and its gradient
 * dLoss/dOutput. All are written in Java so engines only run the tail and its VJP.
 *
 * <ul>
 *   <li>{@link #crossEntropy}: multiclass, {@code -log softmax(y)_k = logsumexp(y) - y_k}, gradient
 *       {@code softmax(y) - onehot(k)}.</li>
 *   <li>{@link #binaryCrossEntropy}: multilabel, BCE with label 1 on output k, {@code log(1 + exp(-y_k))},
 *       gradient {@code sigmoid(y_k) - 1} at k.</li>
 *   <li>{@link #regression}: for regression models, on output i: {@code mse} {@code (y_i - t)^2}; {@code dv}
 *       {@code (y_i - y_i(X))^2} (deviation from the unmodified input's output); {@code rm} {@code -y_i^2} (see
 *       {@link RegressionLoss#RM}).</li>
 *   <li>{@link #objective}: any other objective (category-independent targets): {@code -objective(y)}, i.e. the
 *       bottleneck keeps what keeps the objective high.</li>
 * </ul>
 */
public interface ModelLoss {
  double value(float[] y);

  double[] gradient(float[] y);

  /** Regression objectives of Regression IBA (option {@code loss=mse|rm|dv}). */
  enum RegressionLoss {
    /** {@code (Phi(Z) - y)^2} with a given target value y (option {@code target-value}). */
    MSE,
    /**
     * Regression maximisation, {@code Phi(Z)^2}. The issue lists it as "RM Phi(Z)^2"; read literally as a loss to
     * minimise it would keep the features that pull the score to zero, which explains nothing for a severity score. We
     * take the sign that makes the bottleneck keep the information that sustains a large output: the model term is
     * {@code -Phi(Z)^2} (documented choice; with Inverse IBA's {@code -model_loss} it becomes {@code +Phi(Z)^2}).
     */
    RM,
    /** {@code (Phi(Z) - Phi(X))^2}: keep the output where it is on the unmodified input. The default. */
    DV;

    public static RegressionLoss fromId(String s) {
      return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
        case "mse" -> MSE;
        case "rm" -> RM;
        case "dv" -> DV;
        default -> throw new InvalidInputException("unknown regression loss '" + s + "'; use mse, rm or dv");
      };
    }
  }

  static ModelLoss crossEntropy(int k) {
    return new ModelLoss() {
      @Override public double value(float[] y) {
        double m = Double.NEGATIVE_INFINITY, s = 0;
        for (float v : y) m = Math.max(m, v);
        for (float v : y) s += Math.exp(v - m);
        return m + Math.log(s) - y[k];
      }
      @Override public double[] gradient(float[] y) {
        double m = Double.NEGATIVE_INFINITY, s = 0;
        for (float v : y) m = Math.max(m, v);
        for (float v : y) s += Math.exp(v - m);
        double[] g = new double[y.length];
        for (int i = 0; i < y.length; i++) g[i] = Math.exp(y[i] - m) / s;
        g[k] -= 1;
        return g;
      }
    };
  }

  static ModelLoss binaryCrossEntropy(int k) {
    return new ModelLoss() {
      @Override public double value(float[] y) {
        double v = y[k];
        // log(1 + exp(-v)), stable for both signs
        return v > 0 ? Math.log1p(Math.exp(-v)) : -v + Math.log1p(Math.exp(v));
      }
      @Override public double[] gradient(float[] y) {
        double[] g = new double[y.length];
        g[k] = 1 / (1 + Math.exp(-y[k])) - 1;
        return g;
      }
    };
  }

  static ModelLoss regression(int i, RegressionLoss loss, double target, double cleanOutput) {
    return new ModelLoss() {
      @Override public double value(float[] y) {
        double v = y[i];
        return switch (loss) {
          case MSE -> (v - target) * (v - target);
          case DV -> (v - cleanOutput) * (v - cleanOutput);
          case RM -> -v * v;
        };
      }
      @Override public double[] gradient(float[] y) {
        double v = y[i];
        double[] g = new double[y.length];
        g[i] = switch (loss) {
          case MSE -> 2 * (v - target);
          case DV -> 2 * (v - cleanOutput);
          case RM -> -2 * v;
        };
        return g;
      }
    };
  }

  static ModelLoss objective(Objective o) {
    return new ModelLoss() {
      @Override public double value(float[] y) { return -o.value(y); }
      @Override public double[] gradient(float[] y) {
        float[] g = o.gradient(y);
        double[] d = new double[g.length];
        for (int i = 0; i < g.length; i++) d[i] = -g[i];
        return d;
      }
    };
  }

  /**
   * The documented model loss for an objective on a task: cross-entropy (multiclass), binary cross-entropy (multilabel
   * and anatomy detection), the regression loss (regression), or {@code -objective} for category-independent
   * objectives (class index -1).
   *
   * @param cleanRow the model's output on the unmodified input (for {@code dv})
   */
  /**
   * As {@link #forObjective(Task, Objective, RegressionLoss, double, float[])} for a model whose class outputs are
   * already probabilities (it applies sigmoid or softmax itself): {@code -log p_k} (cross-entropy and BCE with label 1
   * both reduce to it), {@code p_k} clamped at 1e-12.
   */
  static ModelLoss forObjective(Task task, boolean probabilities, Objective objective, RegressionLoss regression, double target,
                                float[] cleanRow) {
    int k = objective.classIndex();
    if (!probabilities || k < 0 || task == Task.REGRESSION) return forObjective(task, objective, regression, target, cleanRow);
    if (k >= cleanRow.length) {
      throw new InvalidInputException("target index " + k + " out of range; the model has " + cleanRow.length + " outputs");
    }
    return negativeLogProbability(k);
  }

  /** {@code -log p_k} on a probability output, gradient {@code -1/p_k} at k ({@code p_k} clamped at 1e-12). */
  static ModelLoss negativeLogProbability(int k) {
    return new ModelLoss() {
      @Override public double value(float[] y) { return -Math.log(Math.max(y[k], 1e-12)); }
      @Override public double[] gradient(float[] y) {
        double[] g = new double[y.length];
        g[k] = y[k] > 1e-12 ? -1.0 / y[k] : 0;
        return g;
      }
    };
  }

  static ModelLoss forObjective(Task task, Objective objective, RegressionLoss regression, double target, float[] cleanRow) {
    int k = objective.classIndex();
    if (k < 0) return objective(objective);
    if (k >= cleanRow.length) {
      throw new InvalidInputException("target index " + k + " out of range; the model has " + cleanRow.length + " outputs");
    }
    return switch (task) {
      case MULTICLASS -> crossEntropy(k);
      case MULTILABEL, ANATOMY_DETECTION -> binaryCrossEntropy(k);
      case REGRESSION -> regression(k, regression, target, cleanRow[k]);
    };
  }
}
