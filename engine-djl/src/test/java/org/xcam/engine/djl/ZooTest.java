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
   * ({@code reference/noise.json}, written by tools/zoo.py: how far PyTorch's gradient moves in float64, with another
   * thread count, or with the activation perturbed by 1e-6 relative). Deep random-weight networks have early-layer and
   * input gradients that jump at ReLU kinks crossed by such changes; no float32 engine can be held closer.
   */
  @SuppressWarnings("unchecked")
  static double tolerance(Path bundle, String layer) {
    Path f = bundle.resolve("reference/noise.json");
    if (!Files.isRegularFile(f)) return 1e-4;
    try {
      Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(f));
      Object e = ((Map<String, Object>) m.get("layers")).get(layer);
      return e == null ? 1e-4 : Math.max(1e-4, 2 * ((Number) ((Map<String, Object>) e).get("maxRel")).doubleValue());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** For the report: L2 error relative to ||b||, and how many entries are off by more than 1e-4 max|b|. */
  static String detail(Tensor a, Tensor b) {
    double d2 = 0, b2 = 0, m = 0;
    for (int i = 0; i < b.size(); i++) m = Math.max(m, Math.abs(b.get(i)));
    int bad = 0;
    for (int i = 0; i < b.size(); i++) {
      double d = a.get(i) - b.get(i);
      d2 += d * d;
      b2 += (double) b.get(i) * b.get(i);
      if (Math.abs(d) > 1e-4 * m) bad++;
    }
    return String.format(java.util.Locale.ROOT, "l2 %.2g, %d of %d entries off", Math.sqrt(d2 / b2), bad, b.size());
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
        Tensor g = h.vjp(a, gy);
        double ea = rel(a, npy(bundle, l + ".activation.npy")), eg = rel(g, npy(bundle, l + ".gradient.npy"));
        errs.put(l + " activation", ea);
        errs.put(l + " gradient", eg);
        System.out.println("ZOO djl " + bundle.getFileName() + " " + l + " gradient max " + eg + ", " + detail(g, npy(bundle, l + ".gradient.npy"))
            + ", tolerance " + tolerance(bundle, l));
        assertThat(ea).as(l + " activation").isLessThanOrEqualTo(1e-4);
        assertThat(eg).as(l + " gradient").isLessThanOrEqualTo(tolerance(bundle, l));
        // the fused path gives the same gradient
        assertThat(rel(h.tailWithGradient(a, y -> gy).gradient(), npy(bundle, l + ".gradient.npy"))).isLessThanOrEqualTo(tolerance(bundle, l));
      }
      Tensor gi = m.layer(LayerInfo.INPUT).vjp(x0, gy);
      double ei = rel(gi, npy(bundle, "input.gradient.npy"));
      System.out.println("ZOO djl " + bundle.getFileName() + " input gradient max " + ei + ", " + detail(gi, npy(bundle, "input.gradient.npy"))
          + ", tolerance " + tolerance(bundle, "input"));
      errs.put("input gradient", ei);
      REPORT.put(bundle.getFileName().toString(), errs.toString());
      assertThat(ei).as("input gradient").isLessThanOrEqualTo(tolerance(bundle, "input"));
    }
  }

  @AfterAll static void report() {
    REPORT.forEach((k, v) -> System.out.println("ZOO djl " + k + ": " + v));
  }
}
