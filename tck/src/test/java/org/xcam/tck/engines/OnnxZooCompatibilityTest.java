package org.xcam.tck.engines;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xcam.api.Capability;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.OutputKind;
import org.xcam.api.Tensor;
import org.xcam.api.bundle.BundleManifest;
import org.xcam.api.spi.EngineProvider;
import org.xcam.engine.onnx.OnnxEngineProvider;
import org.xcam.tck.ZooCompatibilityKit;

/**
 * The zoo kit through ONNX Runtime on the CPU (layers named by the manifest), and the case only this engine has: the
 * plain {@code model.onnx} export alone, with no manifest, whose layers the plain-file loader finds.
 */
class OnnxZooCompatibilityTest extends ZooCompatibilityKit {
  @Override protected EngineProvider provider() { return new OnnxEngineProvider(); }

  @Override protected Map<String, String> options() { return Map.of("device", "cpu"); }

  @ParameterizedTest(name = "{0}") @MethodSource("bundles")
  @DisplayName("The plain ONNX export alone (no manifest) loads, offers the manifest's layers, and its gradients equal the eager model's")
  void plainFile(Path bundle) {
    Recorded ref = Recorded.of(bundle);
    BundleManifest man = BundleManifest.read(bundle);
    Map<String, String> opts = new HashMap<>(options());
    if (man.outputs() == OutputKind.PROBABILITIES) opts.put("outputs", "probabilities");
    try (Model m = provider().load(bundle.resolve("model.onnx"), opts)) {
      assertThat(m.info().input().channels()).isEqualTo(man.input().channels());
      assertThat(m.capabilities()).contains(Capability.FORWARD, Capability.LAYER_CUT, Capability.VJP, Capability.INPUT_GRADIENT);
      Tensor y = m.forward(ref.inputs());
      assertThat(rel(y, ref.expected(y))).as("outputs").isLessThanOrEqualTo(1e-4);
      Tensor x0 = ref.inputs().slice(0, 1);
      Map<String, Double> errs = new TreeMap<>();
      for (String l : man.layers()) {
        String t = man.onnx().get(l);
        assertThat(m.info().layerNames()).as("plain-file layers offer the manifest's tensor for " + l).contains(t);
        LayerHook h = m.layer(t);
        double eg = rel(h.vjp(h.activation(x0), oneHot(1, y.dim(1), ref.top())), npy(bundle, l + ".gradient.npy"));
        errs.put(l + " gradient", eg);
        assertThat(eg).as(l + " gradient").isLessThanOrEqualTo(tolerance(bundle, l));
      }
      report("plain " + bundle.getFileName(), errs);
    }
  }
}
