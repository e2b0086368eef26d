package org.xcam.plugins.gradient;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.Attention;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.Model;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.api.bundle.Json;
import org.xcam.api.spi.EngineProvider;
import org.xcam.api.spi.Providers;
import org.xcam.tck.fixtures.Reference;

/**
 * attention-rollout and gradient-rollout against the independent numpy implementation of
 * {@code tools/transformers/rollout_reference.py} (its outputs are in {@code src/test/resources/rollout/}): the
 * engine's attention probabilities and their gradients against the eager PyTorch model's (autograd, itself checked
 * against central finite differences in float64 by the script), and every map.
 */
@DisplayName("attention-rollout and gradient-rollout against the numpy / autograd references")
class RolloutReferenceTest {
  static Optional<EngineProvider> engine(String name) {
    return Providers.all(EngineProvider.class, RolloutReferenceTest.class.getClassLoader()).stream().filter(e -> e.name().equals(name)).findFirst();
  }

  /** The tiny-vit ONNX file: the tck's copy of the shared reference, else ../shared (a worktree), else null. */
  static Path tinyVit() {
    try {
      Path p = Reference.root().resolve("tiny-vit");
      if (Files.isRegularFile(p.resolve("model.onnx"))) return p;
    } catch (RuntimeException e) {
      // the tck has no tiny-vit copy yet
    }
    Path s = Path.of("../../shared/reference/tiny-vit").toAbsolutePath().normalize();
    return Files.isRegularFile(s.resolve("model.onnx")) ? s : null;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> refs(String model) throws IOException {
    try (InputStream in = RolloutReferenceTest.class.getResourceAsStream("/rollout/" + model + "/rollout.json")) {
      return (Map<String, Object>) Json.parse(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  static Tensor npy(String model, String file) throws IOException {
    try (InputStream in = RolloutReferenceTest.class.getResourceAsStream("/rollout/" + model + "/" + file)) {
      return Tensor.readNpy(in);
    }
  }

  @SuppressWarnings("unchecked")
  static float[] flat(Object grid) {
    List<Object> rows = (List<Object>) grid;
    List<Float> v = new ArrayList<>();
    for (Object r : rows) for (Object x : (List<Object>) r) v.add(((Number) x).floatValue());
    float[] f = new float[v.size()];
    for (int i = 0; i < f.length; i++) f[i] = v.get(i);
    return f;
  }

  static double maxAbs(float[] a) {
    double m = 0;
    for (float v : a) m = Math.max(m, Math.abs(v));
    return m;
  }

  /** Largest |a - b| over the largest |b|. */
  static double relDiff(float[] a, float[] b) {
    double d = 0;
    for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
    return d / maxAbs(b);
  }

  /**
   * Checks {@code model} against the references of {@code name}: input 0's attention and gradients (block by block),
   * then every entry's maps. Returns the number of maps compared.
   */
  @SuppressWarnings("unchecked")
  static int check(Model model, String name, List<Tensor> inputs) throws IOException {
    WORST[0] = 1;
    WORST[1] = 0;
    WORST[2] = 0;
    double worstA = 0, worstG = 0;
    Map<String, Object> doc = refs(name);
    List<Map<String, Object>> entries = (List<Map<String, Object>>) doc.get("entries");
    Tensor attn = npy(name, "attention.npy"), grad = npy(name, "attention_grad.npy");
    int blocks = attn.dim(0);
    assertThat(model.attentionLayers()).hasSize(blocks);
    int target0 = ((Number) entries.get(0).get("target")).intValue();
    Attention at = model.attention(inputs.get(0), y -> {
      float[] g = new float[y.dim(1)];
      g[target0] = 1;
      return Tensor.wrap(g, 1, g.length);
    });
    for (int b = 0; b < blocks; b++) {
      float[] ra = attn.item(b).toArray(), rg = grad.item(b).toArray();
      double da = relDiff(at.blocks().get(b).probabilities().toArray(), ra), dg = relDiff(at.blocks().get(b).gradient().toArray(), rg);
      worstA = Math.max(worstA, da);
      worstG = Math.max(worstG, dg);
      assertThat(da).as(name + " block " + b + " attention").isLessThan(1e-5);
      assertThat(dg).as(name + " block " + b + " attention gradient").isLessThan(1e-4);
    }
    int maps = 0;
    for (Map<String, Object> e : entries) {
      int i = ((Number) e.get("input")).intValue(), target = ((Number) e.get("target")).intValue();
      Tensor x = inputs.get(i);
      Map<String, Object> ar = (Map<String, Object>) e.get("attention_rollout");
      for (Map.Entry<String, Object> s : ar.entrySet()) {
        String[] fr = s.getKey().split(":");
        Explanation ex = Fx.explainer("attention-rollout", Map.of("head-fusion", fr[0], "discard-ratio", fr[1]))
            .explain(model, ExplainRequest.builder(x).target(Target.none()).build()).get(0);
        compare(ex.raw().values(), flat(s.getValue()), name + " input " + i + " attention-rollout " + s.getKey(), !fr[1].equals("0"));
        maps++;
      }
      Explanation gx = Fx.explainer("gradient-rollout", Map.of())
          .explain(model, ExplainRequest.builder(x).target(Target.classIndex(target)).build()).get(0);
      compare(gx.raw().values(), flat(e.get("gradient_rollout")), name + " input " + i + " gradient-rollout", false);
      maps++;
    }
    System.out.printf(java.util.Locale.ROOT, "rollout %s on %s (%s): attention rel diff %.2e, gradient rel diff %.2e; %d maps: "
        + "min cosine %.7f, max normalised diff %.2e, max rel diff (no discard) %.2e%n", name, model.info().engine(), model.info().source(),
        worstA, worstG, maps, WORST[0], WORST[1], WORST[2]);
    return maps;
  }

  /**
   * Without discarding the maps agree to float32 rounding (relative 1e-4). With a discard ratio, an entry within
   * float32 noise of the cut can fall on the other side: held to the references' bar (cosine >= 0.999, max diff
   * <= 1e-3 after max-normalising).
   */
  /** Worst values seen (printed per model, for the notes): min cosine, max normalised diff, max relative diff. */
  static final double[] WORST = {1, 0, 0};

  static void compare(float[] got, float[] ref, String what, boolean discards) {
    double[] c = Reference.compare(got, ref);
    WORST[0] = Math.min(WORST[0], c[0]);
    WORST[1] = Math.max(WORST[1], c[1]);
    if (!discards) WORST[2] = Math.max(WORST[2], relDiff(got, ref));
    assertThat(c[0]).as(what + " cosine").isGreaterThanOrEqualTo(0.999);
    assertThat(c[1]).as(what + " max diff").isLessThanOrEqualTo(1e-3);
    if (!discards) assertThat(relDiff(got, ref)).as(what + " relative difference").isLessThan(1e-4);
  }

  static List<Tensor> inputs(Path dir, int n, String pattern) {
    List<Tensor> xs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Tensor t = Tensor.readNpy(dir.resolve(String.format(pattern, i)));
      xs.add(t.reshape(1, t.dim(t.shape().length - 3), t.dim(t.shape().length - 2), t.dim(t.shape().length - 1)));
    }
    return xs;
  }

  @Test @DisplayName("tiny-vit (shared reference, plain ONNX): attention, gradients and 36 maps")
  void tinyVitOnnx() throws IOException {
    Path dir = tinyVit();
    Assumptions.assumeTrue(dir != null, "tiny-vit reference model.onnx not found (tck reference copy or ../shared/reference)");
    Optional<EngineProvider> onnx = engine("onnx");
    Assumptions.assumeTrue(onnx.isPresent(), "engine-onnx is not on the test class path");
    try (Model m = onnx.get().load(dir.resolve("model.onnx"), Map.of("device", "cpu"))) {
      assertThat(check(m, "tiny-vit", inputs(dir.resolve("inputs"), 6, "%d.npy"))).isEqualTo(6 * 6);
    }
  }

  static List<Tensor> fixtureInputs(Path bundle) { return inputs(bundle.resolve("reference/inputs"), 4, "%d.npy"); }

  @Test @DisplayName("phantom-vit bundle through DJL (attention.pt): attention, gradients and 24 maps")
  void phantomVitDjl() throws IOException {
    Optional<EngineProvider> djl = engine("djl");
    Assumptions.assumeTrue(djl.isPresent(), "engine-djl is not on the test class path");
    Path b = org.xcam.runtime.Fixtures.bundle("phantom-vit");
    try (Model m = djl.get().load(b, Map.of())) {
      assertThat(m.attentionLayers()).extracting(Attention.Layer::name)
          .containsExactly("blocks.0.attn", "blocks.1.attn", "blocks.2.attn", "blocks.3.attn");
      assertThat(check(m, "phantom-vit", fixtureInputs(b))).isEqualTo(4 * 6);
    }
  }

  @Test @DisplayName("phantom-vit through ONNX Runtime: the bundle (blocks named by its manifest) and its model.onnx as a plain file")
  void phantomVitOnnx() throws IOException {
    Optional<EngineProvider> onnx = engine("onnx");
    Assumptions.assumeTrue(onnx.isPresent(), "engine-onnx is not on the test class path");
    Path b = org.xcam.runtime.Fixtures.bundle("phantom-vit");
    try (Model m = onnx.get().load(b, Map.of("device", "cpu"))) {
      assertThat(m.attentionLayers()).extracting(Attention.Layer::name).startsWith("blocks.0.attn");
      assertThat(check(m, "phantom-vit", fixtureInputs(b))).isEqualTo(4 * 6);
    }
    try (Model m = onnx.get().load(b.resolve("model.onnx"), Map.of("device", "cpu"))) {
      assertThat(m.attentionLayers()).hasSize(4).allSatisfy(l -> assertThat(l.name()).contains("Softmax"));
      assertThat(check(m, "phantom-vit", fixtureInputs(b))).isEqualTo(4 * 6);
    }
  }

  @Test @DisplayName("phantom-swin (windowed attention, no class token) is refused up front in one line on both engines")
  void swinRefused() {
    Path b = org.xcam.runtime.Fixtures.bundle("phantom-swin");
    for (String e : List.of("djl", "onnx")) {
      Optional<EngineProvider> p = engine(e);
      if (p.isEmpty()) continue;
      try (Model m = p.get().load(b, Map.of())) {
        assertThat(m.attentionLayers()).as(e).isEmpty();
        for (String method : List.of("attention-rollout", "gradient-rollout")) {
          org.assertj.core.api.Assertions.assertThatThrownBy(() -> Fx.explain(method, m, fixtureInputs(b).get(0), Target.predicted(), Map.of()))
              .as(e + " " + method).isInstanceOf(org.xcam.api.UnsupportedCapabilityException.class)
              .hasMessageContaining("ATTENTION").hasMessageNotContaining("\n");
        }
      }
    }
  }
}
