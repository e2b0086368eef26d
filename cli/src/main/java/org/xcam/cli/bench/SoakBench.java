package org.xcam.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.xcam.api.InputSpec;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.TailGradient;
import org.xcam.api.Tensor;
import org.xcam.runtime.Xcam;
import org.xcam.tck.fixtures.Reference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code xcam bench soak}: runs many engine calls on one model and watches the process's resident memory (VmRSS from
 * {@code /proc/self/status}), so that native memory that is not released per call shows up as growth.
 *
 * <p>One call is what a gradient CAM does per image: {@code forward(x)}, {@code activation(x)} at the layer, and one
 * fused {@code tailWithGradient} (tail forward with autograd + VJP of the target logit). Inputs cycle through the
 * reference inputs when the model takes 1x64x64 images, else through seeded random images of the model's input
 * shape. RSS is printed every {@code --every} calls; the baseline is taken after {@code --warmup} calls (the
 * allocator, the JIT's profiling runs and the Java heap settle first). The JVM may commit more heap as it runs,
 * which RSS also shows, so the growth judged is RSS growth minus the growth of the committed Java heap (run with
 * {@code -Xms256m -Xmx256m} to pin the heap); the command exits with 1 when that grew by more than
 * {@code --max-growth-mb} since the warm-up. Mean times per call are printed at the end.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
    description = "Soak: many forward + fused tail/VJP calls; resident memory must stay flat (exit 1 if it grows)")
public final class SoakBench implements Callable<Integer> {
  @Option(names = {"-m", "--model"}, description = "Bundle directory (default: the pytorch-grad-cam reference bundle phantom-small).")
  Path model;

  @Option(names = "--engine", defaultValue = "djl", description = "Engine (default: ${DEFAULT-VALUE}).")
  String engine;

  @Option(names = "--layer", description = "Layer for the fused tail + VJP (default: the model's default layer).")
  String layer;

  @Option(names = "--calls", defaultValue = "10000", description = "Calls to run (default: ${DEFAULT-VALUE}).")
  int calls;

  @Option(names = "--batch", defaultValue = "1", description = "Images per call (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--warmup", defaultValue = "2000", description = "Calls before the RSS baseline (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--every", defaultValue = "1000", description = "Print RSS every N calls (default: ${DEFAULT-VALUE}).")
  int every;

  @Option(names = "--max-growth-mb", defaultValue = "64", description = "Allowed RSS growth after warm-up in MB (default: ${DEFAULT-VALUE}).")
  double maxGrowthMb;

  @Override public Integer call() {
    if (calls < 1 || batch < 1 || every < 1 || warmup < 0) {
      System.err.println("xcam bench soak: --calls, --batch and --every must be positive and --warmup >= 0");
      return 2;
    }
    Path path = model != null ? model : Reference.bundle();
    double rss0 = rssMb();
    try (Model m = Xcam.create().load(path, engine, Map.of())) {
      String l = layer != null ? layer : m.info().defaultLayer();
      if (l == null) l = "input";
      LayerHook hook = m.layer(l);
      List<Tensor> inputs = inputs(m.info().input());
      int k = m.info().numOutputs();
      Function<Tensor, Tensor> seed = y -> {
        float[] g = new float[y.size()];
        for (int i = 0; i < y.dim(0); i++) g[i * k + (i % k)] = 1f;
        return Tensor.wrap(g, y.shape());
      };
      double rssLoaded = rssMb();
      System.out.printf(Locale.ROOT, "soak: model %s (engine %s), layer %s, batch %d, %d calls; RSS %.1f MB at start, %.1f MB"
          + " after loading%n", path, m.info().engine(), l, batch, calls, rss0, rssLoaded);
      System.out.printf(Locale.ROOT, "%8s %10s %12s %14s %14s %12s %12s%n", "calls", "RSS MB", "vs warm-up",
          "heap commit MB", "native vs w-u", "forward ms", "tail+vjp ms");
      double baseline = warmup == 0 ? rssLoaded : Double.NaN;
      double heapBaseline = warmup == 0 ? committedMb() : Double.NaN;
      double peakNative = 0;
      List<double[]> trend = new ArrayList<>();   // (calls, RSS) after warm-up, for the slope
      double peakGrowth = 0;
      long tForward = 0, tFused = 0, tActivation = 0;
      long windowForward = 0, windowFused = 0;
      int timed = 0;
      double checksum = 0;
      for (int c = 1; c <= calls; c++) {
        Tensor x = inputs.get(c % inputs.size());
        long t0 = System.nanoTime();
        Tensor y = m.forward(x);
        long t1 = System.nanoTime();
        Tensor a = hook.activation(x);
        long t2 = System.nanoTime();
        TailGradient tg = hook.tailWithGradient(a, seed);
        long t3 = System.nanoTime();
        checksum += y.get(0) + tg.gradient().get(0);
        windowForward += t1 - t0;
        windowFused += t3 - t2;
        if (c > warmup) {
          tForward += t1 - t0;
          tActivation += t2 - t1;
          tFused += t3 - t2;
          timed++;
        }
        if (c == warmup) {
          baseline = rssMb();
          heapBaseline = committedMb();
        }
        if (c % every == 0 || c == calls) {
          int n = c % every == 0 ? every : c % every;
          double rss = rssMb();
          double heap = committedMb();
          double growth = Double.isNaN(baseline) ? Double.NaN : rss - baseline;
          double nativeGrowth = growth - (heap - heapBaseline);
          if (!Double.isNaN(growth)) {
            trend.add(new double[] {c, rss});
            peakGrowth = Math.max(peakGrowth, growth);
            peakNative = Math.max(peakNative, nativeGrowth);
          }
          System.out.printf(Locale.ROOT, "%8d %10.1f %12s %14.1f %14s %12.3f %12.3f%n", c, rss,
              Double.isNaN(growth) ? "(warm-up)" : String.format(Locale.ROOT, "%+.1f", growth), heap,
              Double.isNaN(growth) ? "" : String.format(Locale.ROOT, "%+.1f", nativeGrowth),
              windowForward / 1e6 / n, windowFused / 1e6 / n);
          windowForward = 0;
          windowFused = 0;
        }
      }
      double end = rssMb();
      double growth = Double.isNaN(baseline) ? 0 : end - baseline;
      double heapGrowth = Double.isNaN(heapBaseline) ? 0 : committedMb() - heapBaseline;
      double nativeGrowth = growth - heapGrowth;
      if (trend.size() >= 2) {
        double mc = 0, mr = 0;
        for (double[] p : trend) {
          mc += p[0] / trend.size();
          mr += p[1] / trend.size();
        }
        double sxy = 0, sxx = 0;
        for (double[] p : trend) {
          sxy += (p[0] - mc) * (p[1] - mr);
          sxx += (p[0] - mc) * (p[0] - mc);
        }
        double[] mid = trend.get((trend.size() - 1) / 2);
        double[] last = trend.get(trend.size() - 1);
        System.out.printf(Locale.ROOT, "RSS trend after warm-up: %+.3f MB per 1000 calls (least squares over %d points);"
            + " %+.1f MB over the last %d calls%n", 1000 * sxy / sxx, trend.size(), last[1] - mid[1], (int) (last[0] - mid[0]));
      }
      if (timed > 0) {
        System.out.printf(Locale.ROOT, "mean per call after warm-up (%d calls): forward %.3f ms, activation %.3f ms,"
            + " fused tail+vjp %.3f ms; fused / forward = %.2f%n", timed, tForward / 1e6 / timed, tActivation / 1e6 / timed,
            tFused / 1e6 / timed, (double) tFused / tForward);
      }
      System.out.printf(Locale.ROOT, "RSS: %.1f MB after loading, %.1f MB after warm-up, %.1f MB at the end; growth after"
          + " warm-up %+.1f MB (peak %+.1f MB), of which Java heap committed %+.1f MB, the rest (native) %+.1f MB (peak"
          + " %+.1f MB, bound %.0f MB) [checksum %.4g]%n", rssLoaded, baseline, end, growth, peakGrowth, heapGrowth,
          nativeGrowth, peakNative, maxGrowthMb, checksum);
      if (nativeGrowth > maxGrowthMb) {
        System.out.printf(Locale.ROOT, "FAIL: resident memory outside the Java heap grew by %.1f MB after warm-up (bound"
            + " %.0f MB): native memory is not released per call%n", nativeGrowth, maxGrowthMb);
        return 1;
      }
      System.out.println("OK: resident memory stayed flat");
      return 0;
    }
  }

  /** Reference inputs for a 1x64x64 model, else seeded random images of the model's shape; batched. */
  private List<Tensor> inputs(InputSpec in) {
    List<Tensor> singles = new ArrayList<>();
    if (in.channels() == 1 && in.height() == 64 && in.width() == 64) {
      for (int i = 0; i < 6; i++) singles.add(Reference.input(i));
    } else {
      Random r = new Random(42);
      for (int i = 0; i < 6; i++) {
        float[] v = new float[in.channels() * in.height() * in.width()];
        for (int j = 0; j < v.length; j++) v[j] = (float) r.nextGaussian();
        singles.add(Tensor.wrap(v, in.channels(), in.height(), in.width()));
      }
    }
    List<Tensor> batches = new ArrayList<>();
    for (int i = 0; i < singles.size(); i++) {
      List<Tensor> b = new ArrayList<>();
      for (int j = 0; j < batch; j++) b.add(singles.get((i + j) % singles.size()));
      batches.add(Tensor.stack(b));
    }
    return batches;
  }

  /** Java heap committed (resident once touched), in MB: RSS growth from the heap is not native growth. */
  static double committedMb() { return Runtime.getRuntime().totalMemory() / 1048576.0; }

  /** VmRSS of this process in MB (NaN where /proc is missing). */
  static double rssMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          String[] p = line.substring(6).trim().split("\\s+");
          return Long.parseLong(p[0]) / 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
    return Double.NaN;
  }
}
