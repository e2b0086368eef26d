package org.xcam.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xcam.api.Capability;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerInfo;
import org.xcam.api.OutputKind;
import org.xcam.api.Tensor;
import org.xcam.api.bundle.BundleManifest;
import org.xcam.api.bundle.Json;

/**
 * Real architectures exported by {@code tools/zoo.py} without wrapping (issue 12), through the ONNX engine, against
 * what the exporter recorded from the eager PyTorch model (forward hooks on the unmodified model, autograd): outputs,
 * each layer's activation and gradient of the top output, and the input gradient, all within 1e-4 relative
 * ({@code max|a - b| / max|b|}). Twice per model: as a bundle (layers named by the manifest) and as the plain
 * {@code model.onnx} file alone (no manifest: the plain-file loader finds the layers). The committed fixtures
 * ({@code fixtures/zoo}) always run; the full-size zoo runs when {@code tools/.work/zoo} holds it.
 */
class ZooTest {
  static final Map<String, String> REPORT = new java.util.TreeMap<>();

  static Path fixtures() { return first(Path.of("../fixtures/zoo"), Path.of("fixtures/zoo")); }

  static Path work() { return first(Path.of("../tools/.work/zoo"), Path.of("tools/.work/zoo")); }

  private static Path first(Path... ps) {
    for (Path p : ps) if (Files.isDirectory(p)) return p;
    return ps[0];
  }

  static Stream<Path> bundles() {
    List<Path> l = new ArrayList<>();
    for (Path dir : List.of(fixtures(), work())) {
      if (!Files.isDirectory(dir)) continue;
      try (Stream<Path> s = Files.list(dir)) {
        s.filter(BundleManifest::isBundle).sorted().forEach(l::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return l.stream();
  }

  /** The recorded reference: inputs, outputs, top class of input 0. */
  record Reference(Tensor inputs, float[][] outputs, int top) {
    @SuppressWarnings("unchecked")
    static Reference of(Path bundle) {
      try {
        Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(bundle.resolve("reference/logits.json")));
        List<Tensor> xs = new ArrayList<>();
        for (Object f : (List<Object>) m.get("inputs")) xs.add(Tensor.readNpy(bundle.resolve("reference").resolve((String) f)).unsqueeze());
        List<Object> ys = (List<Object>) m.get("logits");
        float[][] out = new float[ys.size()][];
        for (int i = 0; i < out.length; i++) {
          List<Object> row = (List<Object>) ys.get(i);
          out[i] = new float[row.size()];
          for (int k = 0; k < row.size(); k++) out[i][k] = ((Number) row.get(k)).floatValue();
        }
        int top = ((Number) ((List<Object>) m.get("predicted")).get(0)).intValue();
        return new Reference(Tensor.concat(xs), out, top);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
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
    return m == 0 ? d : d / m;
  }

  static Tensor oneHot(int n, int k, int at) {
    float[] v = new float[n * k];
    for (int i = 0; i < n; i++) v[i * k + at] = 1;
    return Tensor.wrap(v, n, k);
  }

  /** A recorded reference tensor with a batch axis; a reference of zeros would make the comparison vacuous. */
  static Tensor npy(Path bundle, String f) {
    Tensor t = Tensor.readNpy(bundle.resolve("reference").resolve(f)).unsqueeze();
    double m = 0;
    for (int i = 0; i < t.size(); i++) m = Math.max(m, Math.abs(t.get(i)));
    assertThat(m).as("max |" + f + "| of " + bundle.getFileName()).isGreaterThan(0);
    return t;
  }

  @ParameterizedTest(name = "{0}") @MethodSource("bundles")
  @DisplayName("Bundle through ONNX Runtime: outputs, every layer's activation and gradient, and the input gradient equal the eager model's within 1e-4 (or its float32 noise)")
  void bundle(Path bundle) {
    Reference ref = Reference.of(bundle);
    BundleManifest man = BundleManifest.read(bundle);
    try (OnnxModel m = OnnxModel.load(bundle, Map.of("device", "cpu"))) {
      assertThat(m.info().outputs()).isEqualTo(man.outputs());
      assertThat(m.capabilities()).contains(Capability.FORWARD, Capability.LAYER_CUT, Capability.VJP, Capability.INPUT_GRADIENT);
      Tensor y = m.forward(ref.inputs());
      double ey = rel(y, Tensor.wrap(flat(ref.outputs()), y.shape()));
      assertThat(ey).as("outputs").isLessThanOrEqualTo(1e-4);
      Tensor x0 = ref.inputs().slice(0, 1);
      Map<String, Double> errs = new HashMap<>();
      errs.put("outputs", ey);
      for (String l : man.layers()) {
        LayerHook h = m.layer(l);
        Tensor a = h.activation(x0);
        double ea = rel(a, npy(bundle, l + ".activation.npy"));
        Tensor g = h.vjp(a, oneHot(1, y.dim(1), ref.top()));
        double eg = rel(g, npy(bundle, l + ".gradient.npy"));
        System.out.println("ZOO onnx " + bundle.getFileName() + " " + l + " gradient max " + eg + ", " + detail(g, npy(bundle, l + ".gradient.npy"))
            + ", tolerance " + tolerance(bundle, l));
        errs.put(l + " activation", ea);
        errs.put(l + " gradient", eg);
        assertThat(ea).as(l + " activation").isLessThanOrEqualTo(1e-4);
        assertThat(eg).as(l + " gradient").isLessThanOrEqualTo(tolerance(bundle, l));
      }
      Tensor gin = m.layer(LayerInfo.INPUT).vjp(x0, oneHot(1, y.dim(1), ref.top()));
      double ei = rel(gin, npy(bundle, "input.gradient.npy"));
      System.out.println("ZOO onnx " + bundle.getFileName() + " input gradient max " + ei + ", " + detail(gin, npy(bundle, "input.gradient.npy"))
          + ", tolerance " + tolerance(bundle, "input"));
      errs.put("input gradient", ei);
      REPORT.put("bundle " + bundle.getFileName(), errs.toString());
      assertThat(ei).as("input gradient").isLessThanOrEqualTo(tolerance(bundle, "input"));
    }
  }

  @ParameterizedTest(name = "{0}") @MethodSource("bundles")
  @DisplayName("The plain ONNX export alone (no manifest) loads, offers the manifest's layers, and its gradients equal the eager model's")
  void plainFile(Path bundle) {
    Reference ref = Reference.of(bundle);
    BundleManifest man = BundleManifest.read(bundle);
    Map<String, String> opts = new HashMap<>(Map.of("device", "cpu"));
    if (man.outputs() == OutputKind.PROBABILITIES) opts.put("outputs", "probabilities");
    try (OnnxModel m = OnnxModel.load(bundle.resolve("model.onnx"), opts)) {
      assertThat(m.info().input().channels()).isEqualTo(man.input().channels());
      assertThat(m.capabilities()).contains(Capability.FORWARD, Capability.LAYER_CUT, Capability.VJP, Capability.INPUT_GRADIENT);
      Tensor y = m.forward(ref.inputs());
      assertThat(rel(y, Tensor.wrap(flat(ref.outputs()), y.shape()))).isLessThanOrEqualTo(1e-4);
      Tensor x0 = ref.inputs().slice(0, 1);
      Map<String, Double> errs = new HashMap<>();
      for (String l : man.layers()) {
        String t = man.onnx().get(l);
        assertThat(m.info().layerNames()).as("plain-file layers offer the manifest's tensor for " + l).contains(t);
        LayerHook h = m.layer(t);
        double eg = rel(h.vjp(h.activation(x0), oneHot(1, y.dim(1), ref.top())), npy(bundle, l + ".gradient.npy"));
        errs.put(l + " gradient", eg);
        assertThat(eg).as(l + " gradient").isLessThanOrEqualTo(tolerance(bundle, l));
      }
      REPORT.put("plain " + bundle.getFileName(), errs.toString());
    }
  }

  static float[] flat(float[][] r) {
    float[] f = new float[r.length * r[0].length];
    for (int i = 0; i < r.length; i++) System.arraycopy(r[i], 0, f, i * r[0].length, r[0].length);
    return f;
  }

  @AfterAll static void report() {
    REPORT.forEach((k, v) -> System.out.println("ZOO " + k + ": " + v));
  }
}
