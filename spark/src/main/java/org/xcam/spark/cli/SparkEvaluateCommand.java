package org.xcam.spark.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.xcam.api.InvalidInputException;
import org.xcam.cli.options.EvaluateOptions;
import org.xcam.runtime.Xcam;
import org.xcam.spark.EvaluateSpec;
import org.xcam.spark.Inputs;
import org.xcam.spark.ModelCache;
import org.xcam.spark.ModelRef;
import org.xcam.spark.XcamSpark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code xcam spark evaluate}: {@code xcam evaluate} on Spark, into a Parquet table and the same summary. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = {"Run methods x metrics over a labelled dataset on Apache Spark (the options of xcam evaluate, plus Spark's).",
        "Datasets: phantom:<count>[:<seed>] (drawn on the executors), csv:<table>[:<image dir>] or *.csv, parquet:<table>[:<image dir>]",
        "or *.parquet (image,label,x,y,w,h), nih:<BBox_List csv>:<image dir>; any Hadoop filesystem URI.",
        "Writes OUT/evaluations/method=<m>/*.parquet (one row per image x method: the explain columns, truth, predicted,",
        "correct, flags, seconds, scored, metric_notes, curves and one column per metric), OUT/summary.csv and",
        "OUT/summary.json (computed with Spark SQL; equal to xcam evaluate's for the same rows and seed), OUT/overlays/ and",
        "OUT/manifest.json. Rerunning into the same OUT computes only what is missing."})
public final class SparkEvaluateCommand implements Callable<Integer> {
  @Mixin SparkOptions sparkOptions;

  @Option(names = {"-m", "--model"}, required = true,
      description = "A bundle directory, an .onnx or a .pt file every executor can read (hdfs://, s3a://, shared mount, --archives).")
  String model;

  @Mixin EvaluateOptions evaluate;

  @Option(names = "--task", defaultValue = "classification", description = "classification (the only task distributed; "
      + "--task detection runs with xcam evaluate).")
  String task;

  @Option(names = "--classifier", description = "Only with --task detection, which xcam spark does not run.")
  String classifier;

  @Option(names = "--metrics", split = ",", description = "Metric names, comma-separated (see: xcam list), or 'all'.")
  List<String> metrics;

  @Option(names = "--out", required = true, description = "Output directory on any Hadoop filesystem (created if missing; reused to resume).")
  String out;

  @Option(names = "--no-maps", description = "Leave out the normalised maps (map_npy); the raw maps are always kept.")
  boolean noMaps;

  @Override public Integer call() {
    if (!task.equals("classification")) {
      throw new InvalidInputException("xcam spark evaluate runs --task classification only; run --task " + task + " with xcam evaluate");
    }
    if (metrics == null || metrics.isEmpty()) throw new InvalidInputException("missing --metrics m1,m2 (or all; see: xcam list)");
    Xcam xcam = ModelCache.xcam();
    List<String> metricNames = EvaluateOptions.metricNames(xcam, metrics);
    for (String k : metricNames) xcam.metricProvider(k);
    if (!evaluate.methods.contains("all")) for (String m : evaluate.methods) xcam.explainerProvider(m);
    ModelRef ref = sparkOptions.model(model);
    SparkSession spark = sparkOptions.session("xcam spark evaluate", !sparkOptions.noProgress);
    try {
      List<String> methodNames = evaluate.methodNames(xcam,
          () -> ModelCache.get(ref, spark.sparkContext().hadoopConfiguration()).model());
      EvaluateSpec spec = evaluate.applyTo(EvaluateSpec.builder(ref).methods(methodNames).metrics(metricNames))
          .seed(evaluate.seed).batch(evaluate.batch).overlays(evaluate.overlays).partitions(sparkOptions.partitions).maps(!noMaps)
          .readerOptions(sparkOptions.readerOptions()).build();
      Dataset<Row> in = Inputs.dataset(spark, evaluate.dataset, evaluate.seed);
      XcamSpark.Outcome o = XcamSpark.evaluateTo(spark, in, spec, out, evaluate.dataset, evaluate.limit);
      System.out.printf("%d images (%d computed, %d already in the output), %d rows added, %d rows in all, %d with an error"
              + " -> %s/summary.csv (%.1f s)%n", o.images(), o.computed(), o.resumed(), o.rowsAdded(), o.rows(), o.errorRows(),
          out, o.seconds());
    } finally {
      spark.stop();
    }
    return 0;
  }
}
