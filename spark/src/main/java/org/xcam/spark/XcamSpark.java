package org.xcam.spark;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_except;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.size;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Model;
import org.xcam.api.OptionSpec;
import org.xcam.api.Target;
import org.xcam.api.bundle.Json;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.api.spi.MetricProvider;
import org.xcam.runtime.Xcam;
import org.xcam.runtime.eval.EvaluationSettings;
import org.xcam.runtime.eval.Summary;

/**
 * xcam on Apache Spark: {@code xcam explain} and {@code xcam evaluate} over a whole archive, one Spark task per
 * partition of the images, with the model loaded once per executor JVM ({@link ModelCache}).
 *
 * <pre>{@code
 * SparkSession spark = SparkSession.builder().appName("audit").getOrCreate();
 * Dataset<Row> images = Inputs.images(spark, List.of("hdfs:///cxr/images/*.png"), 0);
 * ExplainSpec spec = ExplainSpec.builder(ModelRef.of("hdfs:///models/densenet121-nih"))
 *     .methods(List.of("gradcam", "scorecam")).build();
 * XcamSpark.Outcome o = XcamSpark.explainTo(spark, images, spec, "hdfs:///audit/run1", false, Map.of());
 * spark.read().parquet("hdfs:///audit/run1/explanations").groupBy("method").count().show();
 * }</pre>
 *
 * <p><b>What is equal to the single-JVM run.</b> Images are batched as {@code xcam explain} / {@code xcam evaluate}
 * batch them ({@code batch} images in input order form a chunk, and a chunk never straddles two tasks), each task
 * runs the same calls ({@code Explainer.explain}; for evaluate, {@code Evaluation}'s own per-batch step), and the
 * evaluation summary is computed with Spark SQL from the same values in the same order with the same bootstrap seeds
 * ({@link Summary}), so raw maps, metrics and the summary equal those of the single-JVM commands.
 *
 * <p><b>Nothing lost, nothing twice.</b> A bad image becomes a row with its {@code error} (counted in the
 * {@link Outcome}), never a failed task. The output table is written through Spark's file commit protocol, so the
 * rows of a failed task attempt never reach it and a retried task's rows appear once; committed tasks' files are
 * placed at task commit (FileOutputCommitter algorithm 2), so a killed job keeps the work of its finished tasks, and a
 * rerun into the same output anti-joins the inputs with the rows already there ({@code path} or, for phantoms,
 * {@code id}, and method) and computes only what is missing.
 */
public final class XcamSpark {
  private XcamSpark() { }

  /** The table folder under the output of {@link #explainTo}. */
  public static final String EXPLANATIONS = "explanations";
  /** The table folder under the output of {@link #evaluateTo}. */
  public static final String EVALUATIONS = "evaluations";

  /**
   * What a run did.
   *
   * @param images     input images (files, phantoms, table entries)
   * @param computed   images that had work to do this run (the rest were complete in the output already)
   * @param rowsAdded  rows this run added to the table
   * @param rows       rows in the table now
   * @param errorRows  rows in the table with an error (bad images, failed methods, skipped images)
   * @param seconds    wall time of the run
   * @param jobSeconds wall time of the Spark job that explained and wrote the rows (the rest is checks, planning and
   *                   counting: a fixed cost per run)
   */
  public record Outcome(String out, long images, long computed, long rowsAdded, long rows, long errorRows, double seconds,
                        double jobSeconds) {
    public long resumed() { return images - computed; }
  }

  // ------------------------------------------------------------------ explain

  /**
   * The explanation rows ({@link Schemas#EXPLAIN}) of {@code images} (a table as {@link Inputs} makes, or any table
   * with a {@code path} column), computed lazily when the result is used. Settings are checked (on the driver, with
   * the model loaded there) before this returns.
   */
  public static Dataset<Row> explain(SparkSession spark, Dataset<Row> images, ExplainSpec spec) {
    Dataset<Row> in = normalise(spark, images);
    checkExplain(spark, spec, in);
    Plan todo = plan(spark, withTodo(in, spec.methods(), null), spec.batch(), spec.partitions());
    return todo.rows() == 0 ? spark.createDataFrame(List.of(), Schemas.EXPLAIN) : run(spark, todo.work(), spec, null);
  }

  /**
   * Explains {@code images} into {@code out}: the Parquet table {@code out/explanations} (partitioned by method),
   * {@code out/manifest.json}, and with {@code files} the per-image files {@code xcam explain} writes
   * ({@code <stem>.<method>.raw.npy}, {@code .npy}, {@code .png}). Resumes: rows already in the table are kept and
   * not computed again.
   */
  public static Outcome explainTo(SparkSession spark, Dataset<Row> images, ExplainSpec spec, String out, boolean files,
                                  Map<String, Object> manifestExtras) {
    Instant t0 = Instant.now();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Dataset<Row> in = normalise(spark, images);
    ModelCache.Loaded loaded = checkExplain(spark, spec, in);
    out = Output.prepare(conf, out);
    Map<String, Object> settings = spec.settings();
    Map<String, Object> methods = new LinkedHashMap<>();
    for (String m : spec.methods()) methods.put(m, methodEntry(loaded.xcam().explainerProvider(m), spec.options(m)));
    methods = checkManifest(conf, out, "xcam spark explain", settings, methods);
    String table = out + "/" + EXPLANATIONS;
    Map<String, Object> manifest = manifest("xcam spark explain", spark, loaded.model(), settings, methods, t0);
    manifest.put("batch", spec.batch());
    manifest.putAll(manifestExtras);
    Output.write(conf, out, "manifest.json", Json.write(manifest));

    long images0 = in.count();
    Plan todo = plan(spark, withTodo(in, spec.methods(), existing(spark, table)), spec.batch(), spec.partitions());
    long before = Output.exists(conf, table) ? spark.read().parquet(table).count() : 0;
    double jobSeconds = 0;
    try {
      if (todo.rows() > 0) {
        long j0 = System.nanoTime();
        write(run(spark, todo.work(), spec, files ? out : null), table);
        jobSeconds = (System.nanoTime() - j0) / 1e9;
      }
    } finally {
      todo.release();
      in.unpersist();
    }
    return finish(spark, conf, out, table, manifest, t0, images0, todo.rows(), before, jobSeconds);
  }

  private static ModelCache.Loaded checkExplain(SparkSession spark, ExplainSpec spec, Dataset<Row> in) {
    ModelCache.Loaded loaded = ModelCache.get(spec.model(), spark.sparkContext().hadoopConfiguration());
    Xcam xcam = loaded.xcam();
    Model model = loaded.model();
    for (String m : spec.methods()) {
      ExplainerProvider p = xcam.explainerProvider(m);
      model.require(p.requires(), p.name());
      xcam.explainer(m, spec.options(m)); // unknown options fail here
    }
    for (String l : spec.layers()) model.info().layer(l);
    for (String t : spec.targets()) Target.parse(t);
    if (spec.targets().size() > 1) {
      long n = in.count();
      if (n != spec.targets().size()) {
        throw new InvalidInputException("--target has " + spec.targets().size() + " values for " + n
            + " images; give one value for all or one per image");
      }
    }
    checkUnique(in);
    return loaded;
  }

  private static Dataset<Row> run(SparkSession spark, Dataset<Row> todo, ExplainSpec spec, String filesDir) {
    HadoopConf conf = new HadoopConf(spark.sparkContext().hadoopConfiguration());
    return todo.mapPartitions(new ExplainTask(spec, conf, filesDir), Encoders.row(Schemas.EXPLAIN));
  }

  // ------------------------------------------------------------------ evaluate

  /** The evaluation rows ({@link Schemas#evaluate}) of {@code images}, computed lazily. Settings are checked first. */
  public static Dataset<Row> evaluate(SparkSession spark, Dataset<Row> images, EvaluateSpec spec) {
    Dataset<Row> in = limit(normalise(spark, images), 0);
    checkEvaluate(spark, spec, in);
    Plan todo = plan(spark, withTodo(in, spec.methods(), null), spec.batch(), spec.partitions());
    return todo.rows() == 0 ? spark.createDataFrame(List.of(), Schemas.evaluate(spec.metrics()))
        : run(spark, todo.work(), spec, null);
  }

  /**
   * Evaluates {@code images} into {@code out}: the Parquet table {@code out/evaluations} (partitioned by method),
   * {@code summary.csv} and {@code summary.json} computed with Spark SQL ({@link SparkSummary}), overlay PNGs for the
   * first {@code overlays} images under {@code out/overlays}, and {@code manifest.json}. Resumes as
   * {@link #explainTo} does.
   *
   * @param limit at most this many images (the first by ordinal; 0 = all)
   */
  public static Outcome evaluateTo(SparkSession spark, Dataset<Row> images, EvaluateSpec spec, String out, String datasetSpec,
                                   int limit) {
    Instant t0 = Instant.now();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    EvaluationSettings.checkLimit(limit);
    Dataset<Row> in = limit(normalise(spark, images), limit);
    ModelCache.Loaded loaded = checkEvaluate(spark, spec, in);
    out = Output.prepare(conf, out);
    Map<String, Object> settings = spec.settings();
    settings.put("dataset", datasetSpec);
    settings.put("limit", limit);
    Map<String, Object> methods = new LinkedHashMap<>();
    for (String m : spec.methods()) {
      methods.put(m, methodEntry(loaded.xcam().explainerProvider(m), spec.methodOptions().getOrDefault(m, Map.of())));
    }
    methods = checkManifest(conf, out, "xcam spark evaluate", settings, methods);
    String table = out + "/" + EVALUATIONS;
    Map<String, Object> manifest = manifest("xcam spark evaluate", spark, loaded.model(), settings, methods, t0);
    Map<String, Object> mk = new LinkedHashMap<>();
    for (String k : spec.metrics()) {
      MetricProvider p = loaded.xcam().metricProvider(k);
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("description", p.description());
      d.put("range", List.of(p.range().min(), p.range().max()));
      d.put("higherIsBetter", p.range().higherIsBetter());
      d.put("options", optionsOf(p.options(), spec.metricOptions().getOrDefault(k, Map.of())));
      mk.put(k, d);
    }
    manifest.put("metrics", mk);
    manifest.put("batch", spec.batch());
    manifest.put("bootstrapResamples", spec.resamples());
    manifest.put("seeds", "explanations use --seed; metric on image i (0-based, dataset order) uses seed + i; bootstrap uses seed");
    Output.write(conf, out, "manifest.json", Json.write(manifest));

    long images0 = in.count();
    Plan todo = plan(spark, withTodo(in, spec.methods(), existing(spark, table)), spec.batch(), spec.partitions());
    long before = Output.exists(conf, table) ? spark.read().parquet(table).count() : 0;
    double jobSeconds = 0;
    try {
      if (todo.rows() > 0) {
        long j0 = System.nanoTime();
        write(run(spark, todo.work(), spec, spec.overlays() > 0 ? out + "/overlays" : null), table);
        jobSeconds = (System.nanoTime() - j0) / 1e9;
      }
    } finally {
      todo.release();
      in.unpersist();
    }
    if (Output.exists(conf, table)) {
      SparkSummary.Result s = SparkSummary.of(spark, spark.read().parquet(table), spec, loaded.xcam(), datasetSpec);
      Output.write(conf, out, "summary.csv", s.csv());
      Output.write(conf, out, "summary.json", s.json());
    }
    return finish(spark, conf, out, table, manifest, t0, images0, todo.rows(), before, jobSeconds);
  }

  private static ModelCache.Loaded checkEvaluate(SparkSession spark, EvaluateSpec spec, Dataset<Row> in) {
    ModelCache.Loaded loaded = ModelCache.get(spec.model(), spark.sparkContext().hadoopConfiguration());
    EvaluateTask.evaluation(spec, loaded, false).step(); // unknown methods/metrics/options, capabilities, needs
    Schemas.evaluate(spec.metrics());
    checkUnique(in);
    return loaded;
  }

  private static Dataset<Row> run(SparkSession spark, Dataset<Row> todo, EvaluateSpec spec, String overlayDir) {
    HadoopConf conf = new HadoopConf(spark.sparkContext().hadoopConfiguration());
    return todo.mapPartitions(new EvaluateTask(spec, conf, overlayDir), Encoders.row(Schemas.evaluate(spec.metrics())));
  }

  // ------------------------------------------------------------------ shared

  /**
   * Fills in what a user-made image table lacks: {@code ordinal} (the table's order), {@code id} (the file stem),
   * and null {@code phantom_seed}, {@code records}, {@code source}, {@code error}.
   */
  static Dataset<Row> normalise(SparkSession spark, Dataset<Row> images) {
    List<String> cols = Arrays.asList(images.columns());
    if (!cols.contains("path") && !cols.contains("phantom_seed")) {
      throw new InvalidInputException("the image table has columns " + cols + "; it needs a path column (or phantom_seed)");
    }
    Dataset<Row> d = images;
    if (!cols.contains("path")) d = d.withColumn("path", lit(null).cast(DataTypes.StringType));
    if (!cols.contains("phantom_seed")) d = d.withColumn("phantom_seed", lit(null).cast(DataTypes.LongType));
    if (!cols.contains("id")) {
      d = d.withColumn("id", org.apache.spark.sql.functions.udf(
          (org.apache.spark.sql.api.java.UDF2<String, Long, String>) (p, s) -> p != null ? Inputs.stem(p) : "phantom-" + s,
          DataTypes.StringType).apply(col("path"), col("phantom_seed")));
    }
    for (String c : List.of("records", "source", "error")) {
      if (!cols.contains(c)) d = d.withColumn(c, lit(null).cast(Inputs.SCHEMA.apply(c).dataType()));
    }
    if (!cols.contains("ordinal")) {
      Dataset<Row> base = d.select("id", "path", "phantom_seed", "records", "source", "error");
      org.apache.spark.sql.types.StructType s = base.schema().add("ordinal", DataTypes.LongType, false);
      d = spark.createDataFrame(base.javaRDD().zipWithIndex().map(t -> {
        Object[] v = new Object[7];
        for (int i = 0; i < 6; i++) v[i] = t._1().get(i);
        v[6] = t._2();
        return org.apache.spark.sql.RowFactory.create(v);
      }), s);
    }
    // read several times (count, duplicate check, plan): a table or a listing is not read again each time
    return d.select(Arrays.stream(Inputs.SCHEMA.fieldNames()).map(org.apache.spark.sql.functions::col).toArray(Column[]::new))
        .persist(StorageLevel.MEMORY_AND_DISK());
  }

  private static Dataset<Row> limit(Dataset<Row> in, int limit) {
    return limit > 0 ? in.filter(col("ordinal").lt(limit)) : in;
  }

  /** Fails when two inputs share an id: the output (and xcam explain's file names) are keyed by it. */
  private static void checkUnique(Dataset<Row> in) {
    List<Row> dup = in.groupBy("id").agg(org.apache.spark.sql.functions.count(lit(1)).as("n"),
            org.apache.spark.sql.functions.collect_list(coalesce(col("path"), col("id"))).as("where"))
        .filter(col("n").gt(1)).limit(1).collectAsList();
    if (!dup.isEmpty()) {
      List<Object> where = dup.get(0).getList(2);
      throw new InvalidInputException(dup.get(0).getLong(1) + " inputs have the id '" + dup.get(0).getString(0) + "' ("
          + where.subList(0, Math.min(2, where.size())) + "): outputs are keyed by the file stem; rename one, or explain them in separate runs");
    }
  }

  /** The (key, methods done) of the rows already in a table, or null when there is none. */
  private static Dataset<Row> existing(SparkSession spark, String table) {
    if (!Output.exists(spark.sparkContext().hadoopConfiguration(), table)) return null;
    return spark.read().parquet(table).select(coalesce(col("path"), col("id")).as("_key"), col("method"))
        .groupBy("_key").agg(collect_set("method").as("_done"));
  }

  /** The inputs with the methods each still needs ({@code todo}); those that need none are dropped. */
  private static Dataset<Row> withTodo(Dataset<Row> in, List<String> methods, Dataset<Row> done) {
    Column all = array(methods.stream().map(org.apache.spark.sql.functions::lit).toArray(Column[]::new));
    if (done == null) return in.withColumn("todo", all);
    return in.join(done, coalesce(col("path"), col("id")).equalTo(col("_key")), "left")
        .withColumn("todo", array_except(all, coalesce(col("_done"), array().cast(DataTypes.createArrayType(DataTypes.StringType)))))
        .filter(size(col("todo")).gt(0))
        .drop("_key", "_done");
  }

  /** The work of a run: the images that need a method, chunked and partitioned; {@code rows} of them. */
  private record Plan(Dataset<Row> work, long rows, Dataset<Row> cached) {
    void release() { cached.unpersist(); }
  }

  /**
   * Chunks of {@code batch} images in ordinal order, range-partitioned so that a chunk stays whole in one task and each
   * task's rows come in ordinal order.
   */
  private static Plan plan(SparkSession spark, Dataset<Row> todo, int batch, int partitions) {
    Dataset<Row> chunked = todo.withColumn("chunk", floor(col("ordinal").divide(batch)).cast(DataTypes.LongType))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Row counts = chunked.agg(org.apache.spark.sql.functions.count(lit(1)),
        org.apache.spark.sql.functions.countDistinct(col("chunk"))).first();
    long n = counts.getLong(0);
    long chunks = counts.getLong(1);
    int parts = partitions > 0 ? partitions
        : (int) Math.max(1, Math.min(chunks, 4L * spark.sparkContext().defaultParallelism()));
    return new Plan(chunked.repartitionByRange(parts, col("chunk")).sortWithinPartitions("ordinal"), n, chunked);
  }

  /**
   * Appends rows to a table through Spark's commit protocol (a failed attempt's files never reach the table), with
   * FileOutputCommitter algorithm 2 so that each task's files are in place once the task commits.
   */
  private static void write(Dataset<Row> rows, String table) {
    rows.write().mode(SaveMode.Append).partitionBy("method")
        .option("mapreduce.fileoutputcommitter.algorithm.version", "2")
        .parquet(table);
  }

  private static Outcome finish(SparkSession spark, Configuration conf, String out, String table, Map<String, Object> manifest,
                                Instant t0, long images, long computed, long before, double jobSeconds) {
    long rows = 0;
    long errors = 0;
    if (Output.exists(conf, table)) {
      Row r = spark.read().parquet(table).agg(org.apache.spark.sql.functions.count(lit(1)),
          org.apache.spark.sql.functions.count(col("error"))).first();
      rows = r.getLong(0);
      errors = r.getLong(1);
    }
    double secs = Duration.between(t0, Instant.now()).toMillis() / 1000.0;
    manifest.put("finished", Instant.now().toString());
    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("images", images);
    counts.put("computedThisRun", computed);
    counts.put("alreadyDone", images - computed);
    counts.put("rowsAdded", rows - before);
    counts.put("rows", rows);
    counts.put("errorRows", errors);
    counts.put("seconds", secs);
    counts.put("jobSeconds", jobSeconds);
    manifest.put("counts", counts);
    Output.write(conf, out, "manifest.json", Json.write(manifest));
    return new Outcome(out, images, computed, rows - before, rows, errors, secs, jobSeconds);
  }

  private static Map<String, Object> methodEntry(ExplainerProvider p, Map<String, String> given) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("options", optionsOf(p.options(), given));
    e.put("cost", p.cost());
    e.put("categoryIndependent", p.categoryIndependent());
    return e;
  }

  private static Map<String, String> optionsOf(List<OptionSpec> specs, Map<String, String> given) {
    Map<String, String> o = new LinkedHashMap<>();
    for (OptionSpec s : specs) o.put(s.name(), given.getOrDefault(s.name(), s.defaultValue()));
    return o;
  }

  private static Map<String, Object> manifest(String tool, SparkSession spark, Model model, Map<String, Object> settings,
                                              Map<String, Object> methods, Instant started) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("tool", tool);
    m.put("xcam", version());
    m.put("spark", Map.of("version", spark.version(), "master", spark.sparkContext().master(),
        "applicationId", spark.sparkContext().applicationId()));
    m.put("engine", model.info().engine());
    m.put("modelInfo", Map.of("name", model.info().name(), "task", model.info().task().id(), "labels", model.info().labels(),
        "input", model.info().input().toString()));
    m.put("settings", settings);
    m.put("methods", methods);
    m.put("started", started.toString());
    return m;
  }

  /**
   * A rerun into an output folder must have been started with the same settings (methods may be added: their rows
   * are computed; a method already there must keep its options). Returns the methods of the folder's manifest with
   * this run's added.
   */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> checkManifest(Configuration conf, String out, String tool, Map<String, Object> settings,
                                                   Map<String, Object> methods) {
    String path = out + "/manifest.json";
    if (!Output.exists(conf, path)) return methods;
    Object parsed = Json.parse(Output.read(conf, path));
    if (!(parsed instanceof Map<?, ?> old) || !tool.equals(old.get("tool"))) {
      throw new InvalidInputException(out + " holds the output of another tool; give another --out");
    }
    String was = Json.write(old.get("settings"));
    String now = Json.write(Json.parse(Json.write(settings)));
    if (!was.equals(now)) {
      throw new InvalidInputException(out + " holds a run with other settings (" + was + ", now " + now
          + "); give another --out to keep both");
    }
    Map<String, Object> oldMethods = (Map<String, Object>) old.get("methods");
    for (Map.Entry<String, Object> e : methods.entrySet()) {
      if (oldMethods == null || !oldMethods.containsKey(e.getKey())) continue;
      Object o1 = ((Map<String, Object>) oldMethods.get(e.getKey())).get("options");
      Object o2 = Json.parse(Json.write(((Map<String, Object>) e.getValue()).get("options")));
      if (!Json.write(o1).equals(Json.write(o2))) {
        throw new InvalidInputException(out + " holds " + e.getKey() + " rows made with options " + Json.write(o1)
            + ", now " + Json.write(o2) + "; give another --out");
      }
    }
    Map<String, Object> all = new LinkedHashMap<>();
    if (oldMethods != null) all.putAll(oldMethods);
    all.putAll(methods);
    return all;
  }

  static String version() {
    String v = XcamSpark.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-SNAPSHOT" : v;
  }
}
