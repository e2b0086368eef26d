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
  private final EvaluationSettings.Values evaluation;
  private final int partitions;
  private final boolean maps;
  private final Map<String, String> readerOptions;
  private final ExplainSpec.Failure failure;

  private EvaluateSpec(Builder b) {
    this.model = b.model;
    this.evaluation = b.values();
    this.partitions = b.partitions;
    this.maps = b.maps;
    this.readerOptions = Map.copyOf(b.readerOptions);
    this.failure = b.failure;
  }

  public static Builder builder(ModelRef model) { return new Builder(model); }

  public ModelRef model() { return model; }
  /** The evaluation settings, as {@code xcam evaluate}'s builder checked them. */
  public EvaluationSettings.Values evaluation() { return evaluation; }
  public List<String> methods() { return evaluation.methods(); }
  public Map<String, Map<String, String>> methodOptions() { return evaluation.methodOptions(); }
  public List<String> metrics() { return evaluation.metrics(); }
  public Map<String, Map<String, String>> metricOptions() { return evaluation.metricOptions(); }
  /** {@code predicted} or {@code truth}. */
  public String target() { return evaluation.target(); }
  public long seed() { return evaluation.seed(); }
  public int batch() { return evaluation.batch(); }
  /** Overlays are drawn for the images with ordinal below this. */
  public int overlays() { return evaluation.overlays(); }
  public int resamples() { return evaluation.bootstrapResamples(); }
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
    s.put("metrics", metrics());
    s.put("metricOptions", metricOptions());
    s.put("target", target());
    s.put("seed", seed());
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
      EvaluationSettings.Values v = values();
      checkMethodsAndMetrics(v.methods(), v.metrics());
      return new EvaluateSpec(this);
    }
  }
}
