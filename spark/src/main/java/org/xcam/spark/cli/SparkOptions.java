package org.xcam.spark.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.xcam.cli.options.KeyValues;
import org.xcam.spark.ModelRef;
import picocli.CommandLine.Option;

/**
 * The options {@code xcam spark explain} and {@code xcam spark evaluate} share word for word (a picocli mixin): where
 * Spark runs and how the work is split, the engine and device every executor loads the model on, the DICOM window,
 * and the progress bar. ({@code -m} and {@code --out} are worded differently in the two and stay in each command.)
 */
public final class SparkOptions {
  @Option(names = "--master", description = "Spark master: local[*] (this machine, the default), local[N], spark://host:7077, "
      + "yarn, k8s://https://host:443. Under spark-submit leave it out (spark-submit's --master applies).")
  public String master;

  @Option(names = "--conf", description = "Spark setting key=value (repeatable), e.g. --conf spark.executor.memory=8g.")
  public List<String> conf = new ArrayList<>();

  @Option(names = "--partitions", defaultValue = "0",
      description = "Spark tasks to split the images into (0: up to 4 per core of the cluster). Default: ${DEFAULT-VALUE}.")
  public int partitions;

  @Option(names = "--engine", description = "Engine to use (djl, onnx); default: the best that can load the model.")
  public String engine;

  @Option(names = "--device", defaultValue = "auto", description = "Engine device: auto (default), cpu or cuda (ONNX engine).")
  public String device;

  @Option(names = "--window", description = "DICOM only: the VOI window, C,W (centre,width), minmax or full, as in xcam explain.")
  public String window;

  @Option(names = "--no-progress", description = "No Spark progress bar on stderr.")
  public boolean noProgress;

  /** The model at {@code path}, loaded with {@code --engine} on {@code --device}. */
  public ModelRef model(String path) { return new ModelRef(path, engine, device); }

  /** Image-reader options from {@code --window}; none without it. */
  public Map<String, String> readerOptions() { return window == null ? Map.of() : Map.of("window", window); }

  private static final Pattern LOCAL = Pattern.compile("local(\\[(\\*|\\d+)\\])?");

  /**
   * The master to use: --master, else spark-submit's, else {@code local[*]}. Spark's {@code local[N]} never retries a
   * failed task; it is run as {@code local[N,4]} so that a task that fails once is retried as on a cluster (give
   * {@code local[N,1]} to turn retries off).
   */
  public String master() {
    String m = master != null ? master : System.getProperty("spark.master");
    if (m == null) m = "local[*]";
    Matcher x = LOCAL.matcher(m.trim());
    if (x.matches()) return "local[" + (x.group(2) == null ? "1" : x.group(2)) + ",4]";
    return m;
  }

  /** A session for a command: the master, the --conf settings, quiet logs unless asked. */
  public SparkSession session(String app, boolean progress) {
    SparkSession.Builder b = SparkSession.builder().appName(app).master(master());
    if (!progress) b.config("spark.ui.showConsoleProgress", "false");
    for (Map.Entry<String, String> e : KeyValues.pairs(conf, "--conf").entrySet()) b.config(e.getKey(), e.getValue());
    SparkSession s = b.getOrCreate();
    if (System.getProperty("spark.master") == null && !Boolean.getBoolean("xcam.verbose")) s.sparkContext().setLogLevel("WARN");
    return s;
  }
}
