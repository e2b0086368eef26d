package org.xcam.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.bundle.BundleManifest;

/** Models whose outputs are probabilities: thresholds, objective names and the category-independent objective. */
class OutputKindTest {
  private static ModelInfo info(Task task, OutputKind kind) {
    return new ModelInfo("m", task, List.of("a", "b", "c"), new InputSpec(1, 4, 4, new float[] {0}, new float[] {1}),
        List.of(), null, "x", "java", Map.of(), kind);
  }

  @Test @DisplayName("all:P on a probability model selects exactly the outputs above P (no sigmoid applied to them)")
  void thresholdsProbabilitiesDirectly() {
    float[] p = {0.9f, 0.2f, 0.6f};
    // as logits, sigmoid(0.2) = 0.55 > 0.5 would select all three
    assertThat(Target.aboveThreshold(0.5).resolve(info(Task.MULTILABEL, OutputKind.LOGITS), p))
        .extracting(Objective::classIndex).containsExactly(0, 1, 2);
    List<Objective> o = Target.aboveThreshold(0.5).resolve(info(Task.MULTILABEL, OutputKind.PROBABILITIES), p);
    assertThat(o).extracting(Objective::classIndex).containsExactly(0, 2);
    assertThat(Target.aboveThreshold(0.7).resolve(info(Task.MULTICLASS, OutputKind.PROBABILITIES), new float[] {0.1f, 0.8f, 0.1f}))
        .extracting(Objective::classIndex).containsExactly(1);
  }

  @Test @DisplayName("A class objective of a probability model is the output itself and is called a probability, not a logit")
  void namesTheOutputTruthfully() {
    float[] p = {0.9f, 0.2f, 0.6f};
    Objective o = Target.classIndex(2).resolve(info(Task.MULTILABEL, OutputKind.PROBABILITIES), p).get(0);
    assertThat(o.describe()).isEqualTo("probability of class 2 (c)");
    assertThat(o.value(p)).isCloseTo(0.6, within(1e-7));
    assertThat(o.gradient(p)).containsExactly(0f, 0f, 1f);
    assertThat(Target.predicted().resolve(info(Task.MULTILABEL, OutputKind.LOGITS), p).get(0).describe()).startsWith("logit of class 0");
    assertThat(info(Task.MULTILABEL, OutputKind.PROBABILITIES).outputNoun()).isEqualTo("probability");
  }

  @Test @DisplayName("Category-independent objectives of probability models: sum of p (multilabel), sum of p^2 (multiclass); gradients equal finite differences")
  void categoryIndependent() {
    float[] p = {0.7f, 0.2f, 0.1f};
    Objective ml = Target.none().resolve(info(Task.MULTILABEL, OutputKind.PROBABILITIES), p).get(0);
    Objective mc = Target.none().resolve(info(Task.MULTICLASS, OutputKind.PROBABILITIES), p).get(0);
    assertThat(ml.value(p)).isCloseTo(1.0, within(1e-6));
    assertThat(mc.value(p)).isCloseTo(0.49 + 0.04 + 0.01, within(1e-6));
    assertThat(mc.describe()).contains("squared probabilities");
    for (Objective o : List.of(ml, mc)) {
      for (int k = 0; k < 3; k++) {
        float[] a = p.clone(), b = p.clone();
        a[k] += 1e-3f;
        b[k] -= 1e-3f;
        assertThat((double) o.gradient(p)[k]).isCloseTo((o.value(a) - o.value(b)) / 2e-3, within(1e-3));
      }
    }
    // logit models keep their objectives
    assertThat(Target.none().resolve(info(Task.MULTICLASS, OutputKind.LOGITS), p).get(0).describe()).contains("log-sum-exp");
  }

  @Test @DisplayName("The manifest field outputs is read, defaults to logits, and bad values fail in one line")
  void manifest(@TempDir Path dir) throws Exception {
    String base = "{\"format\": \"xcam-bundle/1\", \"name\": \"m\", \"task\": \"%s\", \"labels\": [\"a\", \"b\"],"
        + " \"input\": {\"channels\": 1, \"height\": 8, \"width\": 8}%s}";
    Files.writeString(dir.resolve("xcam-model.json"), String.format(base, "multilabel", ""));
    assertThat(BundleManifest.read(dir).outputs()).isEqualTo(OutputKind.LOGITS);
    Files.writeString(dir.resolve("xcam-model.json"), String.format(base, "multilabel", ", \"outputs\": \"probabilities\""));
    BundleManifest m = BundleManifest.read(dir);
    assertThat(m.outputs()).isEqualTo(OutputKind.PROBABILITIES);
    assertThat(m.extra()).doesNotContainKey("outputs");
    Files.writeString(dir.resolve("xcam-model.json"), String.format(base, "multilabel", ", \"outputs\": \"probs\""));
    assertThatThrownBy(() -> BundleManifest.read(dir)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("logits").hasMessageContaining("probabilities").hasMessageNotContaining("\n");
    Files.writeString(dir.resolve("xcam-model.json"), String.format(base, "regression", ", \"outputs\": \"probabilities\""));
    assertThatThrownBy(() -> BundleManifest.read(dir)).isInstanceOf(ModelLoadException.class).hasMessageContaining("regression");
  }
}
