package org.xcam.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What to explain for one image. Resolved against the model and its output into one or more {@link Objective}s.
 *
 * <ul>
 *   <li>{@link #classIndex(int)}: a fixed class ({@code --target 2}).</li>
 *   <li>{@link #predicted()}: the top-1 output ({@code --target predicted}, the default).</li>
 *   <li>{@link #aboveThreshold(double)}: every label whose probability (sigmoid, or softmax for multiclass) is above
 *       the threshold; one map each ({@code --target all} = 0.5, or {@code all:0.3}). A model whose outputs are
 *       already probabilities ({@link OutputKind#PROBABILITIES}) is thresholded directly.</li>
 *   <li>{@link #none()}: category-independent; the model's documented scalar
 *       ({@link Objectives#categoryIndependent(ModelInfo)}) ({@code --target none}).</li>
 *   <li>{@link #regression(int)}: the raw output i of a regression model.</li>
 * </ul>
 *
 * <pre>{@code
 * Target t = Target.parse("predicted");
 * List<Objective> objectives = t.resolve(model.info(), logitsRow);
 * }</pre>
 */
public sealed interface Target {
  static Target classIndex(int k) { return new ClassIndex(k); }
  static Target predicted() { return Predicted.INSTANCE; }
  static Target aboveThreshold(double p) { return new AboveThreshold(p); }
  static Target none() { return None.INSTANCE; }
  static Target regression(int output) { return new Regression(output); }

  /** Parses the CLI form: an index, {@code predicted}, {@code all}, {@code all:P}, {@code none}, {@code regression[:i]}. */
  static Target parse(String s) {
    String v = s.trim().toLowerCase(Locale.ROOT);
    try {
      if (v.equals("predicted") || v.equals("top1")) return predicted();
      if (v.equals("none")) return none();
      if (v.equals("all")) return aboveThreshold(0.5);
      if (v.startsWith("all:")) return aboveThreshold(Double.parseDouble(v.substring(4)));
      if (v.equals("regression")) return regression(0);
      if (v.startsWith("regression:")) return regression(Integer.parseInt(v.substring(11)));
      int k = Integer.parseInt(v);
      if (k < 0) throw new NumberFormatException();
      return classIndex(k);
    } catch (NumberFormatException e) {
      throw new InvalidInputException("bad target '" + s + "'; use a class index (0, 1, ...), predicted, all, all:P, none or regression[:i]");
    }
  }

  /** The objectives this target stands for, given the model and one image's output row (K values). */
  List<Objective> resolve(ModelInfo model, float[] output);

  /** A short form for manifests: {@code 2}, {@code predicted}, {@code all:0.5}, {@code none}. */
  String spec();

  record ClassIndex(int index) implements Target {
    @Override public List<Objective> resolve(ModelInfo model, float[] output) {
      if (index < 0 || index >= model.numOutputs()) {
        throw new InvalidInputException("target index " + index + " out of range; model '" + model.name() + "' has "
            + model.numOutputs() + " outputs: 0.." + (model.numOutputs() - 1) + " " + model.labels());
      }
      return List.of(model.task() == Task.REGRESSION ? Objectives.output(index, model.label(index))
          : Objectives.classScore(index, model.label(index), model.outputs()));
    }
    @Override public String spec() { return Integer.toString(index); }
  }

  final class Predicted implements Target {
    static final Predicted INSTANCE = new Predicted();
    private Predicted() { }
    @Override public List<Objective> resolve(ModelInfo model, float[] output) {
      int k = Objectives.argmax(output);
      return new ClassIndex(k).resolve(model, output);
    }
    @Override public String spec() { return "predicted"; }
    @Override public String toString() { return "predicted"; }
  }

  record AboveThreshold(double threshold) implements Target {
    public AboveThreshold {
      if (!(threshold >= 0 && threshold < 1)) {
        throw new InvalidInputException("target all:" + threshold + " needs a probability P with 0 <= P < 1 (labels above P get a"
            + " map each), e.g. all:0.5");
      }
    }

    @Override public List<Objective> resolve(ModelInfo model, float[] output) {
      double[] p = new double[output.length];
      if (model.outputsProbabilities()) {
        for (int i = 0; i < p.length; i++) p[i] = output[i];
      } else if (model.task() == Task.MULTICLASS) {
        double m = Double.NEGATIVE_INFINITY, s = 0;
        for (float v : output) m = Math.max(m, v);
        for (float v : output) s += Math.exp(v - m);
        for (int i = 0; i < p.length; i++) p[i] = Math.exp(output[i] - m) / s;
      } else {
        for (int i = 0; i < p.length; i++) p[i] = Objectives.sigmoid(output[i]);
      }
      List<Objective> out = new ArrayList<>();
      for (int i = 0; i < p.length; i++) if (p[i] > threshold) out.add(Objectives.classScore(i, model.label(i), model.outputs()));
      int top = Objectives.argmax(output);
      if (out.isEmpty()) out.add(Objectives.classScore(top, model.label(top), model.outputs()));
      return out;
    }
    @Override public String spec() { return "all:" + threshold; }
  }

  final class None implements Target {
    static final None INSTANCE = new None();
    private None() { }
    @Override public List<Objective> resolve(ModelInfo model, float[] output) {
      return List.of(Objectives.categoryIndependent(model));
    }
    @Override public String spec() { return "none"; }
    @Override public String toString() { return "none"; }
  }

  record Regression(int output) implements Target {
    @Override public List<Objective> resolve(ModelInfo model, float[] out) {
      if (output < 0 || output >= model.numOutputs()) {
        throw new InvalidInputException("regression output " + output + " out of range; the model has " + model.numOutputs() + " outputs");
      }
      return List.of(Objectives.output(output, model.label(output)));
    }
    @Override public String spec() { return "regression:" + output; }
  }
}
