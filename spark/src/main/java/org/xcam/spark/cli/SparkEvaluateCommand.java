package org.xcam.spark.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.xcam.api.InvalidInputException;
import org.xcam.api.MetricContext;
import org.xcam.api.Model;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.api.spi.MetricProvider;
import org.xcam.cli.options.KeyValues;
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

  @Option(names = "--engine", description = "Engine to use (djl, onnx); default: the best that can load the model.")
  String engine;

  @Option(names = "--device", defaultValue = "auto", description = "Engine device: auto (default), cpu or cuda (ONNX engine).")
  String device;

  @Option(names = "--dataset", required = true, description = "Dataset spec (see above), e.g. phantom:500.")
  String dataset;

  @Option(names = "--methods", required = true, split = ",",
      description = "Method names, comma-separated, or 'all' for every installed method the model supports.")
  List<String> methods;

  @Option(names = "--task", defaultValue = "classification", description = "classification (the only task distributed; "
      + "--task detection runs with xcam evaluate).")
  String task;

  @Option(names = "--classifier", description = "Only with --task detection, which xcam spark does not run.")
  String classifier;

  @Option(names = "--metrics", split = ",", description = "Metric names, comma-separated (see: xcam list), or 'all'.")
  List<String> metrics;

  @Option(names = "--out", required = true, description = "Output directory on any Hadoop filesystem (created if missing; reused to resume).")
  String out;

  @Option(names = "--target", defaultValue = "predicted",
      description = "predicted (explain the model's top-1) or truth (explain the ground-truth label). Default: ${DEFAULT-VALUE}.")
  String target;

  @Option(names = "--limit", defaultValue = "0", description = "Use at most N images (0 = all). Default: ${DEFAULT-VALUE}.")
  int limit;

  @Option(names = "--seed", defaultValue = "0", description = "Seed for methods, metrics, phantoms and the bootstrap. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--batch", defaultValue = "8", description = "Images per explain call. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(names = "--overlays", defaultValue = "12", description = "Draw overlays for the first N images. Default: ${DEFAULT-VALUE}.")
  int overlays;

  @Option(names = "--method-option", description = "method.option=value (repeatable), e.g. --method-option scorecam.batch-size=16.")
  List<String> methodOptions = new ArrayList<>();

  @Option(names = "--metric-option", description = "metric.option=value (repeatable), e.g. --metric-option insertion.steps=50.")
  List<String> metricOptions = new ArrayList<>();

  @Option(names = "--no-maps", description = "Leave out the normalised maps (map_npy); the raw maps are always kept.")
  boolean noMaps;

  @Option(names = "--window", description = "DICOM only: the VOI window, C,W (centre,width), minmax or full, as in xcam explain.")
  String window;

  @Option(names = "--no-progress", description = "No Spark progress bar on stderr.")
  boolean noProgress;

  @Override public Integer call() {
    if (!task.equals("classification")) {
      throw new InvalidInputException("xcam spark evaluate runs --task classification only; run --task " + task + " with xcam evaluate");
    }
    if (metrics == null || metrics.isEmpty()) throw new InvalidInputException("missing --metrics m1,m2 (or all; see: xcam list)");
    Xcam xcam = ModelCache.xcam();
    List<String> metricNames = metrics.contains("all") ? allMetrics(xcam) : metrics;
    for (String k : metricNames) xcam.metricProvider(k);
    if (!methods.contains("all")) for (String m : methods) xcam.explainerProvider(m);
    ModelRef ref = new ModelRef(model, engine, device);
    SparkSession spark = sparkOptions.session("xcam spark evaluate", !noProgress);
    try {
      List<String> methodNames = methods.contains("all")
          ? supported(xcam, ModelCache.get(ref, spark.sparkContext().hadoopConfiguration()).model()) : methods;
      EvaluateSpec spec = EvaluateSpec.builder(ref).methods(methodNames).metrics(metricNames)
          .methodOptions(KeyValues.scoped(methodOptions, "--method-option"))
          .metricOptions(KeyValues.scoped(metricOptions, "--metric-option"))
          .target(target).seed(seed).batch(batch).overlays(overlays).partitions(sparkOptions.partitions).maps(!noMaps)
          .readerOptions(window == null ? java.util.Map.of() : java.util.Map.of("window", window)).build();
      Dataset<Row> in = Inputs.dataset(spark, dataset, seed);
      XcamSpark.Outcome o = XcamSpark.evaluateTo(spark, in, spec, out, dataset, limit);
      System.out.printf("%d images (%d computed, %d already in the output), %d rows added, %d rows in all, %d with an error"
              + " -> %s/summary.csv (%.1f s)%n", o.images(), o.computed(), o.resumed(), o.rowsAdded(), o.rows(), o.errorRows(),
          out, o.seconds());
    } finally {
      spark.stop();
    }
    return 0;
  }

  private static List<String> allMetrics(Xcam xcam) {
    List<String> out = new ArrayList<>();
    for (MetricProvider p : xcam.metrics().values()) {
      if (p.needs().contains(MetricContext.Need.SALIENCY) || p.needs().contains(MetricContext.Need.SEVERITY)) continue;
      out.add(p.name());
    }
    return out;
  }

  private static List<String> supported(Xcam xcam, Model m) {
    List<String> out = new ArrayList<>();
    for (ExplainerProvider p : xcam.explainers().values()) if (m.capabilities().containsAll(p.requires())) out.add(p.name());
    if (out.isEmpty()) throw new InvalidInputException("no installed method runs on model '" + m.info().name() + "'");
    return out;
  }
}
