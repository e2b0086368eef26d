package org.xcam.plugins.gradient;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.Model;
import org.xcam.api.spi.EngineProvider;
import org.xcam.api.spi.Providers;
import org.xcam.tck.fixtures.Reference;

/** The same pytorch-grad-cam references through the ONNX engine (its generated backward graph gives the VJP). */
@DisplayName("Through the ONNX engine on the pytorch-grad-cam reference bundle")
class OnnxReferenceTest {
  @Test
  @DisplayName("Every pytorch-grad-cam reference of a method we implement matches on ONNX: cosine >= 0.999, max diff <= 1e-3")
  void references() {
    Optional<EngineProvider> onnx = Providers.all(EngineProvider.class, getClass().getClassLoader()).stream()
        .filter(e -> e.name().equals("onnx")).findFirst();
    Assumptions.assumeTrue(onnx.isPresent(), "engine-onnx is not on the test class path");
    try (Model model = onnx.get().load(Reference.bundle(), Map.of("device", "cpu"))) {
      // every map is asserted inside (cosine >= 0.999, max diff <= 1e-3); here: all of them were checked
      org.assertj.core.api.Assertions.assertThat(DjlReferenceTest.checkReferences(model)).isEqualTo(13 * 12); // FullGrad included (bias gradients)
    }
  }
}
