package org.xcam.tck;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.xcam.api.Capability;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerInfo;
import org.xcam.api.Model;
import org.xcam.api.Objective;
import org.xcam.api.Objectives;
import org.xcam.api.SecondOrder;
import org.xcam.api.Tensor;
import org.xcam.api.bundle.Json;
import org.xcam.api.spi.EngineProvider;
import org.xcam.tck.fixtures.Checkout;
import org.xcam.tck.fixtures.Reference;

/**
 * The kit an engine that offers {@link Capability#HESSIAN_VECTOR_PRODUCT} passes: the exact Hessian-vector product
 * against PyTorch autograd in float64 on the eager module ({@code tools/fixtures/smooth-small} of an xcam checkout,
 * written by {@code tools/make_second_order_fixture.py}): every layer, a logit and the log-sum-exp objective (whose own
 * curvature enters through the seed tangent), the direction v = the activation (ShapleyCAM's). On the
 * piecewise-linear phantom-small (the kit's reference bundle) the product is exactly zero.
 *
 * <pre>{@code
 * class MyEngineHessianVectorTest extends HessianVectorCompatibilityKit {
 *   protected EngineProvider provider() { return new MyEngineProvider(); }
 * }
 * }</pre>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class HessianVectorCompatibilityKit {
  private Model smooth;

  protected abstract EngineProvider provider();

  /** Engine options for every load (e.g. {@code device=cpu}). */
  protected Map<String, String> options() { return Map.of(); }

  /** How often every entry is checked on the same model (an engine that optimises after its first runs wants more). */
  protected int repeats() { return 2; }

  /** The smooth-small fixture: {@code bundle/}, {@code inputs/}, {@code refs.json} and the files it names. */
  protected Path fixture() { return Checkout.dir("tools/fixtures/smooth-small"); }

  @BeforeAll void loadSmooth() {
    if (!Files.isRegularFile(fixture().resolve("refs.json"))) {
      throw new IllegalStateException("no smooth-small fixture at " + fixture().toAbsolutePath().normalize()
          + ": run from an xcam checkout (module or root), or override fixture()");
    }
    smooth = provider().load(fixture().resolve("bundle"), options());
  }

  @AfterAll void closeSmooth() { if (smooth != null) smooth.close(); }

  @SuppressWarnings("unchecked")
  private List<Map<String, Object>> entries() {
    try {
      return (List<Map<String, Object>>) ((Map<String, Object>) Json.parse(Files.readString(fixture().resolve("refs.json")))).get("entries");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Tensor ref(Map<String, Object> e, String what) {
    return Tensor.readNpy(fixture().resolve((String) ((Map<?, ?>) e.get("files")).get(what))).unsqueeze();
  }

  private static Objective objective(Map<String, Object> e) {
    String o = (String) e.get("objective");
    return o.equals("lse") ? Objectives.logSumExp() : Objectives.logit(Integer.parseInt(o.substring(5)), "");
  }

  /** The seed tangent (ds/dy)(J v) of one objective, row by row. */
  private static BiFunction<Tensor, Tensor, Tensor> tangent(Objective o) {
    return (y, jv) -> {
      int n = y.dim(0), k = y.dim(1);
      float[] out = new float[n * k], yd = y.toArray(), jd = jv.toArray();
      for (int i = 0; i < n; i++) {
        double[] u = new double[k];
        for (int j = 0; j < k; j++) u[j] = jd[i * k + j];
        double[] h = o.hessianVector(Arrays.copyOfRange(yd, i * k, (i + 1) * k), u);
        for (int j = 0; j < k; j++) out[i * k + j] = (float) h[j];
      }
      return Tensor.wrap(out, n, k);
    };
  }

  private static double relErr(Tensor got, Tensor ref) {
    double m = 0;
    for (float v : ref.toArray()) m = Math.max(m, Math.abs(v));
    return got.maxAbsDiff(ref) / Math.max(m, 1e-12);
  }

  @Test
  @DisplayName("Every layer and objective: gradient and Hv equal PyTorch's float64 double backward within 1e-4 (relative to the largest |value|), over repeated calls")
  void matchesAutograd() {
    assertThat(smooth.capabilities()).contains(Capability.HESSIAN_VECTOR_PRODUCT);
    double worstG = 0, worstH = 0;
    for (int rep = 0; rep < repeats(); rep++) {
      for (Map<String, Object> e : entries()) {
        String layer = (String) e.get("layer");
        LayerHook h = smooth.layer(layer);
        Tensor x = Tensor.readNpy(fixture().resolve("inputs/" + ((Number) e.get("input")).intValue() + ".npy")).unsqueeze();
        Tensor a = h.activation(x);
        assertThat(relErr(a, ref(e, "activation"))).as("activation %s", layer).isLessThan(1e-5);
        Objective o = objective(e);
        Function<Tensor, Tensor> seed = o::gradients;
        SecondOrder so = h.tailWithHessianVector(a, a, seed, tangent(o));
        double eg = relErr(so.gradient(), ref(e, "gradient")), eh = relErr(so.hessianVector(), ref(e, "hvp"));
        assertThat(eg).as("gradient %s %s input %s", layer, e.get("objective"), e.get("input")).isLessThan(1e-4);
        assertThat(eh).as("Hv %s %s input %s", layer, e.get("objective"), e.get("input")).isLessThan(1e-4);
        worstG = Math.max(worstG, eg);
        worstH = Math.max(worstH, eh);
      }
    }
    System.out.printf("%s exact Hv vs torch float64 on smooth-small, %d entries x %d calls: worst gradient error %.2e, worst Hv error %.2e%n",
        provider().name(), entries().size(), repeats(), worstG, worstH);
  }

  @Test
  @DisplayName("A batch gives each row's own product (rows are independent)")
  void batchRows() {
    LayerHook h = smooth.layer("features.4");
    Tensor x = Tensor.stack(List.of(Tensor.readNpy(fixture().resolve("inputs/0.npy")), Tensor.readNpy(fixture().resolve("inputs/1.npy"))));
    Tensor a = h.activation(x);
    Objective o = Objectives.logSumExp();
    SecondOrder both = h.tailWithHessianVector(a, a, o::gradients, tangent(o));
    for (int i = 0; i < 2; i++) {
      Tensor ai = a.slice(i, i + 1);
      SecondOrder one = h.tailWithHessianVector(ai, ai, o::gradients, tangent(o));
      assertThat(both.hessianVector().slice(i, i + 1).maxAbsDiff(one.hessianVector())).isLessThan(1e-6);
    }
  }

  @Test
  @DisplayName("On the piecewise-linear phantom-small (ReLU, max-pool, linear) the Hv of a logit is exactly zero at every layer")
  void zeroOnPiecewiseLinear() {
    try (Model m = provider().load(Reference.bundle(), options())) {
      assertThat(m.capabilities()).contains(Capability.HESSIAN_VECTOR_PRODUCT);
      for (String layer : List.of("features.10", "features.14", LayerInfo.INPUT)) {
        LayerHook h = m.layer(layer);
        Tensor a = h.activation(Tensor.stack(List.of(Reference.input(0), Reference.input(1), Reference.input(2))));
        Objective o = Objectives.logit(1, "");
        SecondOrder so = h.tailWithHessianVector(a, a, o::gradients, null);
        for (float v : so.hessianVector().toArray()) assertThat(v).as(layer).isEqualTo(0f);
        assertThat(so.gradient().maxAbsDiff(h.tailWithGradient(a, o::gradients).gradient())).as(layer).isLessThan(1e-6);
      }
    }
  }
}
