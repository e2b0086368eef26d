package org.xcam.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.xcam.api.Capability;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.Tensor;
import org.xcam.api.UnknownNameException;
import org.xcam.api.spi.EngineProvider;
import org.xcam.tck.fixtures.Reference;

/**
 * The kit a new engine passes, on the reference bundle (or the bundle {@link #bundle()} names): forward equals the
 * recorded logits, {@code tail(head(x)) = forward(x)} at every layer, the VJP equals the recorded gradient and central
 * finite differences, batches equal single calls, concurrent calls are correct, unknown layers fail cleanly.
 *
 * <pre>{@code
 * class MyEngineCompatibilityTest extends EngineCompatibilityKit {
 *   protected EngineProvider provider() { return new MyEngineProvider(); }
 * }
 * }</pre>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class EngineCompatibilityKit {
  private Model model;

  protected abstract EngineProvider provider();

  /** The bundle to load (default: the pytorch-grad-cam reference bundle, whose logits and gradients are recorded). */
  protected Path bundle() { return Reference.bundle(); }

  /**
   * The reference fixture whose inputs, logits and layer tensors the bundle is checked against (a directory of the
   * kit's reference data: {@code phantom-small}, or {@code tiny-vit} for a transformer with token layers, loaded from
   * {@code tiny-vit/bundle} on DJL or {@code tiny-vit/model.onnx} on ONNX Runtime).
   */
  protected String fixture() { return "phantom-small"; }

  /** The layers whose activation and gradient of input 0 the fixture records ({@code tensors/<layer>/0.*.npy}, raw layout). */
  protected List<String> referenceLayers() {
    return fixture().equals("tiny-vit") ? List.of("blocks.2", "blocks.3") : List.of("features.10", "features.14");
  }

  /** The class whose logit the recorded gradients are of (input 0). */
  protected int referenceGradientClass() { return fixture().equals("tiny-vit") ? 2 : 1; }

  /** Tolerance for forward outputs against the recorded logits. */
  protected double logitTolerance() { return 1e-4; }

  protected final synchronized Model model() {
    if (model == null) model = provider().load(bundle(), Map.of());
    return model;
  }

  @AfterAll void closeModel() {
    if (model != null) model.close();
  }

  private Tensor inputs() {
    List<Tensor> l = new ArrayList<>();
    for (int i = 0; i < 6; i++) l.add(input(i));
    return Tensor.stack(l);
  }

  private Tensor input(int i) { return Reference.tensor(fixture() + "/inputs/" + i + ".npy"); }

  @Nested @DisplayName("Forward")
  class Forward {
    @Test @DisplayName("The engine can load the bundle and says so cheaply (canLoad)")
    void canLoad() {
      assertThat(provider().canLoad(bundle())).isTrue();
      assertThat(model().capabilities()).contains(Capability.FORWARD);
    }

    @Test @DisplayName("Forward logits equal those recorded by the export script within the tolerance")
    void logits() {
      Tensor y = model().forward(inputs());
      List<?> rec = (List<?>) ((Map<?, ?>) Reference.json(fixture() + "/logits.json")).get("logits");
      for (int i = 0; i < 6; i++) {
        List<?> l = (List<?>) ((Map<?, ?>) rec.get(i)).get("logits");
        for (int k = 0; k < l.size(); k++) {
          assertThat((double) y.get(i, k)).as("logit %d of input %d", k, i)
              .isCloseTo(((Number) l.get(k)).doubleValue(), org.assertj.core.api.Assertions.within(logitTolerance()));
        }
      }
    }

    @Test @DisplayName("A batch gives the same outputs as single calls")
    void batch() {
      Tensor x = inputs();
      Tensor y = model().forward(x);
      for (int i = 0; i < 6; i++) assertThat(model().forward(x.slice(i, i + 1)).maxAbsDiff(y.slice(i, i + 1))).isLessThan(1e-4);
    }

    @Test @DisplayName("Concurrent forward calls from 4 threads give the single-threaded results")
    void concurrent() throws Exception {
      Tensor x = inputs();
      Tensor expected = model().forward(x);
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<Tensor>> fs = new ArrayList<>();
        for (int i = 0; i < 40; i++) fs.add(pool.submit(() -> model().forward(x)));
        for (Future<Tensor> f : fs) assertThat(f.get().maxAbsDiff(expected)).isLessThan(1e-5);
      } finally {
        pool.shutdown();
      }
    }
  }

  @Nested @DisplayName("Layer cut")
  class Cut {
    @Test @DisplayName("tail(head(x)) equals forward(x) at every layer")
    void tailOfHead() {
      assumeTrue(model().capabilities().contains(Capability.LAYER_CUT), "engine cannot cut at layers");
      Tensor x = inputs();
      Tensor y = model().forward(x);
      for (String l : model().info().layerNames()) {
        LayerHook h = model().layer(l);
        assertThat(h.tail(h.activation(x)).maxAbsDiff(y)).as("layer %s", l).isLessThan(1e-4);
      }
    }

    @Test @DisplayName("Activations equal the recorded reference activations")
    void activations() {
      assumeTrue(model().capabilities().contains(Capability.LAYER_CUT), "engine cannot cut at layers");
      for (String l : referenceLayers()) {
        Tensor a = model().layer(l).activation(input(0).unsqueeze());
        assertThat(a.shape()).as("raw activation at %s", l).containsExactly(batched(model().info().layer(l).rawShape()));
        Tensor ref = Reference.tensor(fixture() + "/tensors/" + l + "/0.activation.npy");
        assertThat(a.reshape(ref.shape()).maxAbsDiff(ref)).as("activation at %s", l).isLessThan(1e-4);
      }
    }

    @Test @DisplayName("An unknown layer raises UnknownNameException listing the model's layers")
    void unknownLayer() {
      assertThatThrownBy(() -> model().layer("no-such-layer")).isInstanceOf(UnknownNameException.class)
          .hasMessageContaining("no-such-layer");
    }
  }

  @Nested @DisplayName("Gradients")
  class Gradients {
    @Test @DisplayName("The VJP of the target logit equals the recorded reference gradient")
    void referenceGradient() {
      assumeTrue(model().capabilities().contains(Capability.VJP), "engine has no gradients");
      for (String l : referenceLayers()) {
        LayerHook h = model().layer(l);
        Tensor a = h.activation(input(0).unsqueeze());
        float[] seed = new float[3];
        seed[referenceGradientClass()] = 1;
        Tensor g = h.vjp(a, Tensor.of(seed, 1, 3));
        Tensor ref = Reference.tensor(fixture() + "/tensors/" + l + "/0.gradient.npy");
        assertThat(g.reshape(ref.shape()).maxAbsDiff(ref)).as("gradient at %s", l).isLessThan(1e-4);
      }
    }

    @Test @DisplayName("The VJP equals central finite differences of the tail at random coordinates where the tail is smooth")
    void finiteDifferences() {
      assumeTrue(model().capabilities().contains(Capability.VJP), "engine has no gradients");
      Random rnd = new Random(3);
      for (String l : model().info().layerNames()) {
        LayerHook h = model().layer(l);
        Tensor a = h.activation(input(1).unsqueeze());
        float[] gOut = {0.3f, -0.5f, 0.9f};
        Tensor g = h.vjp(a, Tensor.of(gOut, 1, 3));
        float[] av = a.toArray();
        int checked = 0;
        for (int t = 0; t < 60 && checked < 8; t++) {
          int i = rnd.nextInt(av.length);
          double fd = fd(h, av, a.shape(), gOut, i, 1e-2f), fdHalf = fd(h, av, a.shape(), gOut, i, 2.5e-3f);
          // A ReLU or max-pool kink inside the step makes the two steps disagree: not a smooth point, skip it.
          if (Math.abs(fd - fdHalf) > 5e-4 + 0.03 * Math.abs(fdHalf)) continue;
          assertThat((double) g.get(i)).as("layer %s coordinate %d", l, i).isCloseTo(fdHalf,
              org.assertj.core.api.Assertions.within(1e-3 + 2e-2 * Math.abs(fdHalf)));
          checked++;
        }
        assertThat(checked).as("smooth coordinates checked at layer %s", l).isEqualTo(8);
      }
    }

    private double fd(LayerHook h, float[] av, int[] shape, float[] gOut, int i, float eps) {
      float[] p = av.clone(), m = av.clone();
      p[i] += eps;
      m[i] -= eps;
      Tensor yp = h.tail(Tensor.of(p, shape)), ym = h.tail(Tensor.of(m, shape));
      double fd = 0;
      for (int k = 0; k < gOut.length; k++) fd += gOut[k] * ((double) yp.get(k) - ym.get(k)) / (2 * eps);
      return fd;
    }

    @Test @DisplayName("The fused tail-and-gradient call equals a tail call plus a VJP")
    void fused() {
      assumeTrue(model().capabilities().contains(Capability.VJP), "engine has no gradients");
      LayerHook h = model().layer(model().info().defaultLayer());
      Tensor a = h.activation(inputs());
      Tensor gOut = Tensor.full(1f, 6, 3);
      var tg = h.tailWithGradient(a, y -> gOut);
      assertThat(tg.output().maxAbsDiff(h.tail(a))).isLessThan(1e-5);
      assertThat(tg.gradient().maxAbsDiff(h.vjp(a, gOut))).isLessThan(1e-5);
    }
  }

  private static int[] batched(int[] s) {
    int[] b = new int[s.length + 1];
    b[0] = 1;
    System.arraycopy(s, 0, b, 1, s.length);
    return b;
  }
}
