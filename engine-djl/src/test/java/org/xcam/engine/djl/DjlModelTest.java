package org.xcam.engine.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.xcam.engine.djl.Fixtures.assertClose;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xcam.api.Capability;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerInfo;
import org.xcam.api.Model;
import org.xcam.api.TailGradient;
import org.xcam.api.Tensor;
import org.xcam.api.spi.EngineProvider;

@DisplayName("DJL engine on the pytorch-grad-cam phantom-small bundle")
class DjlModelTest {

  @Nested
  @DisplayName("Discovery and model info")
  class Info {
    @Test
    @DisplayName("the provider is found by ServiceLoader under the name djl with rank 100")
    void serviceLoader() {
      List<EngineProvider> found = new ArrayList<>();
      ServiceLoader.load(EngineProvider.class).forEach(found::add);
      assertThat(found).anySatisfy(p -> {
        assertThat(p.name()).isEqualTo("djl");
        assertThat(p.rank()).isEqualTo(100);
        assertThat(p).isInstanceOf(DjlEngineProvider.class);
      });
    }

    @Test
    @DisplayName("canLoad accepts bundle directories with model.pt and .pt files, nothing else")
    void canLoad(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
      DjlEngineProvider p = new DjlEngineProvider();
      assertThat(p.canLoad(Fixtures.bundle())).isTrue();
      assertThat(p.canLoad(Fixtures.bundle().resolve("model.pt"))).isTrue();
      assertThat(p.canLoad(Fixtures.bundle().resolve("layers"))).isFalse();
      assertThat(p.canLoad(tmp)).isFalse();
      assertThat(p.canLoad(tmp.resolve("missing.pt"))).isFalse();
      java.nio.file.Path onnx = java.nio.file.Files.writeString(tmp.resolve("m.onnx"), "x");
      assertThat(p.canLoad(onnx)).isFalse();
    }

    @Test
    @DisplayName("info lists both cut layers with the activation shapes of a probe forward, and every capability but swapped backward rules and bias gradients")
    void info() {
      Model m = Fixtures.model();
      assertThat(m.info().name()).isEqualTo("phantom-small");
      assertThat(m.info().engine()).isEqualTo("djl");
      assertThat(m.info().labels()).containsExactly("normal", "nodule", "effusion");
      assertThat(m.info().layers()).containsExactly(
          new LayerInfo("features.10", new int[] {48, 16, 16}), new LayerInfo("features.14", new int[] {64, 8, 8}));
      assertThat(m.info().defaultLayer()).isEqualTo("features.14");
      assertThat(m.capabilities()).containsExactlyInAnyOrder(Capability.FORWARD, Capability.LAYER_CUT, Capability.VJP,
          Capability.INPUT_GRADIENT, Capability.HESSIAN_VECTOR_PRODUCT);
    }

    @Test
    @DisplayName("model.pt given as a file inside a bundle loads the whole bundle")
    void modelPtInBundle() {
      try (Model m = new DjlEngineProvider().load(Fixtures.bundle().resolve("model.pt"), Map.of())) {
        assertThat(m.info().layerNames()).containsExactly(Fixtures.LAYERS);
      }
    }
  }

  @Nested
  @DisplayName("Forward")
  class Forward {
    @Test
    @DisplayName("logits equal the ones PyTorch recorded in logits.json within 1e-4, as one batch of six")
    void batchLogits() {
      float[][] ref = Fixtures.logits();
      Tensor y = Fixtures.model().forward(Fixtures.batch(0, 1, 2, 3, 4, 5));
      assertThat(y.shape()).containsExactly(6, 3);
      for (int i = 0; i < 6; i++) assertThat(y.item(i).toArray()).as("input " + i).containsExactly(ref[i], within(1e-4f));
    }

    @ParameterizedTest(name = "input {0}")
    @ValueSource(ints = {0, 1, 2, 3, 4, 5})
    @DisplayName("logits of each single input equal logits.json within 1e-4")
    void singleLogits(int i) {
      Tensor y = Fixtures.model().forward(Fixtures.input(i));
      assertThat(y.toArray()).containsExactly(Fixtures.logits()[i], within(1e-4f));
    }

    @Test
    @DisplayName("a batch larger than maxBatch is run in slices and gives the same logits")
    void slicing() {
      Tensor x = Fixtures.batch(0, 1, 2, 3, 4, 5);
      try (Model m = new DjlEngineProvider().load(Fixtures.bundle(), Map.of("maxBatch", "4"))) {
        assertClose(m.forward(x), Fixtures.model().forward(x), 1e-6, "sliced forward");
        LayerHook h = m.layer("features.10");
        Tensor a = h.activation(x);
        assertClose(a, Fixtures.model().layer("features.10").activation(x), 1e-6, "sliced activation");
        Tensor g = Fixtures.oneHot(6, 3, 2);
        assertClose(h.vjp(a, g), Fixtures.model().layer("features.10").vjp(a, g), 1e-6, "sliced vjp");
      }
    }

    @Test
    @DisplayName("concurrency(): one libtorch thread per call (the engine's default), so as many calls as cores")
    void concurrencyHint() {
      assertThat(System.getProperty(DjlModel.THREADS_PROPERTY)).isEqualTo("1");
      assertThat(Fixtures.model().concurrency()).isEqualTo(Runtime.getRuntime().availableProcessors());
    }

    @Test
    @DisplayName("without maxBatch, slices hold 5 MiB of input: 8 images of 3x224x224, 1 of 1x1024x1024, 52 rows of [512,7,7], at most 64")
    void defaultSliceBytes() {
      DjlModel m = (DjlModel) Fixtures.model();
      assertThat(m.sliceRows(Tensor.wrap(new float[32 * 3 * 224 * 224], 32, 3, 224, 224))).isEqualTo(8);
      assertThat(m.sliceRows(Tensor.wrap(new float[2 * 1024 * 1024], 2, 1, 1024, 1024))).isEqualTo(1);
      assertThat(m.sliceRows(Tensor.wrap(new float[2 * 2048 * 1024], 2, 2, 1024, 1024))).isEqualTo(1);
      assertThat(m.sliceRows(Tensor.wrap(new float[100 * 512 * 49], 100, 512, 7, 7))).isEqualTo(52);
      assertThat(m.sliceRows(Tensor.wrap(new float[100 * 16], 100, 16))).isEqualTo(64);
      try (Model explicit = new DjlEngineProvider().load(Fixtures.bundle(), Map.of("maxBatch", "4"))) {
        assertThat(((DjlModel) explicit).sliceRows(Tensor.wrap(new float[32 * 3 * 224 * 224], 32, 3, 224, 224))).isEqualTo(4);
      }
    }
  }

  @Nested
  @DisplayName("Layer cuts")
  class Cuts {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"features.10", "features.14", "input"})
    @DisplayName("tail(head(x)) equals forward(x) within 1e-5 relative on all six inputs")
    void tailOfHead(String layer) {
      Model m = Fixtures.model();
      Tensor x = Fixtures.batch(0, 1, 2, 3, 4, 5);
      LayerHook h = m.layer(layer);
      assertClose(h.tail(h.activation(x)), m.forward(x), 1e-5, layer);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"features.10", "features.14"})
    @DisplayName("the activation for input 0 equals PyTorch's recorded activation")
    void activationMatchesReference(String layer) {
      Tensor ref = Fixtures.tensor("tensors/" + layer + "/0.activation.npy");
      Tensor a = Fixtures.model().layer(layer).activation(Fixtures.input(0));
      assertClose(a.item(0), ref, 1e-5, layer + " activation");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"features.10", "features.14"})
    @DisplayName("the VJP of the target logit (one-hot at class 1) equals PyTorch's recorded gradient")
    void vjpMatchesReference(String layer) {
      assertThat(Fixtures.targetClass(0)).isEqualTo(1);
      Tensor ref = Fixtures.tensor("tensors/" + layer + "/0.gradient.npy");
      assertThat(Fixtures.maxAbs(ref)).as("reference gradient is not all zeros").isGreaterThan(1e-4);
      LayerHook h = Fixtures.model().layer(layer);
      Tensor g = h.vjp(h.activation(Fixtures.input(0)), Fixtures.oneHot(1, 3, 1));
      double tol = 1e-4 * Fixtures.maxAbs(ref);
      assertThat(g.item(0).shape()).containsExactly(ref.shape());
      assertThat(g.item(0).maxAbsDiff(ref)).as("max abs diff, tolerance " + tol).isLessThanOrEqualTo(tol);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"features.10", "features.14", "input"})
    @DisplayName("tailWithGradient gives tail(a) and the VJP of the seed it computed from that output")
    void fused(String layer) {
      LayerHook h = Fixtures.model().layer(layer);
      Tensor a = h.activation(Fixtures.batch(0, 1, 4));
      AtomicReference<Tensor> seen = new AtomicReference<>();
      // seed: gradient of sum_i y[i, argmax_i] (depends on the output, as Target.predicted does)
      TailGradient tg = h.tailWithGradient(a, y -> {
        seen.set(y);
        float[] g = new float[y.size()];
        for (int i = 0; i < y.dim(0); i++) {
          int best = 0;
          for (int k = 1; k < y.dim(1); k++) if (y.get(i, k) > y.get(i, best)) best = k;
          g[i * y.dim(1) + best] = 1f;
        }
        return Tensor.wrap(g, y.shape());
      });
      Tensor y = h.tail(a);
      assertClose(tg.output(), y, 1e-6, "output");
      assertThat(seen.get()).isEqualTo(tg.output());
      Tensor gOut = Tensor.stack(List.of(Fixtures.oneHot(1, 3, 1).item(0), Fixtures.oneHot(1, 3, 2).item(0),
          Fixtures.oneHot(1, 3, 2).item(0)));
      assertClose(tg.gradient(), h.vjp(a, gOut), 1e-6, "gradient");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"features.10", "features.14", "input"})
    @DisplayName("a batch of six gives the same activations, outputs and VJPs as six single calls")
    void batchEqualsSingles(String layer) {
      LayerHook h = Fixtures.model().layer(layer);
      Tensor x = Fixtures.batch(0, 1, 2, 3, 4, 5);
      Tensor a = h.activation(x);
      Random r = new Random(7);
      float[] gv = new float[6 * 3];
      for (int i = 0; i < gv.length; i++) gv[i] = (float) r.nextGaussian();
      Tensor g = Tensor.wrap(gv, 6, 3);
      Tensor y = h.tail(a);
      Tensor v = h.vjp(a, g);
      for (int i = 0; i < 6; i++) {
        Tensor ai = h.activation(Fixtures.input(i));
        assertClose(a.slice(i, i + 1), ai, 1e-5, "activation " + i);
        assertClose(y.slice(i, i + 1), h.tail(ai), 1e-5, "tail " + i);
        assertClose(v.slice(i, i + 1), h.vjp(ai, g.slice(i, i + 1)), 1e-5, "vjp " + i);
      }
    }
  }

  @Nested
  @DisplayName("VJP against central finite differences of the tail")
  class FiniteDifferences {
    /**
     * f(a) = gOut . tail(a) for a fixed mix gOut of the logits. At each chosen coordinate c the test runs f at
     * a + t eps e_c for t = -1, -1/2, 0, 1/2, 1 (one batched tail call for all coordinates). These ReLU/max-pool
     * networks are piecewise linear: where the four slopes over the half steps agree, the coordinate is smooth over
     * [-eps, eps] and the central difference must equal the VJP up to float32 rounding of the outputs; where they
     * disagree the interval holds a kink (a max-pool tie, a ReLU switching) and the coordinate is skipped. The 8
     * coordinates with the largest |gradient| are always tried, so a VJP of zeros or of another objective fails.
     * eps is 1e-2 at the layers (activations of order 1), 5e-2 at features.14 whose tail is nearly linear and has
     * small gradients (a larger step lifts the difference above float32 rounding), 2e-3 at the input (every ReLU
     * of the network lies between a pixel and the output, so kinks are dense).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"features.10", "features.14", "input"})
    @DisplayName("dObjective/dA at the largest and at random coordinates equals (f(a+eps) - f(a-eps)) / 2 eps")
    void coordinates(String layer) {
      float eps = switch (layer) {
        case "features.14" -> 5e-2f;
        case "input" -> 2e-3f;
        default -> 1e-2f;
      };
      LayerHook h = Fixtures.model().layer(layer);
      Tensor a = h.activation(Fixtures.input(3));
      Tensor gOut = Tensor.of(new float[] {0.7f, -1.3f, 0.4f}, 1, 3);
      Tensor grad = h.vjp(a, gOut);
      int n = a.size();
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) order[i] = i;
      java.util.Arrays.sort(order, (p, q) -> Float.compare(Math.abs(grad.get(q)), Math.abs(grad.get(p))));
      List<Integer> coords = new ArrayList<>(List.of(order).subList(0, 8));
      Random r = new Random(11);
      while (coords.size() < 24) coords.add(r.nextInt(n));
      float[] steps = {-1f, -0.5f, 0.5f, 1f};
      float[] base = a.toArray();
      List<Tensor> items = new ArrayList<>();
      items.add(a.item(0));
      for (int c : coords) {
        for (float t : steps) {
          float[] v = base.clone();
          v[c] += t * eps;
          items.add(Tensor.wrap(v, a.shape()).item(0));
        }
      }
      Tensor y = h.tail(Tensor.stack(items));
      double gmax = Fixtures.maxAbs(grad);
      // float32 rounding of one value of f: sum_k |gOut_k| ulp(max |y|)
      double ferr = (0.7 + 1.3 + 0.4) * Math.ulp((float) Fixtures.maxAbs(y));
      double tol = 1e-3 * gmax + 4 * ferr / eps;
      double kink = 2e-3 * gmax + 8 * ferr / eps;
      double f0 = f(y, 0, gOut);
      int smooth = 0, smoothTop = 0;
      for (int j = 0; j < coords.size(); j++) {
        double fm1 = f(y, 1 + 4 * j, gOut), fmh = f(y, 2 + 4 * j, gOut);
        double fph = f(y, 3 + 4 * j, gOut), fp1 = f(y, 4 + 4 * j, gOut);
        double[] slopes = {(fmh - fm1) / (eps / 2), (f0 - fmh) / (eps / 2), (fph - f0) / (eps / 2), (fp1 - fph) / (eps / 2)};
        double lo = Math.min(Math.min(slopes[0], slopes[1]), Math.min(slopes[2], slopes[3]));
        double hi = Math.max(Math.max(slopes[0], slopes[1]), Math.max(slopes[2], slopes[3]));
        if (hi - lo > kink) continue;   // a kink inside [-eps, eps]
        smooth++;
        if (j < 8) smoothTop++;
        double fd = (fp1 - fm1) / (2 * eps);
        assertThat((double) grad.get(coords.get(j))).as("%s coordinate %d (central difference %.6g, tolerance %.3g)", layer,
            coords.get(j), fd, tol).isCloseTo(fd, within(tol));
      }
      assertThat(smoothTop).as("smooth coordinates among the 8 largest").isGreaterThanOrEqualTo(4);
      assertThat(smooth).as("smooth coordinates in all").isGreaterThanOrEqualTo(12);
    }

    private double f(Tensor y, int row, Tensor gOut) {
      double s = 0;
      for (int k = 0; k < gOut.size(); k++) s += gOut.get(k) * (double) y.get(row, k);
      return s;
    }
  }
}
