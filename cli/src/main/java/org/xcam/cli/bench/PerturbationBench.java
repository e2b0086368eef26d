package org.xcam.cli.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import org.xcam.api.CancelledException;
import org.xcam.api.Capability;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.InputSpec;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerInfo;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.Options;
import org.xcam.api.Target;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.runtime.Xcam;
import org.xcam.tck.fixtures.Reference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code xcam bench perturbation}: images per second pushed through the engine by each perturbation method, divided by
 * the engine's bare batched throughput at the same batch size (target: 0.8 or more; the rest is the method's own work:
 * building masks, min-max scaling, accumulating). Score-CAM, RISE and occlusion are compared with bare
 * {@code model.forward}; Ablation-CAM and Recipro-CAM, which run the layer's tail only, with bare {@code hook.tail}; and
 * Recipro-CAM's time per call is divided into Score-CAM's (the speed-up of the gradient-free CAM that needs one batched
 * tail instead of K forwards). Images are counted
 * by a wrapper around the model (every row of every batch the method sends), so the ratio is exact about the work.
 *
 * <p>Also: the Score-CAM throughput curve over batch sizes ({@code --scorecam-batches}, default 1, 16, 32, 64), and the
 * peak memory of Score-CAM with K = 2048 channels at 224 x 224 ({@code --memory-channels}): once on a synthetic
 * pure-Java model with a ResNet-50-sized layer4 ([2048, 7, 7]; Java heap peak, so only the method's own memory
 * shows), and on any bundle with such a layer through its engine (process peak RSS as well).
 *
 * <p>Models: every {@code --model}; without one, the pytorch-grad-cam reference bundle (phantom-small) plus every
 * bundle directory under {@code --models-dir}. Times are medians over {@code --repeats} after {@code --warmup}.
 */
@Command(name = "perturbation", mixinStandardHelpOptions = true,
    description = "Benchmark perturbation methods: images/s vs bare batched inference at the same batch size")
public final class PerturbationBench implements Callable<Integer> {
  @Option(names = {"-m", "--model"}, description = "Bundle directories (repeatable). Default: the reference bundle and --models-dir.")
  List<Path> models = new ArrayList<>();

  @Option(names = "--models-dir", defaultValue = "bench-models", description = "Directory searched for more bundles (default: ${DEFAULT-VALUE}).")
  Path modelsDir;

  @Option(names = "--engine", defaultValue = "djl", description = "Engine (default: ${DEFAULT-VALUE}).")
  String engine;

  @Option(names = "--methods", split = ",", description = "Methods (default: scorecam,ablationcam,recipro-cam,rise,occlusion).")
  List<String> methods = new ArrayList<>(List.of("scorecam", "ablationcam", "recipro-cam", "rise", "occlusion"));

  @Option(names = "--layer", description = "Layer (default: the model's default layer).")
  String layer;

  @Option(names = "--batch", defaultValue = "32", description = "batch-size for the method comparison (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--images", defaultValue = "1", description = "Images per explain call (default: ${DEFAULT-VALUE}).")
  int images;

  @Option(names = "--masks", defaultValue = "1000", description = "RISE masks (default: ${DEFAULT-VALUE}; the method's default is 4000).")
  int masks;

  @Option(names = "--scorecam-batches", split = ",", defaultValue = "1,16,32,64", description = "Score-CAM batch-size curve (default: ${DEFAULT-VALUE}).")
  List<Integer> scoreBatches;

  @Option(names = "--memory-channels", defaultValue = "2048", description = "Channels of the synthetic memory check at 224x224; 0 skips it (default: ${DEFAULT-VALUE}).")
  int memoryChannels;

  @Option(names = "--max-passes", defaultValue = "0", description = "Stop each method run after this many engine calls and time the part that ran (0 = whole runs); for models too slow to run K = 2048 masks repeatedly.")
  long maxPasses;

  @Option(names = "--memory-only", description = "Run only the synthetic K-channel memory check (e.g. under a small -Xmx to show the bound).")
  boolean memoryOnly;

  @Option(names = "--repeats", defaultValue = "3", description = "Timed runs per measurement (default: ${DEFAULT-VALUE}).")
  int repeats;

  @Option(names = "--warmup", defaultValue = "1", description = "Untimed runs first (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--out", description = "Also write the rows as CSV to this file.")
  Path out;

  @Option(names = "--engine-option", paramLabel = "KEY=VALUE", description = "Engine option (repeatable), as for xcam explain, e.g. threads=1 for the ONNX engine.")
  Map<String, String> engineOptions = new java.util.LinkedHashMap<>();

  @Option(names = "--parallel", defaultValue = "1", description = "Option parallel of scorecam and ablationcam (engine calls in flight; their own default is auto, the engine's concurrency); the bare side runs as many calls at once (default: ${DEFAULT-VALUE}).")
  int parallel;

  private double[] scoreAtBatch;
  private final Map<String, Double> seconds = new java.util.HashMap<>();
  private final StringBuilder csv = new StringBuilder("model,engine,layer,what,batch,images_per_s,bare_images_per_s,ratio,extra\n");

  @Override public Integer call() {
    if (parallel < 1 || parallel > 64) throw new org.xcam.api.InvalidInputException("--parallel must be in [1, 64], got " + parallel);
    Xcam xcam = Xcam.create();
    List<Path> targets = memoryOnly ? new ArrayList<>() : BenchModels.targets(models, List.of(modelsDir), false);
    for (Path bundle : targets) {
      try (Model model = xcam.load(bundle, engine, engineOptions)) {
        benchModel(xcam, model);
      }
    }
    if (memoryChannels > 0) memoryCheck(xcam);
    if (out != null) {
      try {
        Files.writeString(out, csv.toString());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return 0;
  }

  private void benchModel(Xcam xcam, Model raw) {
    ImageCounter model = new ImageCounter(raw);
    scoreAtBatch = null;
    String l = layer != null ? layer : raw.info().defaultLayer();
    Tensor x = input(raw.info(), images, 7);
    System.out.printf(Locale.ROOT, "%nmodel %s (%s), engine %s %s, layer %s %s, %d image(s) per call, batch %d, parallel %d%n",
        raw.info().name(), raw.info().source(), raw.info().engine(), engineOptions, l, Arrays.toString(raw.info().layer(l).shape()),
        images, batch, parallel);
    System.out.printf(Locale.ROOT, "| %-12s | %9s | %12s | %12s | %6s | %s%n", "method", "s / call", "images/s", "bare img/s", "ratio", "work per call");
    for (String m : methods) {
      ExplainerProvider p = xcam.explainerProvider(m);
      Map<String, String> opts = m.equals("rise") ? Map.of("batch-size", "" + batch, "masks", "" + masks) : methodOptions(m, batch);
      Explainer e = p.create(Options.of(m, p.options(), opts));
      ExplainRequest r = ExplainRequest.builder(x).target(Target.predicted()).layer(l).seed(1).maxPasses(maxPasses).build();
      boolean tailBased = m.equals("ablationcam") || m.equals("recipro-cam");
      double[] res = interleaved(model, () -> e.explain(model, r), tailBased ? bareTailRun(raw, l, batch) : bareForwardRun(raw, batch),
          tailBased, batch);
      if (m.equals("scorecam")) scoreAtBatch = res;
      seconds.put(m, res[0]);
      String work = (long) res[7] + (tailBased ? " tail rows" : " forward rows") + " per call";
      System.out.printf(Locale.ROOT, "| %-12s | %9.3f | %12.1f | %12.1f | %6.2f | %s; peak RSS %.0f -> %.0f MiB, heap peak %.0f MiB%n",
          m, res[0], res[1], res[2], res[3], work, res[4] / 1048576, res[5] / 1048576, res[6] / 1048576);
      csv.append(String.format(Locale.ROOT, "%s,%s,%s,%s,%d,%.2f,%.2f,%.4f,%s%n", raw.info().name(), raw.info().engine(), l, m,
          batch, res[1], res[2], res[3], work));
    }
    if (seconds.containsKey("scorecam") && seconds.containsKey("recipro-cam")) {
      double speedup = seconds.get("scorecam") / seconds.get("recipro-cam");
      System.out.printf(Locale.ROOT, "Recipro-CAM is %.1fx faster than Score-CAM per call (%.3f s vs %.3f s)%s%n", speedup,
          seconds.get("recipro-cam"), seconds.get("scorecam"), maxPasses > 0 ? " (Score-CAM timed on a partial run, --max-passes)" : "");
      csv.append(String.format(Locale.ROOT, "%s,%s,%s,recipro-cam-speedup-over-scorecam,%d,,,%.2f,%n", raw.info().name(),
          raw.info().engine(), l, batch, speedup));
    }
    seconds.clear();
    if (methods.contains("scorecam")) {
      System.out.printf(Locale.ROOT, "Score-CAM batch-size curve (%s):%n", l);
      System.out.printf(Locale.ROOT, "| %5s | %9s | %12s | %12s | %6s |%n", "batch", "s / call", "images/s", "bare img/s", "ratio");
      ExplainerProvider p = xcam.explainerProvider("scorecam");
      for (int b : scoreBatches) {
        Explainer e = p.create(Options.of("scorecam", p.options(), methodOptions("scorecam", b)));
        ExplainRequest r = ExplainRequest.builder(x).target(Target.predicted()).layer(l).maxPasses(maxPasses).build();
        double[] res = b == batch && scoreAtBatch != null ? scoreAtBatch
            : interleaved(model, () -> e.explain(model, r), bareForwardRun(raw, b), false, b);
        System.out.printf(Locale.ROOT, "| %5d | %9.3f | %12.1f | %12.1f | %6.2f | peak RSS %.0f -> %.0f MiB%n", b, res[0], res[1], res[2], res[3],
            res[4] / 1048576, res[5] / 1048576);
        csv.append(String.format(Locale.ROOT, "%s,%s,%s,scorecam-curve,%d,%.2f,%.2f,%.4f,%n", raw.info().name(), raw.info().engine(),
            l, b, res[1], res[2], res[3]));
      }
    }
  }

  /** Score-CAM with K channels at 224x224 on a pure-Java model: the method's own memory, batch by batch. */
  private void memoryCheck(Xcam xcam) {
    ExplainerProvider p = xcam.explainerProvider("scorecam");
    Model synthetic = new SyntheticModel(memoryChannels);
    Tensor x = input(synthetic.info(), 1, 5);
    System.out.printf(Locale.ROOT, "%nScore-CAM memory, synthetic model 3x224x224 -> layer4 [%d, 7, 7] (forward cost ~0, so this is the method's own memory; JVM max heap %d MiB):%n",
        memoryChannels, Runtime.getRuntime().maxMemory() / 1048576);
    System.out.printf(Locale.ROOT, "| %5s | %9s | %30s | %22s |%n", "batch", "s / call", "heap peak incl. garbage (MiB)", "2 batches of inputs (MiB)");
    for (int b : scoreBatches) {
      Explainer e = p.create(Options.of("scorecam", p.options(), Map.of("batch-size", "" + b)));
      e.explain(synthetic, x, Target.predicted());
      long t0 = System.nanoTime();
      long[] mem = measureMemory(() -> e.explain(synthetic, x, Target.predicted()));
      double s = (System.nanoTime() - t0) / 1e9;
      double bound = 2.0 * b * 3 * 224 * 224 * 4 / 1048576.0;
      System.out.printf(Locale.ROOT, "| %5d | %9.2f | %30.1f | %22.1f |%n", b, s, mem[0] / 1048576.0, bound);
      csv.append(String.format(Locale.ROOT, "synthetic-k%d,java,layer4,scorecam-peak-heap-mib,%d,%.1f,,,inputs bound %.1f MiB%n",
          memoryChannels, b, mem[0] / 1048576.0, bound));
    }
  }

  /** {heap peak above the post-GC baseline, process peak RSS} in bytes while {@code r} runs. */
  private static long[] measureMemory(Runnable r) {
    System.gc();
    List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream().filter(m -> m.getType() == MemoryType.HEAP).toList();
    long before = 0;
    for (MemoryPoolMXBean m : heap) {
      before += m.getUsage().getUsed();
      m.resetPeakUsage();
    }
    r.run();
    long peak = 0;
    for (MemoryPoolMXBean m : heap) peak += m.getPeakUsage().getUsed();
    return new long[] {Math.max(0, peak - before), rssPeak()};
  }

  private static long rssPeak() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
      }
    } catch (IOException | RuntimeException e) {
      // not on Linux
    }
    return -1;
  }

  /** batch-size, and parallel for the methods that take it. */
  private Map<String, String> methodOptions(String method, int b) {
    boolean takesParallel = method.equals("scorecam") || method.equals("ablationcam");
    return takesParallel ? Map.of("batch-size", "" + b, "parallel", "" + parallel) : Map.of("batch-size", "" + b);
  }

  /** {@code calls} bare batches, {@link #parallel} at a time (the method's own concurrency), and waits for all. */
  private void runBare(Runnable bareBatch, int calls) {
    if (parallel <= 1) {
      for (int c = 0; c < calls; c++) bareBatch.run();
      return;
    }
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(parallel);
    try {
      List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
      for (int c = 0; c < calls; c++) fs.add(pool.submit(bareBatch));
      for (java.util.concurrent.Future<?> f : fs) f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("a bare batch failed: " + e.getCause(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  /** One bare forward of a full batch of {@code b} images. */
  private static Runnable bareForwardRun(Model model, int b) {
    Tensor xb = input(model.info(), b, 11);
    return () -> model.forward(xb);
  }

  /** One bare tail call on a full batch of {@code b} activations. */
  private static Runnable bareTailRun(Model model, String l, int b) {
    LayerHook hook = model.layer(l);
    Tensor a = hook.activation(input(model.info(), 1, 11));
    List<Tensor> copies = new ArrayList<>();
    for (int i = 0; i < b; i++) copies.add(a);
    Tensor ab = Tensor.concat(copies);
    return () -> hook.tail(ab);
  }

  /**
   * Times the method and the bare engine alternately ({@code repeats} pairs after {@code warmup}), so load drift on a
   * shared machine hits both alike. The bare side runs as many full batches as the method sends rows (rounded up).
   * The first method run (which also counts the rows) is measured for memory. Returns {median seconds per method
   * call, method images/s, bare images/s, median of the per-pair ratios, process peak RSS after one bare batch, process
   * peak RSS after the method, Java heap peak during the method (incl. garbage), rows per method call}.
   */
  private double[] interleaved(ImageCounter model, Runnable method0, Runnable bareBatch, boolean tailRows, int b) {
    Runnable method = () -> {
      try {
        method0.run();
      } catch (CancelledException e) {
        // --max-passes: a timed partial run (the work counted is what ran)
      }
    };
    for (int i = 0; i < Math.max(2, warmup + 1); i++) bareBatch.run();   // TorchScript optimises a shape on its 2nd call
    long rssBare = rssPeak();
    model.reset();
    long[] mem = measureMemory(method);
    long rows = tailRows ? model.tailRows() : model.rows();
    int bareCalls = (int) Math.max(1, (rows + b - 1) / b);
    for (int i = 1; i < warmup; i++) method.run();
    double[] tm = new double[repeats], rb = new double[repeats], ratio = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      long t0 = System.nanoTime();
      runBare(bareBatch, bareCalls);
      double tb = (System.nanoTime() - t0) / 1e9;
      t0 = System.nanoTime();
      method.run();
      tm[i] = (System.nanoTime() - t0) / 1e9;
      rb[i] = (double) bareCalls * b / tb;
      ratio[i] = (rows / tm[i]) / rb[i];
    }
    double t = med(tm), bare = med(rb);
    return new double[] {t, rows / t, bare, med(ratio), rssBare, mem[1], mem[0], rows};
  }

  private static double med(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c[c.length / 2];
  }

  private static Tensor input(ModelInfo info, int n, long seed) {
    InputSpec s = info.input();
    if (info.name().equals("phantom-small") && s.channels() == 1 && s.height() == 64) {
      List<Tensor> xs = new ArrayList<>();
      for (int i = 0; i < n; i++) xs.add(Reference.input((int) ((i + seed) % 6)));
      return Tensor.stack(xs);
    }
    Random rnd = new Random(seed);
    float[] v = new float[n * s.channels() * s.height() * s.width()];
    for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
    return Tensor.wrap(v, s.batchShape(n));
  }

  /** Counts the image rows a method sends through forward and tail. */
  private static final class ImageCounter implements Model {
    private final Model inner;
    private final AtomicLong rows = new AtomicLong();
    private final AtomicLong tailRows = new AtomicLong();

    ImageCounter(Model inner) { this.inner = inner; }

    void reset() { rows.set(0); tailRows.set(0); }
    long rows() { return rows.get(); }
    long tailRows() { return tailRows.get(); }

    @Override public ModelInfo info() { return inner.info(); }
    @Override public Set<Capability> capabilities() { return inner.capabilities(); }

    @Override public int concurrency() { return inner.concurrency(); }
    @Override public Tensor forward(Tensor b) {
      rows.addAndGet(b.dim(0));
      return inner.forward(b);
    }
    @Override public LayerHook layer(String l) {
      LayerHook h = inner.layer(l);
      return new LayerHook() {
        @Override public String name() { return h.name(); }
        @Override public Tensor activation(Tensor input) { return h.activation(input); }
        @Override public Tensor tail(Tensor a) {
          tailRows.addAndGet(a.dim(0));
          return h.tail(a);
        }
        @Override public Tensor vjp(Tensor a, Tensor g) { return h.vjp(a, g); }
      };
    }
    @Override public void close() { }
  }

  /**
   * A pure-Java stand-in with ResNet-50's shapes: 3x224x224 in, layer4 [K, 7, 7] (channel k = the 32x32 block means of
   * channel k % 3, scaled by (k + 1) / K), output [N, 1000] = cheap channel means. Forward costs one pass over the
   * input, so the measured memory is the method's own.
   */
  private static final class SyntheticModel implements Model {
    private final int k;
    private final ModelInfo info;

    SyntheticModel(int k) {
      this.k = k;
      List<String> labels = new ArrayList<>();
      for (int i = 0; i < 1000; i++) labels.add("c" + i);
      info = new ModelInfo("synthetic-resnet50-shapes", Task.MULTICLASS, labels,
          new InputSpec(3, 224, 224, new float[] {0, 0, 0}, new float[] {1, 1, 1}),
          List.of(new LayerInfo("layer4", new int[] {k, 7, 7})), "layer4", "java:synthetic", "java", Map.of());
    }

    @Override public ModelInfo info() { return info; }
    @Override public Set<Capability> capabilities() { return EnumSet.of(Capability.FORWARD, Capability.LAYER_CUT); }

    @Override public Tensor forward(Tensor x) {
      int n = x.dim(0), chw = 3 * 224 * 224;
      float[] out = new float[n * 1000];
      for (int i = 0; i < n; i++) {
        double s = 0;
        for (int p = 0; p < chw; p++) s += x.get(i * chw + p);
        for (int j = 0; j < 1000; j++) out[i * 1000 + j] = (float) (s / chw * ((j % 7) - 3));
      }
      return Tensor.wrap(out, n, 1000);
    }

    @Override public LayerHook layer(String l) {
      return new LayerHook() {
        @Override public String name() { return "layer4"; }
        @Override public Tensor activation(Tensor x) {
          int n = x.dim(0);
          float[] a = new float[n * k * 49];
          for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
              for (int by = 0; by < 7; by++)
                for (int bx = 0; bx < 7; bx++) {
                  double s = 0;
                  for (int y = by * 32; y < by * 32 + 32; y++)
                    for (int q = bx * 32; q < bx * 32 + 32; q++) s += x.get(((i * 3 + c) * 224 + y) * 224 + q);
                  float m = (float) Math.max(0, s / 1024);
                  for (int ch = c; ch < k; ch += 3) a[((i * k + ch) * 7 + by) * 7 + bx] = m * (ch + 1) / k;
                }
          return Tensor.wrap(a, n, k, 7, 7);
        }
        @Override public Tensor tail(Tensor a) { throw new UnsupportedOperationException("not used by scorecam"); }
        @Override public Tensor vjp(Tensor a, Tensor g) { throw new UnsupportedOperationException(); }
      };
    }

    @Override public void close() { }
  }
}
