package org.xcam.cli.options;

import java.util.ArrayList;
import java.util.List;
import org.xcam.api.InvalidInputException;
import org.xcam.api.MetricContext;
import org.xcam.api.Model;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.api.spi.MetricProvider;
import org.xcam.runtime.Xcam;
import org.xcam.runtime.eval.EvaluationSettings;
import picocli.CommandLine.Option;

/**
 * The options {@code xcam evaluate} and {@code xcam spark evaluate} share word for word (a picocli mixin): the dataset,
 * the methods and their options, the metrics' options, target, limit, seed, batch size and overlays. Those whose help
 * differs between the two ({@code --metrics}, {@code --task}, {@code --classifier}, {@code --out}, {@code --window},
 * {@code --no-progress}, the model) stay in each command. The values are checked where both commands' builders check
 * them: {@link EvaluationSettings}.
 */
public final class EvaluateOptions {
  @Option(names = "--dataset", required = true, description = "Dataset spec (see above), e.g. phantom:500.")
  public String dataset;

  @Option(names = "--methods", required = true, split = ",",
      description = "Method names, comma-separated, or 'all' for every installed method the model supports.")
  public List<String> methods;

  @Option(names = "--target", defaultValue = "predicted",
      description = "predicted (explain the model's top-1) or truth (explain the ground-truth label). Default: ${DEFAULT-VALUE}.")
  public String target;

  @Option(names = "--limit", defaultValue = "0", description = "Use at most N images (0 = all). Default: ${DEFAULT-VALUE}.")
  public int limit;

  @Option(names = "--seed", defaultValue = "0", description = "Seed for methods, metrics, phantoms and the bootstrap. Default: ${DEFAULT-VALUE}.")
  public long seed;

  @Option(names = "--batch", defaultValue = "8", description = "Images per explain call. Default: ${DEFAULT-VALUE}.")
  public int batch;

  @Option(names = "--overlays", defaultValue = "12", description = "Draw overlays for the first N images. Default: ${DEFAULT-VALUE}.")
  public int overlays;

  @Option(names = "--method-option", description = "method.option=value (repeatable), e.g. --method-option scorecam.batch-size=16.")
  public List<String> methodOptions = new ArrayList<>();

  @Option(names = "--metric-option", description = "metric.option=value (repeatable), e.g. --metric-option insertion.steps=50.")
  public List<String> metricOptions = new ArrayList<>();

  /**
   * Sets {@code --method-option}, {@code --metric-option} and {@code --target} on an evaluation builder, in that order
   * (the order both commands check them in; each then sets the rest, {@code xcam evaluate} with {@code --limit} next).
   */
  public <B extends EvaluationSettings<B>> B applyTo(B b) {
    return b.methodOptions(KeyValues.scoped(methodOptions, "--method-option"))
        .metricOptions(KeyValues.scoped(metricOptions, "--metric-option"))
        .target(target);
  }

  /** {@code --methods}: the names given, or for {@code all} every installed method {@code model} supports. */
  public List<String> methodNames(Xcam xcam, java.util.function.Supplier<Model> model) {
    if (!methods.contains("all")) return methods;
    Model m = model.get();
    List<String> out = new ArrayList<>();
    for (ExplainerProvider p : xcam.explainers().values()) if (m.capabilities().containsAll(p.requires())) out.add(p.name());
    if (out.isEmpty()) throw new InvalidInputException("no installed method runs on model '" + m.info().name() + "'");
    return out;
  }

  /** {@code --metrics}: the names given, or for {@code all} every installed metric a labelled dataset can feed. */
  public static List<String> metricNames(Xcam xcam, List<String> metrics) {
    if (!metrics.contains("all")) return metrics;
    List<String> out = new ArrayList<>();
    for (MetricProvider p : xcam.metrics().values()) {
      if (p.needs().contains(MetricContext.Need.SALIENCY) || p.needs().contains(MetricContext.Need.SEVERITY)) continue;
      out.add(p.name());
    }
    return out;
  }
}
