package org.xcam.spark;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xcam.api.InvalidInputException;

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
    this.methods = List.copyOf(b.methods);
    this.methodOptions = copy(b.methodOptions);
    this.metrics = List.copyOf(b.metrics);
    this.metricOptions = copy(b.metricOptions);
    this.target = b.target;
    this.seed = b.seed;
    this.batch = b.batch;
    this.overlays = b.overlays;
    this.resamples = b.resamples;
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

  public static final class Builder {
    private final ModelRef model;
    private List<String> methods = List.of();
    private Map<String, Map<String, String>> methodOptions = Map.of();
    private List<String> metrics = List.of();
    private Map<String, Map<String, String>> metricOptions = Map.of();
    private String target = "predicted";
    private long seed;
    private int batch = 8;
    private int overlays = 12;
    private int resamples = 1000;
    private int partitions;
    private boolean maps = true;
    private Map<String, String> readerOptions = Map.of();
    private ExplainSpec.Failure failure = ExplainSpec.Failure.NONE;

    private Builder(ModelRef model) { this.model = model; }

    public Builder methods(List<String> m) { this.methods = List.copyOf(m); return this; }
    public Builder methodOptions(Map<String, Map<String, String>> o) { this.methodOptions = o; return this; }
    public Builder metrics(List<String> m) { this.metrics = List.copyOf(m); return this; }
    public Builder metricOptions(Map<String, Map<String, String>> o) { this.metricOptions = o; return this; }
    public Builder target(String t) {
      String v = t.trim().toLowerCase(Locale.ROOT);
      if (!v.equals("predicted") && !v.equals("truth")) {
        throw new InvalidInputException("--target for evaluate is '" + t + "'; use predicted or truth");
      }
      this.target = v;
      return this;
    }
    public Builder seed(long s) { this.seed = s; return this; }
    public Builder batch(int b) {
      if (b < 1) throw new InvalidInputException("--batch must be >= 1, got " + b);
      this.batch = b;
      return this;
    }
    public Builder overlays(int n) { this.overlays = Math.max(0, n); return this; }
    public Builder bootstrapResamples(int n) { this.resamples = Math.max(1, n); return this; }
    public Builder partitions(int p) {
      if (p < 0) throw new InvalidInputException("--partitions must be >= 0, got " + p);
      this.partitions = p;
      return this;
    }
    public Builder maps(boolean m) { this.maps = m; return this; }
    public Builder readerOptions(Map<String, String> o) { this.readerOptions = Map.copyOf(o); return this; }
    Builder failure(ExplainSpec.Failure f) { this.failure = f; return this; }

    public EvaluateSpec build() {
      if (methods.isEmpty()) throw new InvalidInputException("no methods given; pass --methods a,b (xcam list shows them)");
      if (metrics.isEmpty()) throw new InvalidInputException("no metrics given; pass --metrics m1,m2 (xcam list shows them)");
      return new EvaluateSpec(this);
    }
  }
}
