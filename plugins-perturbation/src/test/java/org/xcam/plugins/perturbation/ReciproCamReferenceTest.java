package org.xcam.plugins.perturbation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.Model;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.api.spi.EngineProvider;
import org.xcam.api.spi.Providers;
import org.xcam.tck.fixtures.Reference;

/**
 * Recipro-CAM against an independent numpy implementation of OpenVINO XAI's algorithm ({@code tools/reciprocam_reference.py},
 * its outputs in {@code src/test/resources/reciprocam/}): the phantom-small bundle through DJL, 6 inputs x 2 layers x
 * 2 kernels x 3 classes. The raw map must equal the reference logits (max difference <= 1e-4 of the map's largest
 * |value|, cosine >= 0.99999), and the normalised map OpenVINO XAI's per-class scaling divided by 255.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("recipro-cam matches a numpy implementation of OpenVINO XAI's algorithm through DJL")
class ReciproCamReferenceTest {
  Model model;

  @BeforeAll void load() {
    Optional<EngineProvider> djl = Providers.all(EngineProvider.class, getClass().getClassLoader()).stream()
        .filter(e -> e.name().equals("djl")).findFirst();
    assumeTrue(djl.isPresent(), "engine-djl is not on the test class path");
    model = djl.get().load(Reference.bundle(), Map.of());
  }

  @AfterAll void close() { if (model != null) model.close(); }

  static Tensor reference(String layer, String kernel, int i) throws IOException {
    try (InputStream in = ReciproCamReferenceTest.class.getResourceAsStream("/reciprocam/" + layer + "/" + kernel + "/" + i + ".npy")) {
      assertThat(in).as("fixture reciprocam/%s/%s/%d.npy (tools/reciprocam_reference.py)", layer, kernel, i).isNotNull();
      Path tmp = Files.createTempFile("reciprocam", ".npy");
      try {
        Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return Tensor.readNpy(tmp);
      } finally {
        Files.deleteIfExists(tmp);
      }
    }
  }

  @Test @DisplayName("72 raw maps equal the reference logits; normalised maps equal OpenVINO XAI's scaled maps / 255")
  void agrees() throws IOException {
    int checked = 0;
    double worstCos = 1, worstDiff = 0, worstScaled = 0;
    for (String layer : new String[] {"features.10", "features.14"}) {
      for (String kernel : new String[] {"onehot", "gaussian"}) {
        var e = Fixtures.create(new ReciproCamProvider(), Map.of("kernel", kernel));
        for (int i = 0; i < 6; i++) {
          Tensor ref = reference(layer, kernel, i);
          int k = ref.dim(0), hw = ref.dim(1) * ref.dim(2);
          float[] all = ref.toArray();
          for (int t = 0; t < k; t++) {
            Explanation ex = e.explain(model, ExplainRequest.builder(Reference.input(i)).target(Target.classIndex(t)).layer(layer).build()).get(0);
            float[] want = new float[hw];
            System.arraycopy(all, t * hw, want, 0, hw);
            float[] got = ex.raw().values();
            assertThat(got).hasSize(hw);
            double[] c = Reference.compare(got, want);
            String what = layer + " " + kernel + " input " + i + " class " + t;
            assertThat(c[0]).as(what + " cosine").isGreaterThanOrEqualTo(0.99999);
            assertThat(c[1]).as(what + " max diff / max|ref|").isLessThanOrEqualTo(1e-4);
            float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
            for (float v : want) { min = Math.min(min, v); max = Math.max(max, v); }
            float[] norm = ex.raw().normalized().values();
            for (int p = 0; p < hw; p++) {
              double scaled = (want[p] - min) / (max - min + 1e-12);
              worstScaled = Math.max(worstScaled, Math.abs(norm[p] - scaled));
            }
            worstCos = Math.min(worstCos, c[0]);
            worstDiff = Math.max(worstDiff, c[1]);
            checked++;
          }
        }
      }
    }
    System.out.printf("recipro-cam vs numpy OpenVINO XAI: %d maps, worst cosine %.8f, worst max diff %.2e, worst scaled diff %.2e%n",
        checked, worstCos, worstDiff, worstScaled);
    assertThat(checked).isEqualTo(72);
    assertThat(worstScaled).as("normalised map vs OpenVINO XAI's scaled map / 255").isLessThanOrEqualTo(1e-3);
  }
}
