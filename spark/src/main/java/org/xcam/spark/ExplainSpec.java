package org.xcam.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xcam.api.Box;
import org.xcam.api.InvalidInputException;

/**
 * What {@link XcamSpark#explain} computes: the model, the methods with their options, the layers, the target, the seed
 * and the batch size, exactly as {@code xcam explain} takes them; plus how the output is laid out. Immutable and
 * serializable: it travels to the executors with each task.
 *
 * <pre>{@code
 * ExplainSpec spec = ExplainSpec.builder(ModelRef.of("hdfs:///models/densenet121-nih"))
 *     .methods(List.of("gradcam", "scorecam")).option("scorecam", "batch-size", "32")
 *     .target("predicted").seed(0).batch(16).build();
 * }</pre>
 */
public final class ExplainSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Test hook: make tasks fail on purpose (the retry and resume tests). */
  enum Failure { NONE, FIRST_ATTEMPT_OF_PARTITION_0, EVERY_ATTEMPT_OF_PARTITION_0 }

  private final ModelRef model;
  private final List<String> methods;
  private final Map<String, Map<String, String>> options;
  private final List<String> layers;
  private final List<String> targets;
  private final long seed;
  private final int batch;
  private final int partitions;
  private final boolean maps;
  private final Map<String, double[]> regions;
  private final Map<String, String> readerOptions;
  private final Failure failure;

  private ExplainSpec(Builder b) {
    this.model = b.model;
    this.methods = List.copyOf(b.methods);
    Map<String, Map<String, String>> o = new LinkedHashMap<>();
    b.options.forEach((k, v) -> o.put(k, Map.copyOf(v)));
    this.options = Map.copyOf(o);
    this.layers = List.copyOf(b.layers);
    this.targets = List.copyOf(b.targets);
    this.seed = b.seed;
    this.batch = b.batch;
    this.partitions = b.partitions;
    this.maps = b.maps;
    this.regions = new LinkedHashMap<>(b.regions);
    this.readerOptions = Map.copyOf(b.readerOptions);
    this.failure = b.failure;
  }

  public static Builder builder(ModelRef model) { return new Builder(model); }

  public ModelRef model() { return model; }
  public List<String> methods() { return methods; }
  /** The options of one method (empty for none). */
  public Map<String, String> options(String method) { return options.getOrDefault(method, Map.of()); }
  public Map<String, Map<String, String>> options() { return options; }
  public List<String> layers() { return layers; }
  /** One target spec for every image, or one per image in input order (by ordinal). */
  public List<String> targets() { return targets; }
  public long seed() { return seed; }
  public int batch() { return batch; }
  /** Spark partitions of the work (0: chosen from the cluster's parallelism). */
  public int partitions() { return partitions; }
  /** Whether rows carry the normalised map as .npy bytes (the raw map is always there). */
  public boolean maps() { return maps; }
  /** Anatomical regions (name -> x0, y0, x1, y1 in model-input pixels) to attribute each map to; empty for none. */
  public Map<String, Box> regions() {
    Map<String, Box> r = new LinkedHashMap<>();
    regions.forEach((k, v) -> r.put(k, Box.of(v[0], v[1], v[2], v[3], k)));
    return r;
  }
  /** Image-reader options (e.g. {@code window} for DICOM), as {@code xcam explain --window} gives them. */
  public Map<String, String> readerOptions() { return readerOptions; }
  Failure failure() { return failure; }

  /** The target spec of the image with this ordinal. */
  public String target(long ordinal) {
    if (targets.size() == 1) return targets.get(0);
    if (ordinal >= targets.size()) {
      throw new InvalidInputException("--target has " + targets.size() + " values but there are more images; give one value for all or one per image");
    }
    return targets.get((int) ordinal);
  }

  /** What a rerun into the same output must keep equal (the manifest's "settings"). */
  Map<String, Object> settings() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("model", model.model());
    s.put("engine", model.engine() == null ? "" : model.engine());
    s.put("device", model.device());
    s.put("layers", layers);
    s.put("target", String.join(",", targets));
    s.put("seed", seed);
    s.put("maps", maps);
    Map<String, Object> r = new LinkedHashMap<>();
    regions.forEach((k, v) -> r.put(k, List.of(v[0], v[1], v[2], v[3])));
    s.put("regions", r);
    s.put("readerOptions", new java.util.TreeMap<>(readerOptions));
    return s;
  }

  public static final class Builder {
    private final ModelRef model;
    private List<String> methods = List.of();
    private final Map<String, Map<String, String>> options = new LinkedHashMap<>();
    private List<String> layers = List.of();
    private List<String> targets = List.of("predicted");
    private long seed;
    private int batch = 16;
    private int partitions;
    private boolean maps = true;
    private final Map<String, double[]> regions = new LinkedHashMap<>();
    private Map<String, String> readerOptions = Map.of();
    private Failure failure = Failure.NONE;

    private Builder(ModelRef model) { this.model = model; }

    public Builder methods(List<String> m) {
      if (m.isEmpty()) throw new InvalidInputException("no methods given; pass --method a,b (xcam list shows them)");
      this.methods = List.copyOf(m);
      return this;
    }
    public Builder option(String method, String name, String value) {
      options.computeIfAbsent(method, k -> new LinkedHashMap<>()).put(name, value);
      return this;
    }
    public Builder options(String method, Map<String, String> o) {
      options.computeIfAbsent(method, k -> new LinkedHashMap<>()).putAll(o);
      return this;
    }
    public Builder layers(List<String> l) { this.layers = List.copyOf(l); return this; }
    /** {@code predicted}, a class index, {@code all[:P]}, {@code none}, {@code regression[:i]}; or a comma-separated list, one per image. */
    public Builder target(String t) {
      List<String> l = new ArrayList<>();
      for (String p : t.split(",")) l.add(p.trim());
      this.targets = l;
      return this;
    }
    public Builder seed(long s) { this.seed = s; return this; }
    public Builder batch(int b) {
      if (b < 1) throw new InvalidInputException("--batch must be >= 1, got " + b);
      this.batch = b;
      return this;
    }
    public Builder partitions(int p) {
      if (p < 0) throw new InvalidInputException("--partitions must be >= 0, got " + p);
      this.partitions = p;
      return this;
    }
    public Builder maps(boolean m) { this.maps = m; return this; }
    public Builder regions(Map<String, Box> r) {
      r.forEach((k, b) -> regions.put(k, new double[] {b.x0(), b.y0(), b.x1(), b.y1()}));
      return this;
    }
    /** Image-reader options, e.g. {@code Map.of("window", "2048,4096")} for DICOM. */
    public Builder readerOptions(Map<String, String> o) { this.readerOptions = Map.copyOf(o); return this; }
    Builder failure(Failure f) { this.failure = f; return this; }

    public ExplainSpec build() {
      if (methods.isEmpty()) throw new InvalidInputException("no methods given; pass --method a,b (xcam list shows them)");
      return new ExplainSpec(this);
    }
  }
}
