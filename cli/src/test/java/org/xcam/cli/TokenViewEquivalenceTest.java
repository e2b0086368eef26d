package org.xcam.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.xcam.cli.ExplainCommandTest.xcam;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xcam.api.Capability;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerInfo;
import org.xcam.api.LayerLayout;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.SecondOrder;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.runtime.Xcam;
import org.xcam.tck.fixtures.Reference;

/**
 * Issue 13: the layer methods pytorch-grad-cam has no transformer reference for (Hessian-CIAM, Recipro-CAM, IBA,
 * Feature-CAM, multi-layer fusion; and Grad-CAM, Score-CAM, EigenCAM again) give, on tiny-vit's token layers, exactly
 * the maps they give on a model that shows the same layer as an ordinary channels-first [D, 8, 8] map. That model is
 * written here with plain loops (view[d][y][x] = tokens[1 + 8y + x][d]; its tail puts back the image's class token
 * unchanged), independent of {@link LayerLayout}: the methods' own channels-first path is the reference. One image
 * per request (the class token kept is that image's). Ablation-CAM is not here: it ablates the class token too
 * (pytorch-grad-cam's AblationLayerVit), checked against the references in {@link TransformerReferenceTest}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TokenViewEquivalenceTest {
  private final Xcam xcam = Xcam.create();
  private Model vit;
  private Tensor x;
  @TempDir Path tmp;

  @BeforeAll void load() {
    vit = xcam.load(Reference.root().resolve("tiny-vit/model.onnx"), "onnx", Map.of("device", "cpu"));
    x = Reference.tensor("tiny-vit/inputs/1.npy").unsqueeze();
  }

  @AfterAll void close() { vit.close(); }

  /** tiny-vit with blocks.1 and blocks.2 shown as channels-first [64, 8, 8] layers; the class token of image x frozen. */
  private Model channelsFirstTwin() {
    Map<String, float[]> cls = new java.util.HashMap<>();
    for (String l : List.of("blocks.1", "blocks.2")) cls.put(l, java.util.Arrays.copyOf(vit.layer(l).activation(x).toArray(), 64));
    List<LayerInfo> layers = new ArrayList<>();
    for (LayerInfo l : vit.info().layers()) layers.add(cls.containsKey(l.name()) ? new LayerInfo(l.name(), new int[] {64, 8, 8}) : l);
    ModelInfo i = vit.info();
    ModelInfo info = new ModelInfo(i.name() + "-cf", i.task(), i.labels(), i.input(), layers, "blocks.2", i.source(), i.engine(), Map.of(), i.outputs());
    return new Model() {
      @Override public ModelInfo info() { return info; }
      @Override public Set<Capability> capabilities() { return vit.capabilities(); }
      @Override public Tensor forward(Tensor b) { return vit.forward(b); }
      @Override public void close() { }
      @Override public LayerHook layer(String l) {
        LayerHook in = vit.layer(l);
        if (!cls.containsKey(l)) return in;
        float[] c = cls.get(l);
        return new LayerHook() {
          @Override public String name() { return l; }
          @Override public Tensor activation(Tensor b) { return toView(in.activation(b)); }
          @Override public Tensor tail(Tensor v) { return in.tail(toTokens(v, c)); }
          @Override public Tensor vjp(Tensor v, Tensor gy) { return toView(in.vjp(toTokens(v, c), gy)); }
          @Override public SecondOrder tailWithHessianVector(Tensor a, Tensor v, Function<Tensor, Tensor> seed,
                                                             BiFunction<Tensor, Tensor, Tensor> tangent) {
            SecondOrder s = in.tailWithHessianVector(toTokens(a, c), toTokens(v, new float[64]), seed, tangent);
            return new SecondOrder(s.output(), toView(s.gradient()), toView(s.hessianVector()));
          }
        };
      }
    };
  }

  /** [N, 65, 64] -> [N, 64, 8, 8]: drop token 0, token 1 + 8y + x is position (y, x). */
  static Tensor toView(Tensor t) {
    int n = t.dim(0);
    float[] s = t.toArray(), o = new float[n * 64 * 64];
    for (int i = 0; i < n; i++)
      for (int d = 0; d < 64; d++)
        for (int p = 0; p < 64; p++) o[i * 4096 + d * 64 + p] = s[i * 65 * 64 + (1 + p) * 64 + d];
    return Tensor.wrap(o, n, 64, 8, 8);
  }

  /** [N, 64, 8, 8] -> [N, 65, 64] with token 0 = cls. */
  static Tensor toTokens(Tensor v, float[] cls) {
    int n = v.dim(0);
    float[] s = v.toArray(), o = new float[n * 65 * 64];
    for (int i = 0; i < n; i++) {
      System.arraycopy(cls, 0, o, i * 65 * 64, 64);
      for (int d = 0; d < 64; d++)
        for (int p = 0; p < 64; p++) o[i * 65 * 64 + (1 + p) * 64 + d] = s[i * 4096 + d * 64 + p];
    }
    return Tensor.wrap(o, n, 65, 64);
  }

  private void same(String method, Map<String, String> options, List<String> layers) {
    Model twin = channelsFirstTwin();
    ExplainRequest r = ExplainRequest.builder(x).target(Target.predicted()).layers(layers).seed(5).build();
    Explanation a = xcam.explain(vit, method, options, r).get(0);
    Explanation b = xcam.explain(twin, method, options, r).get(0);
    float[] av = a.raw().values(), bv = b.raw().values();
    assertThat(a.raw().height()).isEqualTo(b.raw().height());
    double max = 0;
    for (float v : bv) max = Math.max(max, Math.abs(v));
    assertThat(max).as("%s map is not all zero", method).isPositive();
    for (int p = 0; p < av.length; p++) assertThat((double) av[p]).as("%s position %d", method, p).isCloseTo(bv[p], org.assertj.core.data.Offset.offset(1e-5 * max));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gradcam", "shapleycam", "eigencam", "scorecam", "recipro-cam", "layercam", "gradcam-elementwise"})
  @DisplayName("Layer methods see a token layer exactly as the same map laid out channels-first")
  void methods(String method) {
    same(method, Map.of(), List.of("blocks.2"));
  }

  @Test @DisplayName("Hessian-CIAM runs on a token layer: same gradient, same finite-difference verdict as channels-first")
  void hessianCiam() {
    // this random-init ViT is almost flat along v = 1: ||Hv|| is below the float32 noise of two gradient calls (the
    // method says so in hvpWarning on both), so the maps themselves are noise and are not compared; the gradient
    // norm behind the noise floor is. ShapleyCAM (exact Hessian-vector product along the grid tokens) is compared above.
    ExplainRequest r = ExplainRequest.builder(x).target(Target.predicted()).layer("blocks.2").build();
    Explanation a = xcam.explain(vit, "hessian-ciam", Map.of("r", "1"), r).get(0);
    Explanation b = xcam.explain(channelsFirstTwin(), "hessian-ciam", Map.of("r", "1"), r).get(0);
    for (float v : a.raw().values()) assertThat(Float.isFinite(v)).isTrue();
    double fa = ((Number) a.extras().get("hvpNoiseFloor")).doubleValue(), fb = ((Number) b.extras().get("hvpNoiseFloor")).doubleValue();
    assertThat(fa).isCloseTo(fb, org.assertj.core.data.Percentage.withPercentage(1e-3));
    assertThat(a.extras().containsKey("hvpWarning")).isEqualTo(b.extras().containsKey("hvpWarning"));
  }

  @Test @DisplayName("Multi-layer fusion over two token layers equals the channels-first fusion")
  void fusion() {
    same("gradcam", Map.of(), List.of("blocks.1", "blocks.2"));
  }

  @Test @DisplayName("Feature-CAM on a token layer equals the channels-first one")
  void featureCam() {
    same("feature-cam", Map.of("base", "gradcam"), List.of("blocks.2"));
  }

  @Test @DisplayName("IBA's bottleneck on the grid tokens (statistics estimated on the view) equals the channels-first IBA")
  void iba() {
    Path stats = tmp.resolve("stats");
    var run = xcam("estimate", "--model", Reference.root().resolve("tiny-vit/model.onnx").toString(), "--engine", "onnx",
        "--layer", "blocks.2", "--images", "phantom:16", "--out", stats.toString());
    assertThat(run.code()).as(run.err()).isZero();
    same("iba", Map.of("stats", stats.toString(), "steps", "3"), List.of("blocks.2"));
  }

  @Test @DisplayName("An attention layer is refused up front with one line")
  void attentionRefused() {
    LayerLayout att = LayerLayout.attention(4, 65);
    assertThatThrownBy(() -> att.requireSpatial("gradcam", "blocks.2.attn")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("no spatial view").hasMessageNotContaining("\n");
  }
}
