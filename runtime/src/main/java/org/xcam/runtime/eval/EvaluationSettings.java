package org.xcam.runtime.eval;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xcam.api.InvalidInputException;

/**
 * The settings every evaluation builder shares: methods and metrics with their options, target ({@code predicted} or
 * {@code truth}), seed, batch size, overlays and bootstrap resamples. {@link Evaluation.Builder} ({@code xcam evaluate})
 * and xcam-spark's {@code EvaluateSpec.Builder} ({@code xcam spark evaluate}) both extend it, so each setting is checked
 * in this one place and both fail with the same one-line message.
 *
 * @param <B> the concrete builder, which every setter returns
 */
public abstract class EvaluationSettings<B extends EvaluationSettings<B>> {
  List<String> methods = List.of();
  Map<String, Map<String, String>> methodOptions = Map.of();
  List<String> metrics = List.of();
  Map<String, Map<String, String>> metricOptions = Map.of();
  String target = "predicted";
  long seed;
  int batch = 8;
  int overlays = 12;
  int resamples = 1000;

  protected EvaluationSettings() { }

  @SuppressWarnings("unchecked")
  private B self() { return (B) this; }

  public B methods(List<String> m) { this.methods = List.copyOf(m); return self(); }
  /** Options per method name. */
  public B methodOptions(Map<String, Map<String, String>> o) { this.methodOptions = Map.copyOf(o); return self(); }
  public B metrics(List<String> m) { this.metrics = List.copyOf(m); return self(); }
  /** Options per metric name. */
  public B metricOptions(Map<String, Map<String, String>> o) { this.metricOptions = Map.copyOf(o); return self(); }

  /** {@code predicted} (explain the model's top-1) or {@code truth} (explain the ground-truth label). */
  public B target(String t) {
    String v = t.trim().toLowerCase(Locale.ROOT);
    if (!v.equals("predicted") && !v.equals("truth")) {
      throw new InvalidInputException("--target for evaluate is '" + t + "'; use predicted or truth");
    }
    this.target = v;
    return self();
  }

  public B seed(long s) { this.seed = s; return self(); }

  /** Images per explain call. */
  public B batch(int b) {
    if (b < 1) throw new InvalidInputException("--batch must be >= 1, got " + b);
    this.batch = b;
    return self();
  }

  /** Overlays are drawn for the first n images. */
  public B overlays(int n) { this.overlays = Math.max(0, n); return self(); }
  public B bootstrapResamples(int n) { this.resamples = Math.max(1, n); return self(); }

  /** The settings as set so far, immutable. */
  public Values values() {
    return new Values(methods, methodOptions, metrics, metricOptions, target, seed, batch, overlays, resamples);
  }

  /** Sets every setting from {@code v}, each through its checked setter above. */
  public B values(Values v) {
    return methods(v.methods()).methodOptions(v.methodOptions()).metrics(v.metrics()).metricOptions(v.metricOptions())
        .target(v.target()).seed(v.seed()).batch(v.batch()).overlays(v.overlays()).bootstrapResamples(v.bootstrapResamples());
  }

  /** {@code --limit}: at most this many dataset entries (0 = all); returns {@code n} when it is not negative. */
  public static int checkLimit(int n) {
    if (n < 0) throw new InvalidInputException("--limit must be >= 0, got " + n);
    return n;
  }

  /** An evaluation needs at least one method and one metric. */
  protected static void checkMethodsAndMetrics(List<String> methods, List<String> metrics) {
    if (methods.isEmpty()) throw new InvalidInputException("no methods given; pass --methods a,b (xcam list shows them)");
    if (metrics.isEmpty()) throw new InvalidInputException("no metrics given; pass --metrics m1,m2 (xcam list shows them)");
  }

  /**
   * The settings of {@link #values()}: immutable (the option maps too) and serializable, so that xcam-spark can ship
   * them to its executors.
   */
  public record Values(List<String> methods, Map<String, Map<String, String>> methodOptions, List<String> metrics,
                       Map<String, Map<String, String>> metricOptions, String target, long seed, int batch, int overlays,
                       int bootstrapResamples) implements Serializable {
    private static final long serialVersionUID = 1L;

    public Values {
      methods = List.copyOf(methods);
      methodOptions = deepCopy(methodOptions);
      metrics = List.copyOf(metrics);
      metricOptions = deepCopy(metricOptions);
    }

    private static Map<String, Map<String, String>> deepCopy(Map<String, Map<String, String>> m) {
      Map<String, Map<String, String>> o = new java.util.LinkedHashMap<>();
      m.forEach((k, v) -> o.put(k, Map.copyOf(v)));
      return Map.copyOf(o);
    }
  }
}
