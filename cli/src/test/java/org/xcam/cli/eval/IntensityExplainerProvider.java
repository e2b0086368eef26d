package org.xcam.cli.eval;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xcam.api.Capability;
import org.xcam.api.Explainer;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.Model;
import org.xcam.api.Objective;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.Passes;
import org.xcam.api.Tensor;
import org.xcam.api.spi.ExplainerProvider;

/**
 * Test-only "method": the map is the input's first channel (phantom lesions are bright), so the CAM-box path of
 * {@link DetectionEvaluation} can be exercised without the gradient plugins on the class path.
 */
public final class IntensityExplainerProvider implements ExplainerProvider {
  @Override public String name() { return "test-intensity"; }
  @Override public String description() { return "test only: the input's intensity as the map"; }
  @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD); }
  @Override public List<OptionSpec> options() { return List.of(); }
  @Override public boolean layerBased() { return false; }

  @Override public Explainer create(Options options) {
    return new Explainer() {
      @Override public String name() { return "test-intensity"; }

      @Override public List<Explanation> explain(Model model, ExplainRequest request) {
        Tensor x = request.input();
        Tensor y = model.forward(x);
        int n = x.dim(0), h = x.dim(2), w = x.dim(3), k = y.dim(1), c = x.dim(1);
        List<Explanation> out = new ArrayList<>();
        float[] row = new float[k];
        float[] plane = new float[h * w];
        for (int i = 0; i < n; i++) {
          y.copyTo(i * k, row, 0, k);
          x.copyTo(i * c * h * w, plane, 0, h * w);
          for (Objective o : request.target(i).resolve(model.info(), row)) {
            Heatmap raw = Heatmap.of(plane, h, w, "test-intensity", "input", o.describe(), Heatmap.Resolution.LAYER);
            out.add(Explanation.of(i, raw, h, w, o, o.value(row), Passes.NONE, Map.of()));
          }
        }
        return out;
      }
    };
  }
}
