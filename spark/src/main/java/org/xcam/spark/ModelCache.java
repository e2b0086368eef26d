package org.xcam.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.spark.SparkFiles;
import org.xcam.api.Model;
import org.xcam.api.ModelLoadException;
import org.xcam.runtime.Xcam;

/**
 * The models of this JVM: one {@link Model} per {@link ModelRef}, loaded on first use by whichever task needs it first
 * and shared by every later task and task thread of the executor (the engines are thread-safe), so a model is loaded
 * once per executor JVM, not per row or task. Models stay loaded until the JVM exits (a shutdown hook closes them):
 * an executor runs one job's tasks after another, and reloading would cost seconds and native memory each time.
 *
 * <p>Where the model comes from: a Hadoop URI other than {@code file:} ({@code hdfs://}, {@code s3a://}, ...) is
 * copied once to a local temporary folder; a local path is used as is; a bare name that exists neither way is looked
 * up among the files and archives shipped with {@code spark-submit --files / --archives} ({@link SparkFiles}).
 */
public final class ModelCache {
  private ModelCache() { }

  /** A loaded model and the facade that loaded it (its explainers and metrics). */
  public record Loaded(Xcam xcam, Model model, Path local) { }

  private static final Map<ModelRef, Loaded> MODELS = new ConcurrentHashMap<>();
  private static final AtomicInteger LOADS = new AtomicInteger();
  private static volatile Xcam xcam;

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (Loaded l : MODELS.values()) {
        try {
          l.model().close();
        } catch (RuntimeException ignored) {
          // the JVM is going away
        }
      }
    }, "xcam-model-cache-close"));
  }

  /** The model, loaded now if this JVM has not loaded it yet. */
  public static Loaded get(ModelRef ref, Configuration conf) {
    return MODELS.computeIfAbsent(ref, r -> load(r, conf));
  }

  /** How many models this JVM has loaded (tests check it stays at one per model across tasks). */
  public static int loads() { return LOADS.get(); }

  /** The discovery facade of this JVM (ServiceLoader scan and Guice wiring done once). */
  public static Xcam xcam() {
    Xcam x = xcam;
    if (x == null) {
      synchronized (ModelCache.class) {
        if (xcam == null) xcam = Xcam.create();
        x = xcam;
      }
    }
    return x;
  }

  private static Loaded load(ModelRef ref, Configuration conf) {
    Path local = localise(ref.model(), conf);
    Map<String, String> options = "auto".equals(ref.device()) ? Map.of() : Map.of("device", ref.device());
    Model m = new OneCallPerTask(xcam().load(local, ref.engine(), options));
    LOADS.incrementAndGet();
    return new Loaded(xcam(), m, local);
  }

  /** A local path for the model: as is, copied from a Hadoop filesystem, or shipped with --files/--archives. */
  static Path localise(String model, Configuration conf) {
    org.apache.hadoop.fs.Path hp = new org.apache.hadoop.fs.Path(model);
    String scheme = hp.toUri().getScheme();
    if (scheme != null && !scheme.equals("file")) {
      try {
        FileSystem fs = hp.getFileSystem(conf);
        if (!fs.exists(hp)) throw new ModelLoadException("model " + model + " does not exist; give a bundle directory, an .onnx or a .pt file");
        Path dir = Files.createTempDirectory("xcam-model-");
        Path target = dir.resolve(hp.getName());
        FileUtil.copy(fs, hp, target.toFile(), false, conf);
        deleteOnExit(dir);
        return target;
      } catch (IOException e) {
        throw new ModelLoadException("cannot copy model " + model + " to the executor (" + e.getMessage() + ")", e);
      }
    }
    Path p = scheme == null ? Path.of(model) : Path.of(hp.toUri());
    if (Files.exists(p)) return p;
    try {
      Path shipped = Path.of(SparkFiles.get(p.getFileName().toString()));
      if (Files.exists(shipped)) return shipped;
    } catch (RuntimeException noSparkContext) {
      // not inside Spark (or no files shipped): fall through to the message below
    }
    throw new ModelLoadException("model " + model + " is not on this machine; on a cluster give a path every executor can read "
        + "(hdfs://..., s3a://..., a shared mount) or ship it with spark-submit --archives bundle.zip#" + p.getFileName());
  }

  private static void deleteOnExit(Path dir) {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try (var walk = Files.walk(dir)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException ignored) {
        // best effort
      }
    }));
  }
}
