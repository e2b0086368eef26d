package org.xcam.tck;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xcam.api.Capability;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerInfo;
import org.xcam.api.Model;
import org.xcam.api.Tensor;
import org.xcam.api.bundle.BundleManifest;
import org.xcam.api.bundle.Json;
import org.xcam.api.spi.EngineProvider;
import org.xcam.tck.fixtures.Checkout;

/**
 * Real architectures exported by {@code tools/zoo.py} without wrapping (forward-hook cuts, frozen TorchScript, plain
 * {@code torch.onnx.export}; issue 12), through an engine, against what the exporter recorded from the eager PyTorch
 * model with forward hooks and autograd: outputs, every layer's activation, gradient of the top output (by a VJP and
 * by the fused tail-and-gradient call) and the input gradient, within 1e-4 relative ({@code max|a - b| / max|b|}, or
 * the reference's own float32 noise where that is larger, see {@link #tolerance}). The committed fixtures
 * ({@code fixtures/zoo} of an xcam checkout) always run; the full-size zoo when {@code tools/.work/zoo} holds it.
 *
 * <pre>{@code
 * class MyEngineZooTest extends ZooCompatibilityKit {
 *   protected EngineProvider provider() { return new MyEngineProvider(); }
 * }
 * }</pre>
 *
 * Engine-only cases (ONNX Runtime's plain {@code model.onnx} files) go in the subclass: a parameterized test with
 * {@code @MethodSource("bundles")} and the helpers here.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ZooCompatibilityKit {
  private final Map<String, String> report = new TreeMap<>();

  protected abstract EngineProvider provider();

  /** Engine options for every load (e.g. {@code device=cpu}). */
  protected Map<String, String> options() { return Map.of(); }

  /** The committed zoo fixtures (must exist). */
  protected Path zooFixtures() { return Checkout.dir("fixtures/zoo"); }

  /** The full-size zoo {@code tools/zoo.py} writes (runs when present). */
  protected Path fullZoo() { return Checkout.dir("tools/.work/zoo"); }

  /** Every bundle of the committed fixtures and of the full zoo, sorted per directory. */
  protected Stream<Path> bundles() {
    if (!Files.isDirectory(zooFixtures())) {
      throw new IllegalStateException("no zoo fixtures at " + zooFixtures().toAbsolutePath().normalize()
          + ": run from an xcam checkout (module or root), or override zooFixtures()");
    }
    List<Path> l = new ArrayList<>();
    for (Path dir : List.of(zooFixtures(), fullZoo())) {
      if (!Files.isDirectory(dir)) continue;
      try (Stream<Path> s = Files.list(dir)) {
        s.filter(BundleManifest::isBundle).sorted().forEach(l::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return l.stream();
  }

  @ParameterizedTest(name = "{0}") @MethodSource("bundles")
  @DisplayName("Bundle: outputs, every layer's activation and gradient (VJP and fused), and the input gradient equal the eager model's within 1e-4 (or its float32 noise)")
  void bundle(Path bundle) {
    Recorded ref = Recorded.of(bundle);
    BundleManifest man = BundleManifest.read(bundle);
    try (Model m = provider().load(bundle, options())) {
      assertThat(m.info().outputs()).isEqualTo(man.outputs());
      assertThat(m.capabilities()).contains(Capability.FORWARD, Capability.LAYER_CUT, Capability.VJP, Capability.INPUT_GRADIENT);
      Tensor y = m.forward(ref.inputs());
      double ey = rel(y, ref.expected(y));
      assertThat(ey).as("outputs").isLessThanOrEqualTo(1e-4);
      Map<String, Double> errs = new TreeMap<>();
      errs.put("outputs", ey);
      Tensor x0 = ref.inputs().slice(0, 1);
      Tensor gy = oneHot(1, y.dim(1), ref.top());
      for (String l : man.layers()) {
        LayerHook h = m.layer(l);
        Tensor a = h.activation(x0);
        Tensor g = h.vjp(a, gy);
        Tensor ra = npy(bundle, l + ".activation.npy"), rg = npy(bundle, l + ".gradient.npy");
        double ea = rel(a, ra), eg = rel(g, rg);
        errs.put(l + " activation", ea);
        errs.put(l + " gradient", eg);
        System.out.println("ZOO " + provider().name() + " " + bundle.getFileName() + " " + l + " gradient max " + eg + ", "
            + detail(g, rg) + ", tolerance " + tolerance(bundle, l));
        assertThat(ea).as(l + " activation").isLessThanOrEqualTo(1e-4);
        assertThat(eg).as(l + " gradient").isLessThanOrEqualTo(tolerance(bundle, l));
        assertThat(rel(h.tailWithGradient(a, out -> gy).gradient(), rg)).as(l + " fused gradient")
            .isLessThanOrEqualTo(tolerance(bundle, l));
      }
      Tensor gi = m.layer(LayerInfo.INPUT).vjp(x0, gy);
      Tensor rgi = npy(bundle, "input.gradient.npy");
      double ei = rel(gi, rgi);
      System.out.println("ZOO " + provider().name() + " " + bundle.getFileName() + " input gradient max " + ei + ", "
          + detail(gi, rgi) + ", tolerance " + tolerance(bundle, "input"));
      errs.put("input gradient", ei);
      report("bundle " + bundle.getFileName(), errs);
      assertThat(ei).as("input gradient").isLessThanOrEqualTo(tolerance(bundle, "input"));
    }
  }

  /** Adds a line to the report printed after the class's cases. */
  protected final synchronized void report(String what, Map<String, Double> errors) { report.put(what, errors.toString()); }

  @AfterAll void printReport() {
    report.forEach((k, v) -> System.out.println("ZOO " + provider().name() + " " + k + ": " + v));
  }

  /** The recorded reference ({@code reference/logits.json}): the inputs as one batch, their outputs, top class of input 0. */
  protected record Recorded(Tensor inputs, float[][] outputs, int top) {
    @SuppressWarnings("unchecked")
    public static Recorded of(Path bundle) {
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
        return new Recorded(Tensor.concat(xs), out, top);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** The recorded outputs as {@code [n, k]}, after checking that the engine's {@code y} has that shape. */
    public Tensor expected(Tensor y) {
      int n = outputs.length, k = outputs[0].length;
      assertThat(y.shape()).as("output shape").containsExactly(n, k);
      float[] f = new float[n * k];
      for (int i = 0; i < n; i++) System.arraycopy(outputs[i], 0, f, i * k, k);
      return Tensor.wrap(f, n, k);
    }
  }

  /**
   * The bound for a recorded gradient: 1e-4, or twice the float32 noise of the reference itself when that is larger
   * ({@code reference/noise.json}, written by tools/zoo.py: how far PyTorch's gradient moves in float64, with another
   * thread count, or with the activation perturbed by 1e-6 relative). Deep random-weight networks have early-layer and
   * input gradients that jump at ReLU kinks crossed by such changes; no float32 engine can be held closer.
   */
  @SuppressWarnings("unchecked")
  protected static double tolerance(Path bundle, String layer) {
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
  protected static String detail(Tensor a, Tensor b) {
    double d2 = 0, b2 = 0, m = 0;
    for (int i = 0; i < b.size(); i++) m = Math.max(m, Math.abs(b.get(i)));
    int bad = 0;
    for (int i = 0; i < b.size(); i++) {
      double d = a.get(i) - b.get(i);
      d2 += d * d;
      b2 += (double) b.get(i) * b.get(i);
      if (Math.abs(d) > 1e-4 * m) bad++;
    }
    return String.format(Locale.ROOT, "l2 %.2g, %d of %d entries off", Math.sqrt(d2 / b2), bad, b.size());
  }

  /** {@code max|a - b| / max|b|}; a reference of zeros would make the comparison vacuous, so it fails. */
  protected static double rel(Tensor a, Tensor b) {
    double d = 0, m = 0;
    for (int i = 0; i < b.size(); i++) {
      d = Math.max(d, Math.abs(a.get(i) - b.get(i)));
      m = Math.max(m, Math.abs(b.get(i)));
    }
    assertThat(m).as("the reference is not all zeros").isGreaterThan(0);
    return d / m;
  }

  /** One-hot {@code [n, k]} rows at class {@code at}. */
  protected static Tensor oneHot(int n, int k, int at) {
    float[] v = new float[n * k];
    for (int i = 0; i < n; i++) v[i * k + at] = 1;
    return Tensor.wrap(v, n, k);
  }

  /** A recorded reference tensor ({@code reference/<f>}) with a batch axis; one of zeros would make the comparison vacuous. */
  protected static Tensor npy(Path bundle, String f) {
    Tensor t = Tensor.readNpy(bundle.resolve("reference").resolve(f)).unsqueeze();
    double m = 0;
    for (int i = 0; i < t.size(); i++) m = Math.max(m, Math.abs(t.get(i)));
    assertThat(m).as("max |" + f + "| of " + bundle.getFileName()).isGreaterThan(0);
    return t;
  }
}
