package org.xcam.engine.djl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xcam.api.Capability;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerInfo;
import org.xcam.api.Model;
import org.xcam.api.Tensor;
import org.xcam.api.bundle.BundleManifest;
import org.xcam.api.bundle.Json;

/**
 * Real architectures exported by {@code tools/zoo.py} without wrapping (forward-hook cuts, frozen TorchScript; issue
 * 12), through DJL, against what the exporter recorded from the eager model with hooks and autograd: outputs, every
 * layer's activation and gradient of the top output, and the input gradient, within 1e-4 relative
 * ({@code max|a - b| / max|b|}). Committed fixtures ({@code fixtures/zoo}) always; the full-size zoo when
 * {@code tools/.work/zoo} holds it.
 */
class ZooTest {
  static final Map<String, String> REPORT = new TreeMap<>();

  private static Path first(Path... ps) {
    for (Path p : ps) if (Files.isDirectory(p)) return p;
    return ps[0];
  }

  static Stream<Path> bundles() {
    List<Path> l = new ArrayList<>();
    for (Path dir : List.of(first(Path.of("../fixtures/zoo"), Path.of("fixtures/zoo")),
        first(Path.of("../tools/.work/zoo"), Path.of("tools/.work/zoo")))) {
      if (!Files.isDirectory(dir)) continue;
      try (Stream<Path> s = Files.list(dir)) {
        s.filter(BundleManifest::isBundle).sorted().forEach(l::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return l.stream();
  }

  /**
   * The bound for a recorded gradient: 1e-4, or twice the float32 noise of the reference itself when that is larger
   * ({@code reference/float64.json}, written by tools/zoo.py: the same model in float64). Deep random-weight networks
   * have ill-conditioned early-layer and input gradients, so PyTorch in float32 is that far from its own float64
   * result (and from itself with another thread count); no float32 engine can be held closer.
   */
  @SuppressWarnings("unchecked")
  static double tolerance(Path bundle, String layer) {
    Path f = bundle.resolve("reference/float64.json");
    if (!Files.isRegularFile(f)) return 1e-4;
    try {
      Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(f));
      Object e = ((Map<String, Object>) m.get("layers")).get(layer);
      return e == null ? 1e-4 : Math.max(1e-4, 2 * ((Number) ((Map<String, Object>) e).get("maxRel")).doubleValue());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static double rel(Tensor a, Tensor b) {
    double d = 0, m = 0;
    for (int i = 0; i < b.size(); i++) {
      d = Math.max(d, Math.abs(a.get(i) - b.get(i)));
      m = Math.max(m, Math.abs(b.get(i)));
    }
    assertThat(m).as("the reference is not all zeros").isGreaterThan(0);
    return d / m;
  }

  static Tensor npy(Path bundle, String f) { return Tensor.readNpy(bundle.resolve("reference").resolve(f)).unsqueeze(); }

  @ParameterizedTest(name = "{0}") @MethodSource("bundles")
  @DisplayName("Bundle through DJL: outputs, every layer's activation and gradient, and the input gradient equal the eager model's within 1e-4 (or its float32 noise)")
  @SuppressWarnings("unchecked")
  void bundle(Path bundle) throws IOException {
    Map<String, Object> json = (Map<String, Object>) Json.parse(Files.readString(bundle.resolve("reference/logits.json")));
    List<Tensor> xs = new ArrayList<>();
    for (Object f : (List<Object>) json.get("inputs")) xs.add(npy(bundle, (String) f));
    Tensor x = Tensor.concat(xs);
    List<Object> rows = (List<Object>) json.get("logits");
    int k = ((List<Object>) rows.get(0)).size();
    float[] want = new float[rows.size() * k];
    for (int i = 0; i < rows.size(); i++) for (int j = 0; j < k; j++) want[i * k + j] = ((Number) ((List<Object>) rows.get(i)).get(j)).floatValue();
    int top = ((Number) ((List<Object>) json.get("predicted")).get(0)).intValue();
    float[] seed = new float[k];
    seed[top] = 1;
    Tensor gy = Tensor.wrap(seed, 1, k);
    BundleManifest man = BundleManifest.read(bundle);
    try (Model m = new DjlEngineProvider().load(bundle, Map.of())) {
      assertThat(m.info().outputs()).isEqualTo(man.outputs());
      assertThat(m.capabilities()).contains(Capability.LAYER_CUT, Capability.VJP, Capability.INPUT_GRADIENT);
      Map<String, Double> errs = new TreeMap<>();
      double ey = rel(m.forward(x), Tensor.wrap(want, rows.size(), k));
      errs.put("outputs", ey);
      assertThat(ey).isLessThanOrEqualTo(1e-4);
      Tensor x0 = x.slice(0, 1);
      for (String l : man.layers()) {
        LayerHook h = m.layer(l);
        Tensor a = h.activation(x0);
        double ea = rel(a, npy(bundle, l + ".activation.npy")), eg = rel(h.vjp(a, gy), npy(bundle, l + ".gradient.npy"));
        errs.put(l + " activation", ea);
        errs.put(l + " gradient", eg);
        assertThat(ea).as(l + " activation").isLessThanOrEqualTo(1e-4);
        assertThat(eg).as(l + " gradient").isLessThanOrEqualTo(tolerance(bundle, l));
        // the fused path gives the same gradient
        assertThat(rel(h.tailWithGradient(a, y -> gy).gradient(), npy(bundle, l + ".gradient.npy"))).isLessThanOrEqualTo(tolerance(bundle, l));
      }
      double ei = rel(m.layer(LayerInfo.INPUT).vjp(x0, gy), npy(bundle, "input.gradient.npy"));
      errs.put("input gradient", ei);
      REPORT.put(bundle.getFileName().toString(), errs.toString());
      assertThat(ei).as("input gradient").isLessThanOrEqualTo(tolerance(bundle, "input"));
    }
  }

  @AfterAll static void report() {
    REPORT.forEach((k, v) -> System.out.println("ZOO djl " + k + ": " + v));
  }
}
