package org.xcam.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.api.java.UDF4;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.xcam.api.spi.MetricProvider;
import org.xcam.runtime.Xcam;
import org.xcam.runtime.eval.Stats;
import org.xcam.runtime.eval.Summary;

/**
 * {@code xcam evaluate}'s summary computed with Spark SQL from the evaluation table: the rows are unpivoted to one
 * per image x method x metric (results.csv's shape), exploded into their groups ({@link Summary#groups}), grouped by
 * method x metric x group with the values collected in dataset order, and each group's mean and 95% bootstrap
 * interval computed by {@link Stats#bootstrap} with {@link Summary#seed}, in a UDF, on the executors. The driver only
 * orders the few resulting lines and writes them with {@link Summary#csv} and {@link Summary#json}, so the files equal
 * those of {@code xcam evaluate} on the same rows.
 */
public final class SparkSummary {
  private SparkSummary() { }

  /** The summary: its lines as a table, and the two files' text. */
  public record Result(Dataset<Row> lines, String csv, String json) { }

  private static final StructType ESTIMATE = new StructType().add("n", DataTypes.IntegerType).add("mean", DataTypes.DoubleType)
      .add("low", DataTypes.DoubleType).add("high", DataTypes.DoubleType);

  /** Mean and bootstrap interval of the values (in the order given) with the seed. */
  private static UserDefinedFunction bootstrap(int resamples) {
    return org.apache.spark.sql.functions.udf((UDF2<Object, Long, Row>) (values, seed) -> {
      double[] v = doubles(values);
      Stats.Estimate e = Stats.bootstrap(v, resamples, seed);
      return RowFactory.create(e.n(), e.mean(), e.low(), e.high());
    }, ESTIMATE);
  }

  private static double[] doubles(Object o) {
    if (o instanceof scala.collection.Seq<?> seq) {
      double[] d = new double[seq.size()];
      scala.collection.Iterator<?> it = seq.iterator();
      for (int i = 0; it.hasNext(); i++) d[i] = ((Number) it.next()).doubleValue();
      return d;
    }
    List<?> l = (List<?>) o;
    double[] d = new double[l.size()];
    for (int i = 0; i < d.length; i++) d[i] = ((Number) l.get(i)).doubleValue();
    return d;
  }

  /**
   * @param table the evaluation table (all its rows: a resumed run's too)
   */
  public static Result of(SparkSession spark, Dataset<Row> table, EvaluateSpec spec, Xcam xcam, String datasetSpec) {
    long seed = spec.seed();
    List<String> methods = spec.methods();
    List<String> metrics = spec.metrics();
    Dataset<Row> scored = table.filter(col("scored").equalTo(true).and(col("method").isin(methods.toArray())));

    // ---- unpivot: one row per image x method x metric, as results.csv
    Dataset<Row> longRows = null;
    for (String k : metrics) {
      Dataset<Row> part = scored.select(col("ordinal"), col("id"), col("method"), lit(k).as("metric"),
          col("`" + k + "`").as("value"), expr("metric_notes['" + k + "']").as("note"), col("truth"), col("correct"), col("flags"));
      longRows = longRows == null ? part : longRows.unionByName(part);
    }
    UserDefinedFunction groups = org.apache.spark.sql.functions.udf((UDF2<String, Boolean, List<String>>) (label, correct) ->
        Summary.groups(label == null ? "" : label, correct == null ? "" : correct.toString()),
        DataTypes.createArrayType(DataTypes.StringType));
    UserDefinedFunction lineSeed = org.apache.spark.sql.functions.udf((UDF4<Long, String, String, String, Long>) (s, m, k, g) ->
        Summary.seed(s, m, k, g), DataTypes.LongType);
    Dataset<Row> lines = longRows
        .withColumn("group", org.apache.spark.sql.functions.explode(groups.apply(col("truth"), col("correct"))))
        .groupBy("method", "metric", "group")
        .agg(expr("transform(array_sort(collect_list(case when value is not null then struct(ordinal, value) end)), x -> x.value)")
                .as("values"),
            expr("sum(case when value is null then 1 else 0 end)").cast(DataTypes.IntegerType).as("not_scored"))
        .withColumn("estimate", bootstrap(spec.resamples()).apply(col("values"),
            lineSeed.apply(lit(seed), col("method"), col("metric"), col("group"))))
        .select(col("method"), col("metric"), col("group"), col("estimate.n").as("n"), col("estimate.mean").as("mean"),
            col("estimate.low").as("ci_low"), col("estimate.high").as("ci_high"), col("not_scored"));

    // ---- seconds per image per method (one value per image, dataset order)
    UserDefinedFunction secondsSeed = org.apache.spark.sql.functions.udf((UDF2<Long, String, Long>) Summary::secondsSeed,
        DataTypes.LongType);
    Dataset<Row> seconds = scored.filter(col("seconds").isNotNull())
        .groupBy("method")
        .agg(expr("transform(array_sort(collect_list(struct(ordinal, seconds))), x -> x.seconds)").as("values"))
        .withColumn("estimate", bootstrap(spec.resamples()).apply(col("values"), secondsSeed.apply(lit(seed), col("method"))))
        .select(col("method"), col("estimate.n").as("n"), col("estimate.mean").as("mean"), col("estimate.low").as("ci_low"),
            col("estimate.high").as("ci_high"));

    // ---- notes of rows not scored, images, flags, skipped images
    UserDefinedFunction noteKey = org.apache.spark.sql.functions.udf((UDF2<String, String, String>) Summary::noteKey,
        DataTypes.StringType);
    List<Row> notes = longRows.filter(col("value").isNull().and(col("note").isNotNull()).and(expr("note <> ''")))
        .groupBy(noteKey.apply(col("metric"), col("note")).as("key")).count().collectAsList();
    Row counts = scored.agg(expr("count(distinct id)"), expr("count(distinct case when size(flags) > 0 then id end)")).first();
    List<Row> skippedRows = table.filter(col("scored").equalTo(false))
        .groupBy("id").agg(expr("min(struct(ordinal, error))").as("first"))
        .select(col("id"), col("first.ordinal").as("ordinal"), col("first.error").as("error")).sort("ordinal").collectAsList();

    // ---- order as xcam evaluate does, and write
    Map<String, MetricProvider> providers = new LinkedHashMap<>();
    for (String k : metrics) providers.put(k, xcam.metricProvider(k));
    Map<String, Row> byKey = new LinkedHashMap<>();
    TreeSet<String> classGroups = new TreeSet<>();
    for (Row r : lines.collectAsList()) {
      byKey.put(r.getString(0) + '\u0000' + r.getString(1) + '\u0000' + r.getString(2), r);
      if (r.getString(2).startsWith("class:")) classGroups.add(r.getString(2));
    }
    List<Summary.Line> ordered = new ArrayList<>();
    for (String g : Summary.groupOrder(classGroups)) {
      for (String m : methods) {
        for (String k : metrics) {
          Row r = byKey.get(m + '\u0000' + k + '\u0000' + g);
          if (r != null) ordered.add(line(r.getString(0), r.getString(1), r.getString(2), r, 3, r.getInt(7)));
        }
      }
    }
    Map<String, Row> secondsBy = new LinkedHashMap<>();
    for (Row r : seconds.collectAsList()) secondsBy.put(r.getString(0), r);
    List<Summary.Line> secondLines = new ArrayList<>();
    Map<String, Double> meanSeconds = new LinkedHashMap<>();
    for (String m : methods) {
      Row r = secondsBy.get(m);
      if (r == null || r.getInt(1) == 0) continue;
      Summary.Line l = line(m, Summary.SECONDS, "all", r, 1, 0);
      secondLines.add(l);
      meanSeconds.put(m, l.estimate().mean());
    }
    Map<String, Integer> noteCounts = new TreeMap<>();
    for (Row r : notes) noteCounts.put(r.getString(0), (int) r.getLong(1));
    Map<String, String> skipped = new LinkedHashMap<>();
    for (Row r : skippedRows) skipped.putIfAbsent(r.getString(0), r.getString(2) == null ? "" : r.getString(2));
    String csv = Summary.csv(ordered, secondLines, providers);
    String json = Summary.json(ordered, providers, meanSeconds, (int) counts.getLong(0), skipped, (int) counts.getLong(1),
        noteCounts, datasetSpec);
    return new Result(lines, csv, json);
  }

  private static Summary.Line line(String method, String metric, String group, Row r, int at, int notScored) {
    int n = r.getInt(at);
    return new Summary.Line(method, metric, group,
        new Stats.Estimate(n, r.isNullAt(at + 1) ? Double.NaN : r.getDouble(at + 1), r.isNullAt(at + 2) ? Double.NaN : r.getDouble(at + 2),
            r.isNullAt(at + 3) ? Double.NaN : r.getDouble(at + 3)), notScored);
  }
}
