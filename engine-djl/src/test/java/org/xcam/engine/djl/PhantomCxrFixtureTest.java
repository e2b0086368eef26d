package org.xcam.engine.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.Tensor;
import org.xcam.api.bundle.Json;

/**
 * The project's phantom-cxr fixture bundle (runtime module resources, read from the file system relative to this
 * module so the test needs no dependency on runtime): the logits, activations and gradients its export script
 * recorded in PyTorch must come out of the DJL engine.
 */
@DisplayName("DJL engine reproduces what the export script recorded for the phantom-cxr fixture")
class PhantomCxrFixtureTest {
  private static final Path BUNDLE = Path.of("../runtime/src/main/resources/org/xcam/fixtures/phantom-cxr");
  private static Model model;
  private static Map<String, Object> recorded;

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void load() throws IOException {
    assumeTrue(Files.isRegularFile(BUNDLE.resolve("reference/logits.json")), "phantom-cxr fixture not in this checkout");
    model = new DjlEngineProvider().load(BUNDLE, Map.of());
    recorded = (Map<String, Object>) Json.parse(Files.readString(BUNDLE.resolve("reference/logits.json")));
  }

  @AfterAll
  static void close() {
    if (model != null) model.close();
  }

  @SuppressWarnings("unchecked")
  private static List<String> inputs() { return (List<String>) recorded.get("inputs"); }

  @ParameterizedTest(name = "input {0}")
  @ValueSource(ints = {0, 1, 2, 3})
  @DisplayName("the recorded logits of each reference input are reproduced within 1e-4")
  @SuppressWarnings("unchecked")
  void logits(int i) {
    List<List<Number>> rows = (List<List<Number>>) recorded.get("logits");
    assertThat(inputs()).hasSize(rows.size());
    float[] want = new float[rows.get(i).size()];
    for (int k = 0; k < want.length; k++) want[k] = rows.get(i).get(k).floatValue();
    Tensor x = Tensor.readNpy(BUNDLE.resolve("reference").resolve(inputs().get(i))).unsqueeze();
    assertThat(model.forward(x).toArray()).containsExactly(want, within(1e-4f));
    int predicted = ((List<Number>) recorded.get("predicted")).get(i).intValue();
    int argmax = 0;
    for (int k = 1; k < want.length; k++) if (want[k] > want[argmax]) argmax = k;
    assertThat(argmax).as("recorded prediction").isEqualTo(predicted);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"features.10", "features.14"})
  @DisplayName("the recorded activation and gradient of the top logit of input 0 are reproduced")
  void gradients(String layer) {
    Tensor x = Tensor.readNpy(BUNDLE.resolve("reference").resolve(inputs().get(0))).unsqueeze();
    Tensor refA = Tensor.readNpy(BUNDLE.resolve("reference/" + layer + ".activation.npy"));
    Tensor refG = Tensor.readNpy(BUNDLE.resolve("reference/" + layer + ".gradient.npy"));
    LayerHook h = model.layer(layer);
    Tensor a = h.activation(x);
    Tensor y = model.forward(x);
    int top = 0;
    for (int k = 1; k < y.dim(1); k++) if (y.get(0, k) > y.get(0, top)) top = k;
    Tensor g = h.vjp(a, Fixtures.oneHot(1, y.dim(1), top));
    assertThat(a.item(0).maxAbsDiff(refA)).as("activation").isLessThanOrEqualTo(1e-5 * Math.max(1, Fixtures.maxAbs(refA)));
    assertThat(Fixtures.maxAbs(refG)).as("recorded gradient is not all zeros").isGreaterThan(0);
    assertThat(g.item(0).maxAbsDiff(refG)).as("gradient").isLessThanOrEqualTo(1e-4 * Fixtures.maxAbs(refG));
  }
}
