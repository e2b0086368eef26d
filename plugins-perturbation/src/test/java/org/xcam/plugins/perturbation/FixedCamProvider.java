package org.xcam.plugins.perturbation;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.xcam.api.Capability;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.Objective;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.Passes;
import org.xcam.api.spi.ExplainerProvider;

/**
 * Test-only base CAM for Feature CAM ({@code test-fixed-cam}): raw map at the input's resolution with
 * {@code raw(y, x) = scale * ((y * 3 + x * 5 + 7 * index) % 11)}, so a test can recompute the normalised map by hand.
 */
public final class FixedCamProvider implements ExplainerProvider {
  static float raw(int index, int y, int x, float scale) { return scale * ((y * 3 + x * 5 + 7 * index) % 11); }

  @Override public String name() { return "test-fixed-cam"; }
  @Override public String description() { return "fixed map for tests"; }
  @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD); }
  @Override public List<OptionSpec> options() { return List.of(new OptionSpec("scale", "1", "multiplier")); }

  @Override public Explainer create(Options options) {
    float scale = (float) options.getDouble("scale");
    return new Explainer() {
      @Override public String name() { return "test-fixed-cam"; }
      @Override public List<Explanation> explain(org.xcam.api.Model model, org.xcam.api.ExplainRequest request) {
        int n = request.size(), h = request.input().dim(2), w = request.input().dim(3);
        org.xcam.api.Tensor out = model.forward(request.input());
        List<Explanation> es = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          float[] v = new float[h * w];
          for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) v[y * w + x] = raw(i, y, x, scale);
          float[] row = Common.row(out, i);
          Objective o = request.target(i).resolve(model.info(), row).get(0);
          Heatmap hm = Heatmap.of(v, h, w, "test-fixed-cam", "features", o.describe(), Heatmap.Resolution.LAYER);
          es.add(Explanation.of(i, hm, h, w, o, o.value(row), Passes.NONE, java.util.Map.of("scale", scale)));
        }
        return es;
      }
    };
  }
}
