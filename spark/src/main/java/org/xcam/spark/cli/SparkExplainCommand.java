package org.xcam.spark.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.xcam.api.RegionAttribution;
import org.xcam.cli.options.ExplainOptions;
import org.xcam.runtime.Xcam;
import org.xcam.spark.ExplainSpec;
import org.xcam.spark.Inputs;
import org.xcam.spark.ModelCache;
import org.xcam.spark.XcamSpark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code xcam spark explain}: {@code xcam explain} on Spark, into a Parquet table. */
@Command(name = "explain", mixinStandardHelpOptions = true,
    description = {"Explain images with one or more methods on Apache Spark (the options of xcam explain, plus Spark's).",
        "Writes OUT/explanations/method=<m>/*.parquet (one row per image x method x target: id, path, method, layer, target,",
        "class_index, label, score, raw + raw_shape, map_npy, passes, millis, notes, regions, error) and OUT/manifest.json;",
        "with --overlays also xcam explain's OUT/<stem>.<method>.raw.npy, .npy and .png. A bad image is a row with its error.",
        "Rerunning into the same OUT computes only the rows that are missing (resume after a killed job)."})
public final class SparkExplainCommand implements Callable<Integer> {
  @Mixin SparkOptions sparkOptions;

  @Option(names = {"-m", "--model"}, required = true,
      description = "A bundle directory, an .onnx or a .pt file: a path every executor can read (hdfs://, s3a://, a shared "
          + "mount), or shipped with spark-submit --archives / --files.")
  String model;

  @Mixin ExplainOptions explain;

  @Option(names = "--target", defaultValue = "predicted",
      description = "N (class index), predicted, all[:P], none, regression[:i]; one value for all images or a comma-separated "
          + "list with one per image (in input order). Default: ${DEFAULT-VALUE}.")
  String target;

  @Option(names = "--seed", defaultValue = "0", description = "Seed for noise, masks and phantoms. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--regions", description = "CSV of anatomical regions (name,x0,y0,x1,y1 in model-input pixels): each map's share per region goes to the regions column.")
  Path regions;

  @Option(names = "--overlays", description = "Also write xcam explain's per-image files (raw .npy, .npy, overlay .png) into OUT.")
  boolean overlays;

  @Option(names = "--no-maps", description = "Leave out the normalised map (map_npy); the raw map is always kept.")
  boolean noMaps;

  @Option(names = "--out", required = true, description = "Output directory, on any Hadoop filesystem (created if missing; reused to resume).")
  String out;

  @Parameters(arity = "1..*", paramLabel = "INPUT",
      description = "Images (PNG/JPEG, 8/16-bit gray, RGB, RGBA; .npy), directories, globs (quote them), tables of paths "
          + "(.csv/.parquet with image[,label,x,y,w,h]) or phantom:N[:seed]; any Hadoop filesystem URI.")
  List<String> inputs;

  @Override public Integer call() {
    Xcam xcam = ModelCache.xcam();
    List<String> methods = explain.methods;
    for (String m : methods) xcam.explainerProvider(m); // unknown methods fail before Spark starts
    Map<String, String> opts = explain.optionPairs();
    ExplainSpec.Builder b = ExplainSpec.builder(sparkOptions.model(model)).methods(methods).layers(explain.layers)
        .target(target).seed(seed).batch(explain.batch).partitions(sparkOptions.partitions).maps(!noMaps)
        .readerOptions(sparkOptions.readerOptions());
    ExplainOptions.perMethod(xcam, methods, opts).forEach(b::options);
    if (regions != null) b.regions(RegionAttribution.readCsv(regions));
    ExplainSpec spec = b.build();
    SparkSession spark = sparkOptions.session("xcam spark explain", !sparkOptions.noProgress);
    try {
      Dataset<Row> in = Inputs.images(spark, inputs, seed);
      XcamSpark.Outcome o = XcamSpark.explainTo(spark, in, spec, out, overlays, Map.of("inputs", inputs));
      System.out.printf("%d images (%d computed, %d already in the output), %d rows added, %d rows in all, %d with an error"
              + " -> %s/%s (%.1f s)%n", o.images(), o.computed(), o.resumed(), o.rowsAdded(), o.rows(), o.errorRows(), out,
          XcamSpark.EXPLANATIONS, o.seconds());
    } finally {
      spark.stop();
    }
    return 0;
  }
}
