package org.xcam.spark;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xcam.api.InvalidInputException;
import org.xcam.runtime.eval.EvaluationSettings;

/**
 * What {@link XcamSpark#evaluate} computes: {@code xcam evaluate}'s settings (methods and metrics with their options,
 * target {@code predicted} or {@code truth}, seed, batch size, overlays, bootstrap resamples). Serializable: it
 * travels to the executors with each task.
 */
public final class EvaluateSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  private final ModelRef model;
  private final List<String> methods;
  private final Map<String, Map<String, String>> methodOptions;
  private final List<String> metrics;
  private final Map<String, Map<String, String>> metricOptions;
  private final String target;
  private final long seed;
  private final int batch;
  private final int overlays;
  private final int resamples;
  private final int partitions;
  private final boolean maps;
  private final Map<String, String> readerOptions;
  private final ExplainSpec.Failure failure;

  private EvaluateSpec(Builder b) {
    this.model = b.model;
    this.methods = b.methods();
    this.methodOptions = copy(b.methodOptions());
    this.metrics = b.metrics();
    this.metricOptions = copy(b.metricOptions());
    this.target = b.target();
    this.seed = b.seed();
    this.batch = b.batch();
    this.overlays = b.overlays();
    this.resamples = b.bootstrapResamples();
    this.partitions = b.partitions;
    this.maps = b.maps;
    this.readerOptions = Map.copyOf(b.readerOptions);
    this.failure = b.failure;
  }

  private static Map<String, Map<String, String>> copy(Map<String, Map<String, String>> m) {
    Map<String, Map<String, String>> o = new LinkedHashMap<>();
    m.forEach((k, v) -> o.put(k, Map.copyOf(v)));
    return Map.copyOf(o);
  }

  public static Builder builder(ModelRef model) { return new Builder(model); }

  public ModelRef model() { return model; }
  public List<String> methods() { return methods; }
  public Map<String, Map<String, String>> methodOptions() { return methodOptions; }
  public List<String> metrics() { return metrics; }
  public Map<String, Map<String, String>> metricOptions() { return metricOptions; }
  /** {@code predicted} or {@code truth}. */
  public String target() { return target; }
  public long seed() { return seed; }
  public int batch() { return batch; }
  /** Overlays are drawn for the images with ordinal below this. */
  public int overlays() { return overlays; }
  public int resamples() { return resamples; }
  public int partitions() { return partitions; }
  public boolean maps() { return maps; }
  /** Image-reader options (e.g. {@code window} for DICOM). */
  public Map<String, String> readerOptions() { return readerOptions; }
  ExplainSpec.Failure failure() { return failure; }

  Map<String, Object> settings() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("model", model.model());
    s.put("engine", model.engine() == null ? "" : model.engine());
    s.put("device", model.device());
    s.put("metrics", metrics);
    s.put("metricOptions", metricOptions);
    s.put("target", target);
    s.put("seed", seed);
    s.put("maps", maps);
    s.put("readerOptions", new java.util.TreeMap<>(readerOptions));
    return s;
  }

  /**
   * The evaluation settings are those of {@code xcam evaluate}'s builder and are checked there
   * ({@link EvaluationSettings}); this builder adds where the model comes from and how Spark splits the work.
   */
  public static final class Builder extends EvaluationSettings<Builder> {
    private final ModelRef model;
    private int partitions;
    private boolean maps = true;
    private Map<String, String> readerOptions = Map.of();
    private ExplainSpec.Failure failure = ExplainSpec.Failure.NONE;

    private Builder(ModelRef model) { this.model = model; }

    public Builder partitions(int p) {
      if (p < 0) throw new InvalidInputException("--partitions must be >= 0, got " + p);
      this.partitions = p;
      return this;
    }
    public Builder maps(boolean m) { this.maps = m; return this; }
    public Builder readerOptions(Map<String, String> o) { this.readerOptions = Map.copyOf(o); return this; }
    Builder failure(ExplainSpec.Failure f) { this.failure = f; return this; }

    public EvaluateSpec build() {
      checkMethodsAndMetrics(methods(), metrics());
      return new EvaluateSpec(this);
    }
  }
}
