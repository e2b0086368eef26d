package org.xcam.plugins.iba;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.xcam.api.CountingModel;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Model;
import org.xcam.api.Options;
import org.xcam.api.Passes;
import org.xcam.api.Target;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.runtime.Xcam;

/**
 * Regression IBA on the phantom severity model (tools/train_severity.py): the output is the number of affected lung
 * zones; the model never saw where the zones are. The zone severity map (1 inside affected zones) is the independent
 * reference; the test reports the Pearson correlation between it and the attribution map, per loss, through DJL.
 * The statistics come from {@code bundle/xcam-stats/} (found beside the model, the default lookup).
 */
@DisplayName("Regression IBA on the phantom severity model (through DJL)")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SeverityRegressionIbaTest {
  Model model;
  Tensor inputs;
  Tensor zones;
  int[] severity;

  @BeforeAll
  void load() throws URISyntaxException {
    Xcam xcam = Xcam.create();
    assumeTrue(xcam.engines().containsKey("djl"), "engine-djl is not on the class path");
    URL u = getClass().getResource("/severity/bundle/xcam-model.json");
    assumeTrue(u != null, "severity fixture missing (tools/train_severity.py writes it)");
    Path root = Path.of(u.toURI()).getParent().getParent();
    model = xcam.load(root.resolve("bundle"), "djl", Map.of());
    inputs = Tensor.readNpy(root.resolve("test/inputs.npy"));
    zones = Tensor.readNpy(root.resolve("test/zones.npy"));
    int n = inputs.dim(0);
    severity = new int[n];
    // the number of affected zones is in meta.json; the zone map tells whether any zone is affected, which is all
    // the correlation needs (a zone map without affected zones is constant and has no correlation)
    for (int i = 0; i < n; i++) {
      float[] z = zones.item(i).toArray();
      for (float v : z) if (v > 0) { severity[i] = 1; break; }
    }
  }

  @AfterAll
  void close() { if (model != null) model.close(); }

  static double pearson(float[] a, float[] b) {
    double ma = 0, mb = 0;
    for (int i = 0; i < a.length; i++) { ma += a[i]; mb += b[i]; }
    ma /= a.length;
    mb /= b.length;
    double sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < a.length; i++) {
      sab += (a[i] - ma) * (b[i] - mb);
      saa += (a[i] - ma) * (a[i] - ma);
      sbb += (b[i] - mb) * (b[i] - mb);
    }
    return saa == 0 || sbb == 0 ? Double.NaN : sab / Math.sqrt(saa * sbb);
  }

  Explainer explainer(ExplainerProvider p, Map<String, String> opts) {
    return p.create(Options.of(p.name(), p.options(), opts));
  }

  /** Mean Pearson correlation between the normalised map and the zone map over images with affected zones. */
  double meanPearson(Explainer e, String layer, String label) {
    ExplainRequest.Builder b = ExplainRequest.builder(inputs).target(Target.regression(0)).seed(1);
    if (layer != null) b.layer(layer);
    List<Explanation> out = e.explain(model, b.build());
    List<Double> rs = new ArrayList<>();
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < out.size(); i++) {
      if (severity[i] == 0) continue;
      double r = pearson(out.get(i).map().values(), zones.item(i).toArray());
      rs.add(r);
      s.append(String.format(" %.2f", r));
    }
    double mean = rs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    System.out.printf("[iba-severity] %-34s mean Pearson %.3f over %d images (per image:%s)%n", label, mean, rs.size(), s);
    return mean;
  }

  @Test
  @DisplayName("the attribution correlates with the zone severity map (Pearson reported for dv, rm, and both layers)")
  void correlation() {
    assertThat(model.info().task()).isEqualTo(Task.REGRESSION);
    ExplainerProvider p = new RegressionIbaProvider();
    double dv = meanPearson(explainer(p, Map.of("loss", "dv")), null, "regression-iba loss=dv (default layer)");
    double rm = meanPearson(explainer(p, Map.of("loss", "rm")), null, "regression-iba loss=rm (default layer)");
    for (String l : model.info().layerNames()) meanPearson(explainer(p, Map.of("loss", "dv")), l, "regression-iba loss=dv at " + l);
    meanPearson(explainer(p, Map.of("loss", "dv", "inverse", "true", "beta", "30")), null, "inverse regression-iba loss=dv");
    meanPearson(explainer(p, Map.of("loss", "rm", "inverse", "true", "beta", "30")), null, "inverse regression-iba loss=rm");
    meanPearson(explainer(new MultiLayerIbaProvider(), Map.of()), null, "multilayer-iba (product, p50)");
    meanPearson(explainer(new MultiLayerIbaProvider(), Map.of("combine", "intersection")), null, "multilayer-iba (intersection, p50)");
    // measured: rm 0.53, dv 0.26 (dv also keeps the healthy zones' evidence that holds the score where it is)
    assertThat(rm).as("rm: the bits sit in the affected zones").isGreaterThan(0.4);
    assertThat(dv).as("dv: positive correlation").isGreaterThan(0.15);
  }

  @Test
  @DisplayName("mse with the true score as target value runs and costs 1 head + 10 tail + 10 vjp")
  void mseAndPasses() {
    Explainer e = explainer(new RegressionIbaProvider(), Map.of("loss", "mse", "target-value", "3"));
    CountingModel counted = new CountingModel(model);
    List<Explanation> out = e.explain(counted, ExplainRequest.builder(inputs.slice(0, 4)).target(Target.regression(0)).build());
    assertThat(counted.passes()).isEqualTo(new Passes(0, 1, 10, 10));
    for (Explanation x : out) assertThat(((Number) x.extras().get("totalBits")).doubleValue()).isFinite().isPositive();
  }
}
