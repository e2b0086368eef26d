package org.xcam.cli.testing;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.xcam.api.Capability;
import org.xcam.api.CancelledException;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.Model;
import org.xcam.api.Objective;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.Passes;
import org.xcam.api.Plan;
import org.xcam.api.Tensor;
import org.xcam.api.spi.ExplainerProvider;

/**
 * Test-only method {@code test-slow}: counts its calls (so a test can prove no pass ran), sleeps {@code sleep-ms} per
 * image while reporting progress and honouring cancellation (so a test can interrupt a run mid-way), and declares a
 * cost of {@code cost} evaluations per image. The map is the input's first channel.
 */
public final class SlowExplainerProvider implements ExplainerProvider {
  /** explain() calls since the JVM started. */
  public static final AtomicInteger CALLS = new AtomicInteger();

  @Override public String name() { return "test-slow"; }
  @Override public String description() { return "test only: sleeps, counts calls, declares a cost"; }
  @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD); }
  @Override public boolean layerBased() { return false; }

  @Override public List<OptionSpec> options() {
    return List.of(new OptionSpec("sleep-ms", "0", "sleep per image"), new OptionSpec("cost", "1", "declared evaluations per image"));
  }

  @Override public Explainer create(Options options) {
    long sleep = options.getLong("sleep-ms");
    long cost = options.getLong("cost");
    return new Explainer() {
      @Override public String name() { return "test-slow"; }

      @Override public Plan plan(Model model, ExplainRequest request) { return Plan.of(cost, cost + " test evaluations"); }

      @Override public List<Explanation> explain(Model model, ExplainRequest request) {
        CALLS.incrementAndGet();
        Tensor x = request.input();
        Tensor y = model.forward(x);
        int n = x.dim(0), h = x.dim(2), w = x.dim(3), k = y.dim(1), c = x.dim(1);
        List<Explanation> out = new ArrayList<>();
        float[] row = new float[k];
        for (int i = 0; i < n; i++) {
          for (int step = 0; step < 10; step++) {
            if (request.cancelled().getAsBoolean()) throw new CancelledException("test-slow cancelled");
            request.progress().progress(step, 10, "test-slow steps");
            try {
              Thread.sleep(sleep / 10);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new CancelledException("interrupted");
            }
          }
          float[] plane = new float[h * w];
          y.copyTo(i * k, row, 0, k);
          x.copyTo(i * c * h * w, plane, 0, h * w);
          for (Objective o : request.target(i).resolve(model.info(), row)) {
            Heatmap raw = Heatmap.of(plane, h, w, "test-slow", "input", o.describe(), Heatmap.Resolution.LAYER);
            out.add(Explanation.of(i, raw, h, w, o, o.value(row), Passes.NONE, Map.of()));
          }
        }
        return out;
      }
    };
  }
}
