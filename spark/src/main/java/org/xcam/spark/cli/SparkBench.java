package org.xcam.spark.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.xcam.cli.options.KeyValues;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Model;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.runtime.Fixtures;
import org.xcam.runtime.eval.Datasets;
import org.xcam.spark.ExplainSpec;
import org.xcam.spark.Inputs;
import org.xcam.spark.ModelCache;
import org.xcam.spark.ModelRef;
import org.xcam.spark.XcamSpark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code xcam bench spark}: rows per second of {@code xcam spark explain} at each {@code --masters} (default local[1]
 * and local[2]) on phantom:N, against the same work in one JVM thread (the phantoms drawn and explained with
 * {@code xcam explain}'s calls: batches of {@code --batch} images in order, no files written) and against the {@code xcam explain} command itself (model load and
 * its three files per image included). Spark is timed end to end (checks, planning and counting jobs, the explain job
 * and its Parquet write; model load and JIT warm-up excluded by one small run first) and the explain job alone. Then
 * the scaling plan: the explain job's seconds per image at local[1], times 10^6 images, divided over N executor
 * cores (a run's fixed cost, seconds, spreads over the 10^6 images).
 *
 * <p>{@code --soak T}: T tasks of one image each (gradcam) in waves in one executor JVM, with the process's resident
 * memory after each wave, and that less the committed Java heap (which G1 grows and shrinks): native memory must stay
 * flat across thousands of tasks (the model is loaded once).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"xcam bench spark: rows/s of xcam spark explain at local[1] and local[2] against single-JVM xcam explain on",
        "the same phantoms, and the seconds-per-image plan for 10^6 images; --soak T: resident memory across T tasks."})
public final class SparkBench implements Callable<Integer> {
  @Option(names = {"-m", "--model"}, description = "Model (default: the embedded phantom-cxr fixture).")
  String model;

  @Option(names = "--images", defaultValue = "200", description = "phantom:N images per run (default: ${DEFAULT-VALUE}).")
  int images;

  @Option(names = "--methods", split = ",", defaultValue = "gradcam,scorecam", description = "Methods (default: ${DEFAULT-VALUE}).")
  List<String> methods;

  @Option(names = "--masters", split = ",", defaultValue = "local[1],local[2]", description = "Spark masters (default: ${DEFAULT-VALUE}).")
  List<String> masters;

  @Option(names = "--batch", defaultValue = "16", description = "Images per batch (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--option", description = "Method option method.name=value (repeatable).")
  List<String> options = new ArrayList<>();

  @Option(names = "--soak", defaultValue = "0", description = "Also run T one-image tasks and report resident memory (default: off).")
  int soak;

  @Option(names = "--executors", split = ",", defaultValue = "10,100,1000", description = "Executor cores for the 10^6-image plan (default: ${DEFAULT-VALUE}).")
  List<Integer> executors;

  @Override public Integer call() throws IOException {
    String m = model != null ? model : Fixtures.phantomBundle().toString();
    Map<String, Map<String, String>> opts = KeyValues.scoped(options, "--option");
    Path tmp = Files.createTempDirectory("xcam-bench-spark-");
    List<String[]> table = new ArrayList<>();
    System.out.printf("xcam bench spark: phantom:%d, batch %d, model %s, %d CPU cores%n", images, batch, m,
        Runtime.getRuntime().availableProcessors());
    for (String method : methods) {
      ExplainSpec spec = ExplainSpec.builder(ModelRef.of(m)).methods(List.of(method))
          .options(method, opts.getOrDefault(method, Map.of())).batch(batch).build();
      double calls = singleJvm(spec, m);
      double command = explainCommand(spec, m, tmp.resolve("cli-" + method));
      System.out.printf(Locale.ROOT, "%-10s single JVM: phantoms drawn and explained %.2f images/s (%.4f s/image); the xcam explain command "
          + "(model load and files included) %.2f images/s%n", method, images / calls, calls / images, images / command);
      List<String> row = new ArrayList<>(List.of(method, String.format(Locale.ROOT, "%.2f", images / calls),
          String.format(Locale.ROOT, "%.2f", images / command)));
      double perImage = calls / images;
      for (String master : masters) {
        SparkSession spark = session(master);
        try {
          XcamSpark.explainTo(spark, Inputs.images(spark, List.of("phantom:" + batch + ":1000000"), 0), spec,
              tmp.resolve("warm-" + method + "-" + master.replaceAll("\\W", "")).toUri().toString(), false, Map.of());
          String out = tmp.resolve("run-" + method + "-" + master.replaceAll("\\W", "")).toUri().toString();
          long t0 = System.nanoTime();
          XcamSpark.Outcome o = XcamSpark.explainTo(spark, Inputs.images(spark, List.of("phantom:" + images), 0), spec, out, false,
              Map.of());
          double secs = (System.nanoTime() - t0) / 1e9;
          System.out.printf(Locale.ROOT, "%-10s %-10s %.2f rows/s end to end (%d rows, %d errors, %.1f s: %.1f s the explain job, "
                  + "%.1f s checks, planning and counts) = %.2fx one JVM; the job alone %.2f rows/s = %.2fx%n", method, master,
              o.rows() / secs, o.rows(), o.errorRows(), secs, o.jobSeconds(), secs - o.jobSeconds(), calls / secs,
              o.rows() / o.jobSeconds(), calls / o.jobSeconds());
          row.add(String.format(Locale.ROOT, "%.2f (%.2fx)", o.rows() / secs, calls / secs));
          row.add(String.format(Locale.ROOT, "%.2f (%.2fx)", o.rows() / o.jobSeconds(), calls / o.jobSeconds()));
          if (master.matches("local\\[1(,\\d+)?]")) perImage = o.jobSeconds() / images;
        } finally {
          spark.stop();
        }
      }
      row.add(String.format(Locale.ROOT, "%.4f", perImage));
      for (int n : executors) row.add(String.format(Locale.ROOT, "%.1f h", perImage * 1e6 / n / 3600));
      table.add(row.toArray(new String[0]));
    }
    System.out.println();
    StringBuilder h = new StringBuilder("| method | one JVM thread, images/s | xcam explain command, images/s |");
    for (String master : masters) h.append(' ').append(master).append(" rows/s end to end (x one JVM) | ").append(master)
        .append(" rows/s in the job (x one JVM) |");
    h.append(" s/image/core |");
    for (int n : executors) h.append(" 10^6 images / ").append(n).append(" cores |");
    System.out.println(h);
    System.out.println("|" + "---|".repeat(4 + 2 * masters.size() + executors.size()));
    for (String[] r : table) System.out.println("| " + String.join(" | ", r) + " |");
    System.out.println("\ns/image/core: the explain job's seconds per image at local[1] (the fixed cost of a run's checks and "
        + "planning jobs, seconds, spreads over 10^6 images); the plan is that times 10^6 over N executor cores.");
    if (soak > 0) soak(m, tmp);
    return 0;
  }

  /** The xcam explain command on the same phantoms as .npy files; seconds, model load and file writing included. */
  private double explainCommand(ExplainSpec spec, String m, Path dir) throws IOException {
    Model model = ModelCache.get(ModelRef.of(m), new org.apache.hadoop.conf.Configuration()).model();
    Files.createDirectories(dir);
    String method = spec.methods().get(0);
    List<String> args = new ArrayList<>(List.of("explain", "--model", m, "--method", method, "--batch", Integer.toString(batch),
        "--out", dir.resolve("out").toString()));
    spec.options(method).forEach((k, v) -> args.addAll(List.of("--option", k + "=" + v)));
    for (int s = 0; s < images; s++) {
      Path f = dir.resolve("phantom-" + s + ".npy");
      Datasets.phantomSample(s, model.info().input(), model.info().labels()).input().writeNpy(f);
      args.add(f.toString());
    }
    java.io.PrintStream out0 = System.out;
    java.io.PrintStream err0 = System.err;
    System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
    System.setErr(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
    long t0 = System.nanoTime();
    try {
      if (org.xcam.cli.XcamCli.run(args.toArray(new String[0])) != 0) throw new IllegalStateException("xcam explain failed");
    } finally {
      System.setOut(out0);
      System.setErr(err0);
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  /**
   * The work in one JVM thread: the same phantoms drawn and explained with the calls xcam explain makes (batches of
   * {@code --batch} in order; no files written); seconds for all images.
   */
  private double singleJvm(ExplainSpec spec, String m) {
    Model model = ModelCache.get(ModelRef.of(m), new org.apache.hadoop.conf.Configuration()).model();
    String method = spec.methods().get(0);
    Explainer ex = ModelCache.xcam().explainer(method, spec.options(method));
    List<Tensor> warm = new ArrayList<>();
    for (int s = 0; s < Math.min(batch, images); s++) {
      warm.add(Datasets.phantomSample(1_000_000 + s, model.info().input(), model.info().labels()).input());
    }
    ex.explain(model, ExplainRequest.builder(Tensor.stack(warm)).target(Target.predicted()).build());
    long t0 = System.nanoTime();
    for (int from = 0; from < images; from += batch) {
      List<Tensor> chunk = new ArrayList<>();
      for (int s = from; s < Math.min(images, from + batch); s++) {
        chunk.add(Datasets.phantomSample(s, model.info().input(), model.info().labels()).input());
      }
      ex.explain(model, ExplainRequest.builder(Tensor.stack(chunk)).target(Target.predicted()).seed(0).build());
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  private static SparkSession session(String master) {
    SparkOptions o = new SparkOptions();
    o.master = master;
    return o.session("xcam bench spark", false);
  }

  /** Resident memory (VmRSS) of this process, in MB; -1 where /proc is not there. */
  static double rssMb() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("\\D", "")) / 1024.0;
      }
    } catch (IOException | RuntimeException ignored) {
      // not Linux
    }
    return -1;
  }

  private void soak(String m, Path tmp) {
    int perWave = Math.min(250, soak);
    int waves = Math.max(1, soak / perWave);
    SparkSession spark = session("local[2]");
    try {
      ExplainSpec spec = ExplainSpec.builder(ModelRef.of(m)).methods(List.of("gradcam")).batch(1).partitions(perWave).build();
      int loads = ModelCache.loads();
      System.out.printf("%nsoak: %d waves of %d one-image tasks (gradcam) in one executor JVM; resident memory after each wave%n",
          waves, perWave);
      System.out.println("| tasks | RSS MB | Java heap committed MB | RSS - heap committed MB | heap used MB | direct buffers MB |");
      System.out.println("|---|---|---|---|---|---|");
      for (int w = 0; w < waves; w++) {
        XcamSpark.explain(spark, Inputs.images(spark, List.of("phantom:" + perWave + ":" + (w * perWave)), 0), spec)
            .write().format("noop").mode("overwrite").save();
        System.gc();
        Runtime rt = Runtime.getRuntime();
        double rss = rssMb();
        double committed = rt.totalMemory() / 1048576.0;
        double direct = 0;
        for (java.lang.management.BufferPoolMXBean b : java.lang.management.ManagementFactory.getPlatformMXBeans(
            java.lang.management.BufferPoolMXBean.class)) {
          if (b.getName().equals("direct")) direct = b.getMemoryUsed() / 1048576.0;
        }
        System.out.printf(Locale.ROOT, "| %d | %.1f | %.1f | %.1f | %.1f | %.1f |%n", (w + 1) * perWave, rss, committed, rss - committed,
            (rt.totalMemory() - rt.freeMemory()) / 1048576.0, direct);
      }
      System.out.printf("model loads during the soak: %d%n", ModelCache.loads() - loads);
    } finally {
      spark.stop();
    }
  }
}
