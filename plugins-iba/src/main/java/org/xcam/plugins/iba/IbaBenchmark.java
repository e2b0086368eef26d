package org.xcam.plugins.iba;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.xcam.api.CountingModel;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.InputSpec;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.Objectives;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.Passes;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.api.spi.BenchmarkProvider;

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
public final class IbaBenchmark implements BenchmarkProvider {
  @Override public String name() { return "iba"; }

  @Override public String description() { return "Benchmark IBA: time per image and pass counts, as ratios to bare engine passes"; }

  @Override public List<OptionSpec> options() {
    return List.of(
        new OptionSpec("layer", "", "layer (default: the model's default layer)"),
        new OptionSpec("batch", "1", "images per call"),
        new OptionSpec("repeats", "5", "timed calls"),
        new OptionSpec("warmup", "2", "untimed calls first"),
        new OptionSpec("stats-count", "64", "inputs for in-memory statistics when xcam-stats is missing"));
  }

  @Override public List<Map<String, Object>> run(Model model, Options o, PrintStream out) {
    int batch = o.getInt("batch"), repeats = o.getInt("repeats"), warmup = o.getInt("warmup"), statsCount = o.getInt("stats-count");
    if (batch < 1 || repeats < 1 || warmup < 0 || statsCount < 2) {
      throw new InvalidInputException("bench iba: batch and repeats must be >= 1, warmup >= 0, stats-count >= 2");
    }
    String layer = o.getString("layer").trim();
    return new Run(layer.isEmpty() ? null : layer, batch, repeats, warmup, statsCount, out).benchModel(model);
  }

  /** One benchmark run's settings. */
  private record Run(String layer, int batch, int repeats, int warmup, int statsCount, PrintStream out) {
    private List<Map<String, Object>> benchModel(Model model) {
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
      List<Map<String, Object>> table = new ArrayList<>();
      out.printf(Locale.ROOT, "%nmodel %s (%s), engine %s, layer %s %s, batch %d%n", model.info().name(), model.info().source(),
          model.info().engine(), l, Arrays.toString(model.info().layer(l).shape()), batch);
      out.printf(Locale.ROOT, "grad  (1 head + 1 tail+VJP, 1 image): %.3f ms%n", grad);
      out.printf(Locale.ROOT, "floor (1 head + %d x tail+VJP on %d rows): %.3f ms/image (before %.3f, after %.3f)%n", cfg.steps(),
          batch * cfg.samples(), floor / batch, floorBefore / batch, floorAfter / batch);
      out.printf(Locale.ROOT, "| %-12s | %10s | %9s | %10s | %-36s |%n", "method", "ms / image", "/ grad", "/ floor", "passes per call");
      out.printf(Locale.ROOT, "|%s|%s|%s|%s|%s|%n", "-".repeat(14), "-".repeat(12), "-".repeat(11), "-".repeat(12), "-".repeat(38));
      for (Object[] row : results) {
        String name = (String) row[0];
        double t = (Double) row[1];
        Passes p = (Passes) row[2];
        out.printf(Locale.ROOT, "| %-12s | %10.3f | %9.1f | %10.2f | %-36s |%n", name, t / batch, t / batch / grad, t / floor, p);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", model.info().name());
        r.put("engine", model.info().engine());
        r.put("layer", l);
        r.put("batch", batch);
        r.put("method", name);
        r.put("ms_per_image", String.format(Locale.ROOT, "%.4f", t / batch));
        r.put("ratio_to_grad", String.format(Locale.ROOT, "%.3f", t / batch / grad));
        r.put("ratio_to_floor", String.format(Locale.ROOT, "%.3f", t / floor));
        r.put("heads", p.heads());
        r.put("tails", p.tails());
        r.put("vjps", p.vjps());
        table.add(r);
      }
      return table;
    }

    private StatsSource statsFor(Model model, String l, LayerHook hook, InputSpec in) {
      Path dir = StatsSource.besideModel(model.info());
      if (ActivationStats.exists(dir, l)) return StatsSource.directory(dir);
      List<Tensor> batches = new ArrayList<>();
      for (int i = 0; i < statsCount; i += 16) batches.add(randomInputs(1000 + i, Math.min(16, statsCount - i), in));
      ActivationStats s = ActivationStats.estimate(hook, model.info().layer(l).layout(), batches, ActivationStats.Mode.ELEMENT, "bench: N(0,1) inputs");
      return StatsSource.of(Map.of(l, s));
    }

    static Tensor randomInputs(long seed, int n, InputSpec in) {
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
}
