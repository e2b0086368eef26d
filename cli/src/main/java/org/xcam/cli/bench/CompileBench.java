package org.xcam.cli.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Model;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.api.compile.CompileRequest;
import org.xcam.api.compile.CompiledModel;
import org.xcam.api.spi.CompilerProvider;
import org.xcam.runtime.Xcam;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code xcam bench compile}: what a compiled explanation costs at inference time. Per model and batch size, on the same
 * runtime and device (ONNX Runtime, CPU by default):
 *
 * <ul>
 *   <li>{@code plain}: one run of the original model (the prediction alone);</li>
 *   <li>{@code compiled}: one run of the compiled model (prediction plus the methods' maps);</li>
 *   <li>{@code java}: the same methods through xcam in Java on the ONNX engine (head, fused tail + VJP, map math),
 *       i.e. what a deployment with xcam pays for the maps beyond the prediction.</li>
 * </ul>
 *
 * <p>Reported: {@code compiled/plain}, and {@code (compiled - plain) / (java - plain)}: the maps' extra cost inside the
 * graph over the Java path's extra cost (about one more inference plus its backward); below 1, compiling is cheaper. Rounds alternate plain / compiled / java so load hits
 * all alike; times are minima over {@code --repeats} rounds after {@code --warmup}, with the median of per-round
 * ratios beside them. Default models: tools/.work/resnet50.onnx (python3 tools/gen_torchvision.py --only big --models
 * resnet50) when present, and the phantom-cxr fixture.
 */
@Command(name = "compile", mixinStandardHelpOptions = true,
    description = "Benchmark compiled explanations: compiled-graph time / plain inference time (and vs the Java path)")
public final class CompileBench implements Callable<Integer> {
  @Option(names = {"-m", "--model"}, description = "ONNX files or bundle directories with model.onnx (repeatable).")
  List<Path> models = new ArrayList<>();

  @Option(names = "--method", split = ",", defaultValue = "gradcam", description = "Methods to compile (default: ${DEFAULT-VALUE}).")
  List<String> methods;

  @Option(names = "--layer", description = "Layer every method explains at (default: each method's default), e.g. a mid layer for recipro-cam.")
  String layer;

  @Option(names = "--batch", split = ",", defaultValue = "1,8", description = "Batch sizes (default: ${DEFAULT-VALUE}).")
  List<Integer> batches;

  @Option(names = "--device", defaultValue = "cpu", description = "auto, cpu or cuda (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(names = "--repeats", defaultValue = "10", description = "Timed rounds (default: ${DEFAULT-VALUE}).")
  int repeats;

  @Option(names = "--warmup", defaultValue = "2", description = "Untimed rounds first (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--out", description = "Also write the table as CSV to this file.")
  Path out;

  @Override public Integer call() throws IOException {
    List<Path> targets = new ArrayList<>(models);
    if (targets.isEmpty()) {
      Path r50 = Path.of("tools/.work/resnet50.onnx");
      if (Files.isRegularFile(r50)) targets.add(r50);
      else System.err.println("no " + r50 + " (python3 tools/gen_torchvision.py --only big --models resnet50 writes it); timing the fixture only");
      if (org.xcam.runtime.Fixtures.available()) targets.add(org.xcam.runtime.Fixtures.phantomBundle());
    }
    Xcam xcam = Xcam.create();
    Map<String, String> opts = Map.of("device", device);
    List<String> rows = new ArrayList<>();
    rows.add("model,methods,device,batch,compile_s,plain_ms,compiled_ms,java_ms,compiled_over_plain,compiled_over_plain_median,extra_over_java_extra");
    System.out.printf(Locale.ROOT, "%-14s %-18s %5s %9s %11s %9s %9s %11s %10s%n", "model", "methods", "batch", "plain ms",
        "compiled ms", "java ms", "comp/plain", "(c-p)/(j-p)", "compile s");
    Path tmp = Files.createTempDirectory("xcam-bench-compile");
    try {
      for (Path p : targets) {
        CompilerProvider c = xcam.compiler(null, p);
        Path file = tmp.resolve("m.xcam.onnx");
        long t0 = System.nanoTime();
        c.compile(CompileRequest.builder(p, file).methods(methods).layer(layer).engineOptions(opts).build());
        double compileS = (System.nanoTime() - t0) / 1e9;
        Path plainFile = Files.isDirectory(p) ? p.resolve("model.onnx") : p;
        try (Model m = xcam.load(p, "onnx", opts);
             CompiledModel plain = c.open(plainFile, opts);
             CompiledModel compiled = c.open(file, opts)) {
          List<Explainer> ex = methods.stream().map(xcam::explainer).toList();
          for (int b : batches) {
            Tensor x = random(m.info().input().batchShape(b));
            double[][] t = new double[3][repeats];
            Runnable[] fns = {() -> plain.run(x), () -> compiled.run(x), () -> {
              m.forward(x);
              for (Explainer e : ex) {
                ExplainRequest.Builder rb = ExplainRequest.builder(x).target(Target.predicted());
                if (layer != null) rb.layer(layer);
                e.explain(m, rb.build());
              }
            }};
            for (int r = 0; r < warmup + repeats; r++) {
              for (int k = 0; k < 3; k++) {
                long s = System.nanoTime();
                fns[k].run();
                if (r >= warmup) t[k][r - warmup] = (System.nanoTime() - s) / 1e6;
              }
            }
            double pl = min(t[0]), co = min(t[1]), ja = min(t[2]);
            double[] ratio = new double[repeats];
            for (int r = 0; r < repeats; r++) ratio[r] = t[1][r] / t[0][r];
            String name = m.info().name();
            System.out.printf(Locale.ROOT, "%-14s %-18s %5d %9.2f %11.2f %9.2f %10.2f %11.2f %10.1f%n", trim(name, 14),
                trim(String.join(",", methods), 18), b, pl, co, ja, co / pl, (co - pl) / (ja - pl), compileS);
            rows.add(String.format(Locale.ROOT, "%s,%s,%s,%d,%.2f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f", name, String.join(" ", methods), device, b,
                compileS, pl, co, ja, co / pl, median(ratio), (co - pl) / (ja - pl)));
          }
        }
      }
    } finally {
      try (var s = Files.walk(tmp)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(q -> q.toFile().delete());
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

  private static String trim(String s, int n) { return s.length() <= n ? s : "..." + s.substring(s.length() - n + 3); }

  private static double min(double[] v) { return Arrays.stream(v).min().orElse(Double.NaN); }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static Tensor random(int[] shape) {
    int n = 1;
    for (int s : shape) n *= s;
    float[] v = new float[n];
    SplittableRandom r = new SplittableRandom(3);
    for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
    return Tensor.wrap(v, shape);
  }
}
