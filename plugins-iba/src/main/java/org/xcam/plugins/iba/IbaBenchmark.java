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
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.xcam.api.CountingModel;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.InputSpec;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.Objectives;
import org.xcam.api.Passes;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.plugins.iba.ActivationStats;
import org.xcam.plugins.iba.Bottleneck;
import org.xcam.plugins.iba.IbaExplainer;
import org.xcam.plugins.iba.ModelLoss;
import org.xcam.plugins.iba.StatsSource;
import org.xcam.runtime.Xcam;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code xcam bench iba}: time per image and measured pass counts of IBA (and Inverse IBA) on the same engine, model
 * and layer, against two baselines:
 * <ul>
 *   <li>{@code grad}: one head + one fused tail+VJP on one image (what one gradient CAM costs);</li>
 *   <li>{@code floor}: the passes IBA cannot avoid, timed bare: one head on the batch + {@code steps} fused tail+VJP
 *       calls on {@code batch x samples} rows. {@code iba / floor} is the overhead of the Java side (noise, blur,
 *       KL, Adam), which should stay near 1.</li>
 * </ul>
 * The pass count is measured with {@link CountingModel}; the target is {@code 1 head + steps x (1 tail + 1 vjp)}
 * per call. Statistics: {@code xcam-stats} beside the model when present, otherwise estimated in memory from
 * {@code --stats-count} N(0,1) inputs (timing does not depend on their values).
 */
@Command(name = "iba", mixinStandardHelpOptions = true, description = "Benchmark IBA: time per image and pass counts")
public final class IbaBench implements Callable<Integer> {
  @Option(names = {"-m", "--model"}, description = "Bundle directories (repeatable). Default: the reference bundle and --models-dir.")
  List<Path> models = new ArrayList<>();

  @Option(names = "--models-dir", defaultValue = "bench-models", description = "Directory searched for more bundles (default: ${DEFAULT-VALUE}).")
  Path modelsDir;

  @Option(names = "--engine", defaultValue = "djl", description = "Engine (default: ${DEFAULT-VALUE}).")
  String engine;

  @Option(names = "--layer", description = "Layer (default: the model's default layer).")
  String layer;

  @Option(names = "--batch", defaultValue = "1", description = "Images per call (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--repeats", defaultValue = "5", description = "Timed calls (default: ${DEFAULT-VALUE}).")
  int repeats;

  @Option(names = "--warmup", defaultValue = "2", description = "Untimed calls first (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--stats-count", defaultValue = "64", description = "Inputs for in-memory statistics when xcam-stats is missing (default: ${DEFAULT-VALUE}).")
  int statsCount;

  @Option(names = "--out", description = "Also write the table as CSV to this file.")
  Path out;

  @Override public Integer call() {
    Xcam xcam = Xcam.create();
    List<Path> targets = BenchModels.targets(models, List.of(modelsDir), true);
    StringBuilder csv = new StringBuilder("model,engine,layer,batch,method,ms_per_image,ratio_to_grad,ratio_to_floor,heads,tails,vjps\n");
    for (Path bundle : targets) {
      try (Model model = xcam.load(bundle, engine, Map.of())) {
        benchModel(model, csv);
      }
    }
    if (out != null) {
      try {
        Files.writeString(out, csv.toString());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return 0;
  }

  private void benchModel(Model model, StringBuilder csv) {
    String l = layer != null ? layer : model.info().defaultLayer();
    InputSpec in = model.info().input();
    Tensor x = randomInputs(7, batch, in);
    LayerHook hook = model.layer(l);
    StatsSource stats = statsFor(model, l, hook, in);
    Bottleneck.Config cfg = Bottleneck.Config.iba();

    double grad = median(() -> {
      Tensor a = hook.activation(x.slice(0, 1));
      return hook.tailWithGradient(a, y -> Objectives.logit(0, "").gradients(y)).gradient();
    });
    Tensor rows = Tensor.concat(java.util.Collections.nCopies(cfg.samples(), x));
    Tensor aRows = hook.activation(rows);
    Supplier<Object> floorWork = () -> {
      hook.activation(x);
      Tensor g = null;
      for (int t = 0; t < cfg.steps(); t++) g = hook.tailWithGradient(aRows, y -> Objectives.logit(0, "").gradients(y)).gradient();
      return g;
    };
    double floorBefore = median(floorWork);
    List<Object[]> results = new ArrayList<>();
    for (Explainer e : List.of(IbaExplainer.iba(stats),
        new IbaExplainer("inverse-iba", Bottleneck.Config.inverseIba(), stats, false, ModelLoss.RegressionLoss.DV, Double.NaN, 8))) {
      ExplainRequest r = ExplainRequest.builder(x).target(model.info().task() == org.xcam.api.Task.REGRESSION
          ? Target.regression(0) : Target.predicted()).layer(l).seed(1).build();
      CountingModel counted = new CountingModel(model);
      e.explain(counted, r);
      results.add(new Object[] {e.name(), median(() -> e.explain(model, r)), counted.passes()});
    }
    double floorAfter = median(floorWork);
    double floor = (floorBefore + floorAfter) / 2;
    System.out.printf(Locale.ROOT, "%nmodel %s (%s), engine %s, layer %s %s, batch %d%n", model.info().name(), model.info().source(),
        model.info().engine(), l, Arrays.toString(model.info().layer(l).shape()), batch);
    System.out.printf(Locale.ROOT, "grad  (1 head + 1 tail+VJP, 1 image): %.3f ms%n", grad);
    System.out.printf(Locale.ROOT, "floor (1 head + %d x tail+VJP on %d rows): %.3f ms/image (before %.3f, after %.3f)%n", cfg.steps(),
        batch * cfg.samples(), floor / batch, floorBefore / batch, floorAfter / batch);
    System.out.printf(Locale.ROOT, "| %-12s | %10s | %9s | %10s | %-36s |%n", "method", "ms / image", "/ grad", "/ floor", "passes per call");
    System.out.printf(Locale.ROOT, "|%s|%s|%s|%s|%s|%n", "-".repeat(14), "-".repeat(12), "-".repeat(11), "-".repeat(12), "-".repeat(38));
    for (Object[] row : results) {
      String name = (String) row[0];
      double t = (Double) row[1];
      Passes p = (Passes) row[2];
      System.out.printf(Locale.ROOT, "| %-12s | %10.3f | %9.1f | %10.2f | %-36s |%n", name, t / batch, t / batch / grad, t / floor, p);
      csv.append(String.format(Locale.ROOT, "%s,%s,%s,%d,%s,%.4f,%.3f,%.3f,%d,%d,%d%n", model.info().name(), model.info().engine(),
          l, batch, name, t / batch, t / batch / grad, t / floor, p.heads(), p.tails(), p.vjps()));
    }
  }

  private StatsSource statsFor(Model model, String l, LayerHook hook, InputSpec in) {
    Path dir = StatsSource.besideModel(model.info());
    if (ActivationStats.exists(dir, l)) return StatsSource.directory(dir);
    List<Tensor> batches = new ArrayList<>();
    for (int i = 0; i < statsCount; i += 16) batches.add(randomInputs(1000 + i, Math.min(16, statsCount - i), in));
    ActivationStats s = ActivationStats.estimate(hook, batches, ActivationStats.Mode.ELEMENT, "bench: N(0,1) inputs");
    return StatsSource.of(Map.of(l, s));
  }

  private static Tensor randomInputs(long seed, int n, InputSpec in) {
    Random r = new Random(seed);
    float[] v = new float[n * in.channels() * in.height() * in.width()];
    for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
    return Tensor.wrap(v, n, in.channels(), in.height(), in.width());
  }

  /** Median wall time in ms over --repeats after --warmup. */
  private double median(Supplier<Object> work) {
    for (int i = 0; i < warmup; i++) work.get();
    double[] t = new double[Math.max(1, repeats)];
    for (int i = 0; i < t.length; i++) {
      long t0 = System.nanoTime();
      work.get();
      t[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(t);
    return t[t.length / 2];
  }
}
