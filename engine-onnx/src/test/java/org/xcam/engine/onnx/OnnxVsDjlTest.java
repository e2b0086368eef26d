package org.xcam.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.Tensor;
import org.xcam.api.spi.EngineProvider;

/**
 * The ONNX engine's generated VJP against the DJL (TorchScript autograd) engine's on the same bundle. The bundle with
 * its TorchScript files is read from the tck module's source tree (a path in this repository, not a Maven dependency:
 * tck test-depends on the engines); the test is skipped when either is absent.
 */
class OnnxVsDjlTest {
  static Path bundle() {
    for (String root : List.of("..", ".")) {
      Path p = Path.of(root, "tck/src/main/resources/org/xcam/tck/reference/phantom-small/bundle");
      if (Files.isRegularFile(p.resolve("model.pt")) && Files.isRegularFile(p.resolve("model.onnx"))) return p;
    }
    return null;
  }

  static EngineProvider djl() {
    return ServiceLoader.load(EngineProvider.class).stream().map(ServiceLoader.Provider::get)
        .filter(e -> e.name().equals("djl")).findFirst().orElse(null);
  }

  @ParameterizedTest @ValueSource(strings = {"features.10", "features.14", "input"})
  @DisplayName("The ONNX VJP equals the DJL engine's VJP (batch of six, random output gradients)")
  void sameVjp(String layer) {
    Path b = bundle();
    EngineProvider djl = djl();
    assumeTrue(b != null && djl != null, "needs the tck reference bundle and engine-djl");
    try (Model d = djl.load(b, Map.of()); OnnxModel o = OnnxModel.load(b, Map.of("device", "cpu"))) {
      Tensor x = Ref.inputs();
      assertThat(o.forward(x).maxAbsDiff(d.forward(x))).isLessThanOrEqualTo(1e-4);
      LayerHook hd = d.layer(layer), ho = o.layer(layer);
      Tensor a = ho.activation(x);
      assertThat(a.maxAbsDiff(hd.activation(x))).isLessThanOrEqualTo(1e-4);
      Tensor gy = FiniteDifferences.gaussian(new int[] {6, 3}, 5, 1);
      Tensor go = ho.vjp(a, gy), gd = hd.vjp(a, gy);
      double scale = 0;
      for (int i = 0; i < gd.size(); i++) scale = Math.max(scale, Math.abs(gd.get(i)));
      double err = go.maxAbsDiff(gd) / scale;
      System.out.printf("ONNX vs DJL VJP at %s: max error %.2e relative to max|g| %.3g%n", layer, err, scale);
      assertThat(err).isLessThanOrEqualTo(1e-4);
    }
  }

  @ParameterizedTest @ValueSource(strings = {"resnet18-bundle", "densenet121-bundle"})
  @DisplayName("On torchvision bundles (tools/gen_torchvision.py --bundles, when present) ONNX and DJL agree on forward and VJP at every layer")
  void torchvisionBundles(String name) {
    Path b = OnnxTorchvisionTest.workDir().resolve(name);
    EngineProvider djl = djl();
    assumeTrue(Files.isRegularFile(b.resolve("model.onnx")) && djl != null, name + " not generated; run python3 tools/gen_torchvision.py --bundles");
    try (Model d = djl.load(b, Map.of()); OnnxModel o = OnnxModel.load(b, Map.of("device", "cpu"))) {
      Tensor x = FiniteDifferences.gaussian(o.info().input().batchShape(2), 8, 1);
      Tensor yd = d.forward(x);
      double ys = 0;
      for (int i = 0; i < yd.size(); i++) ys = Math.max(ys, Math.abs(yd.get(i)));
      assertThat(o.forward(x).maxAbsDiff(yd) / Math.max(1, ys)).isLessThanOrEqualTo(1e-4);
      Tensor gy = FiniteDifferences.gaussian(new int[] {2, o.info().numOutputs()}, 5, 1);
      for (String layer : o.info().layerNames()) {
        LayerHook hd = d.layer(layer), ho = o.layer(layer);
        Tensor a = ho.activation(x);
        Tensor go = ho.vjp(a, gy), gd = hd.vjp(a, gy);
        double scale = 0, num = 0, den = 0;
        for (int i = 0; i < gd.size(); i++) {
          scale = Math.max(scale, Math.abs(gd.get(i)));
          num += Math.pow(go.get(i) - gd.get(i), 2);
          den += Math.pow(gd.get(i), 2);
        }
        double err = go.maxAbsDiff(gd) / scale;
        System.out.printf("%s: ONNX vs DJL VJP at %s: max error %.2e, norm error %.2e%n", name, layer, err, Math.sqrt(num / den));
        assertThat(err).isLessThanOrEqualTo(1e-3);
      }
    }
  }
}
