package org.xcam.cli.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerInfo;
import org.xcam.api.Model;
import org.xcam.api.Tensor;
import org.xcam.runtime.Xcam;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code xcam bench onnx}: the cost of gradients through the ONNX engine's generated backward graph, as ratios to the
 * tail forward on the same model, layer, batch and device:
 *
 * <ul>
 *   <li>{@code vjp/tail}: {@code hook.vjp(a, dY)}, one run of the gradient graph (tail forward recomputed, then the
 *       backward nodes), over {@code hook.tail(a)};</li>
 *   <li>{@code fused/tail}: {@code hook.tailWithGradient(a, seed)} (forward-with-tape run, seed in Java, backward run),
 *       over {@code hook.tail(a)}: what a gradient CAM pays per image beyond the head.</li>
 * </ul>
 *
 * <p>Graph surgery and session creation happen once per (model, layer); the first call of each kind is timed
 * separately as "setup". Timings alternate tail / vjp / fused ({@code --repeats} rounds after {@code --warmup}) so
 * load on a shared machine hits all alike; the ratio is min/min with the median of per-round ratios beside it.
 * Default model: tools/.work/resnet18.onnx (make it with {@code python3 tools/gen_torchvision.py}). The model is loaded
 * through the runtime facade with engine {@code onnx}, like any plugin; the device is read from the model's info.
 */
@Command(name = "onnx", mixinStandardHelpOptions = true,
    description = "Benchmark the ONNX engine: VJP through the generated backward graph vs tail forward (ratios)")
public final class OnnxBench implements Callable<Integer> {
  @Option(names = {"-m", "--model"}, description = "ONNX files or bundle directories (repeatable). Default: tools/.work/resnet18.onnx.")
  List<Path> models = new ArrayList<>();

  @Option(names = "--layers", split = ",", description = "Layers (default: the model's default layer and 'input').")
  List<String> layers = new ArrayList<>();

  @Option(names = "--batch", defaultValue = "1", description = "Images per call (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--device", defaultValue = "cpu", description = "auto, cpu or cuda (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(names = "--threads", defaultValue = "0", description = "ONNX Runtime intra-op threads (0 = its default).")
  int threads;

  @Option(names = "--repeats", defaultValue = "10", description = "Timed rounds (default: ${DEFAULT-VALUE}).")
  int repeats;

  @Option(names = "--warmup", defaultValue = "2", description = "Untimed rounds first (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--out", description = "Also write the table as CSV to this file.")
  Path out;

  @Override public Integer call() {
    List<Path> targets = new ArrayList<>(models);
    if (targets.isEmpty()) {
      Path d = Path.of("tools/.work/resnet18.onnx");
      if (!Files.isRegularFile(d)) {
        System.err.println("xcam bench onnx: no --model and " + d + " is missing; generate it with python3 tools/gen_torchvision.py");
        return 2;
      }
      targets.add(d);
    }
    Map<String, String> opts = new LinkedHashMap<>();
    opts.put("device", device);
    if (threads > 0) opts.put("threads", Integer.toString(threads));
    List<String> rows = new ArrayList<>();
    rows.add("model,device,layer,batch,setup_ms,tail_ms,vjp_ms,fused_ms,vjp_over_tail,vjp_over_tail_median,fused_over_tail,fused_over_tail_median");
    System.out.printf(Locale.ROOT, "%-16s %-5s %-42s %5s %9s %9s %9s %9s %9s %9s%n", "model", "dev", "layer", "batch",
        "setup ms", "tail ms", "vjp ms", "fused ms", "vjp/tail", "fused/tl");
    Xcam xcam = Xcam.create();
    for (Path p : targets) {
      try (Model m = xcam.load(p, "onnx", opts)) {
        List<String> ls = layers.isEmpty() ? List.of(m.info().defaultLayer(), LayerInfo.INPUT) : layers;
        Tensor x = random(m.info().input().batchShape(batch), 1);
        for (String l : ls) rows.add(bench(m, l, x));
      }
    }
    if (out != null) {
      try {
        Files.write(out, rows);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return 0;
  }

  private String bench(Model m, String layer, Tensor x) {
    LayerHook h = m.layer(layer);
    Tensor a = h.activation(x);
    Tensor gy = random(new int[] {x.dim(0), m.info().numOutputs()}, 2);
    long t0 = System.nanoTime();
    h.tail(a);
    h.vjp(a, gy);
    h.tailWithGradient(a, y -> gy);
    double setup = (System.nanoTime() - t0) / 1e6;
    List<Supplier<Object>> fns = List.of(() -> h.tail(a), () -> h.vjp(a, gy), () -> h.tailWithGradient(a, y -> gy));
    double[][] t = new double[3][repeats];
    for (int r = 0; r < warmup + repeats; r++) {
      for (int k = 0; k < 3; k++) {
        long s = System.nanoTime();
        fns.get(k).get();
        double ms = (System.nanoTime() - s) / 1e6;
        if (r >= warmup) t[k][r - warmup] = ms;
      }
    }
    double tail = min(t[0]), vjp = min(t[1]), fused = min(t[2]);
    double[] rv = new double[repeats], rf = new double[repeats];
    for (int r = 0; r < repeats; r++) {
      rv[r] = t[1][r] / t[0][r];
      rf[r] = t[2][r] / t[0][r];
    }
    String name = m.info().name();
    String dev = String.valueOf(m.info().extra().getOrDefault("onnxDevice", "?"));
    System.out.printf(Locale.ROOT, "%-16s %-5s %-42s %5d %9.1f %9.2f %9.2f %9.2f %9.2f %9.2f%n", trim(name, 16), dev,
        trim(layer, 42), x.dim(0), setup, tail, vjp, fused, vjp / tail, fused / tail);
    return String.format(Locale.ROOT, "%s,%s,%s,%d,%.1f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f", name, dev, layer, x.dim(0),
        setup, tail, vjp, fused, vjp / tail, median(rv), fused / tail, median(rf));
  }

  private static String trim(String s, int n) { return s.length() <= n ? s : "..." + s.substring(s.length() - n + 3); }

  private static double min(double[] v) { return Arrays.stream(v).min().orElse(Double.NaN); }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length == 0 ? Double.NaN : s[s.length / 2];
  }

  private static Tensor random(int[] shape, long seed) {
    int n = 1;
    for (int s : shape) n *= s;
    float[] v = new float[n];
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
    return Tensor.wrap(v, shape);
  }
}
