package org.xcam.plugins.gradient;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xcam.api.CountingModel;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.Model;
import org.xcam.api.Passes;
import org.xcam.api.Target;
import org.xcam.api.bundle.Json;
import org.xcam.api.spi.EngineProvider;
import org.xcam.api.spi.Providers;
import org.xcam.tck.fixtures.Reference;

/**
 * ShapleyCAM with the engines' exact Hessian-vector product: against pytorch-grad-cam's formula computed by PyTorch in
 * float64 on a network with curvature after its cut layers ({@code tools/fixtures/smooth-small}), and against
 * pytorch-grad-cam's references on the piecewise-linear phantom-small, where the exact product is zero and the finite
 * difference is not (it counts the ReLU kinks its step crosses): the measurement behind the issue.
 */
@DisplayName("ShapleyCAM: exact Hessian-vector product on both engines")
class ShapleyCamTest {
  static final Path SMOOTH = Path.of("../tools/fixtures/smooth-small");

  static Optional<Model> load(String engine, Path bundle) {
    return Providers.all(EngineProvider.class, ShapleyCamTest.class.getClassLoader()).stream().filter(e -> e.name().equals(engine))
        .findFirst().map(e -> e.load(bundle, engine.equals("onnx") ? Map.of("device", "cpu") : Map.of()));
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> smoothEntries() {
    try {
      return (List<Map<String, Object>>) ((Map<String, Object>) Json.parse(Files.readString(SMOOTH.resolve("refs.json")))).get("entries");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"djl", "onnx"})
  @DisplayName("On the curved fixture the exact maps equal PyTorch's float64 ShapleyCAM (cos >= 0.999, max diff <= 1e-3) at both layers")
  void curvedFixture(String engine) {
    Optional<Model> m = load(engine, SMOOTH.resolve("bundle"));
    Assumptions.assumeTrue(m.isPresent(), "engine-" + engine + " not on the class path");
    try (Model model = m.get()) {
      double worst = 0, worstFd = 0, worstGradCam = 0;
      int n = 0;
      for (Map<String, Object> e : smoothEntries()) {
        if (!e.containsKey("shapleycam")) continue;
        int i = ((Number) e.get("input")).intValue();
        ExplainRequest r = ExplainRequest.builder(org.xcam.api.Tensor.readNpy(SMOOTH.resolve("inputs/" + i + ".npy")))
            .target(Target.classIndex(((Number) e.get("target")).intValue())).layer((String) e.get("layer")).build();
        float[] ref = org.xcam.api.Tensor.readNpy(SMOOTH.resolve((String) e.get("shapleycam"))).toArray();
        CountingModel counted = new CountingModel(model);
        Explanation exact = Fx.explainer("shapleycam", Map.of("hvp", "exact")).explain(counted, r).get(0);
        assertThat(counted.passes()).isEqualTo(new Passes(0, 1, 1, 2));
        assertThat(exact.extras().get("hvp")).isEqualTo("exact");
        double[] c = Reference.compare(exact.raw().values(), ref);
        assertThat(c[0]).as("%s %s input %d cosine", engine, e.get("layer"), i).isGreaterThanOrEqualTo(0.999);
        assertThat(c[1]).as("%s %s input %d max diff", engine, e.get("layer"), i).isLessThanOrEqualTo(1e-3);
        worst = Math.max(worst, c[1]);
        Explanation fd = Fx.explainer("shapleycam", Map.of("hvp", "finite-difference")).explain(model, r).get(0);
        worstFd = Math.max(worstFd, Reference.compare(fd.raw().values(), ref)[1]);
        float[] gc = org.xcam.api.Tensor.readNpy(SMOOTH.resolve((String) e.get("gradcam"))).toArray();
        worstGradCam = Math.max(worstGradCam, Reference.compare(gc, ref)[1]);
        n++;
      }
      assertThat(n).isEqualTo(6);
      System.out.printf("shapleycam on smooth-small (%s), %d maps: exact max diff %.2e; finite difference (r = 0.01) %.2e; "
          + "(Grad-CAM differs from ShapleyCAM there by %.2e: the Hessian term matters)%n", engine, n, worst, worstFd, worstGradCam);
      assertThat(worstGradCam).as("the fixture's Hessian term is not negligible").isGreaterThan(1e-2);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"djl", "onnx"})
  @DisplayName("On the piecewise-linear phantom-small the exact product is zero and every pytorch-grad-cam reference holds; the finite difference is measured beside it")
  void piecewiseLinear(String engine) {
    Optional<Model> m = load(engine, Reference.bundle());
    Assumptions.assumeTrue(m.isPresent(), "engine-" + engine + " not on the class path");
    try (Model model = m.get()) {
      int n = 0, fdFail = 0;
      double worstFdCos = 1;
      for (Map<String, Object> e : Reference.entries()) {
        if (!"shapleycam".equals(e.get("method_cli"))) continue;
        int i = Integer.parseInt(((String) e.get("input")).replaceAll("\\D", ""));
        ExplainRequest r = ExplainRequest.builder(Reference.input(i)).target(Target.classIndex(((Number) e.get("target_class")).intValue()))
            .layer((String) e.get("layer")).build();
        float[] ref = Reference.tensor("phantom-small/" + e.get("ref")).toArray();
        double[] c = Reference.compare(Fx.explainer("shapleycam", Map.of()).explain(model, r).get(0).raw().values(), ref);
        assertThat(c[0]).isGreaterThanOrEqualTo(0.999);
        assertThat(c[1]).isLessThanOrEqualTo(1e-3);
        double[] f = Reference.compare(Fx.explainer("shapleycam", Map.of("hvp", "finite-difference")).explain(model, r).get(0).raw().values(), ref);
        if (f[0] < 0.999 || f[1] > 1e-3) fdFail++;
        worstFdCos = Math.min(worstFdCos, f[0]);
        n++;
      }
      assertThat(n).isEqualTo(12);
      System.out.printf("shapleycam vs pytorch-grad-cam on phantom-small (%s): exact 12/12; finite difference (r = 0.01) misses %d/12, worst cosine %.4f%n",
          engine, fdFail, worstFdCos);
    }
  }
}
