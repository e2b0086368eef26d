package org.xcam.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TargetTest {
  private static ModelInfo info(Task task) {
    return new ModelInfo("m", task, List.of("a", "b", "c"), new InputSpec(1, 4, 4, new float[] {0}, new float[] {1}),
        List.of(), null, "x", "java", Map.of());
  }

  @Test @DisplayName("The CLI forms parse: index, predicted, all, all:P, none, regression:i; garbage names the forms")
  void parse() {
    assertThat(Target.parse("2")).isEqualTo(Target.classIndex(2));
    assertThat(Target.parse("predicted")).isSameAs(Target.predicted());
    assertThat(Target.parse("all")).isEqualTo(Target.aboveThreshold(0.5));
    assertThat(Target.parse("all:0.3")).isEqualTo(Target.aboveThreshold(0.3));
    assertThat(Target.parse("none")).isSameAs(Target.none());
    assertThat(Target.parse("regression:1")).isEqualTo(Target.regression(1));
    assertThatThrownBy(() -> Target.parse("-1")).isInstanceOf(InvalidInputException.class).hasMessageContaining("predicted");
  }

  @Test @DisplayName("predicted resolves to the arg-max logit; an index out of range names the valid range")
  void resolve() {
    float[] y = {0.1f, 2f, -1f};
    assertThat(Target.predicted().resolve(info(Task.MULTICLASS), y).get(0).classIndex()).isEqualTo(1);
    assertThatThrownBy(() -> Target.classIndex(3).resolve(info(Task.MULTICLASS), y))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("0..2");
  }

  @Test @DisplayName("all:P on a multilabel model yields one objective per label with sigmoid above P")
  void multilabel() {
    float[] y = {2f, -3f, 0.5f}; // sigmoids 0.881, 0.047, 0.622
    List<Objective> o = Target.aboveThreshold(0.5).resolve(info(Task.MULTILABEL), y);
    assertThat(o).extracting(Objective::classIndex).containsExactly(0, 2);
  }

  @Test @DisplayName("Category-independent objectives: log-sum-exp gradient is softmax; sum-of-sigmoids gradient is p(1-p)")
  void categoryIndependentGradients() {
    float[] y = {1f, 2f, 3f};
    Objective lse = Objectives.categoryIndependent(Task.MULTICLASS);
    double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    assertThat(lse.value(y)).isCloseTo(Math.log(z), within(1e-9));
    assertThat((double) lse.gradient(y)[2]).isCloseTo(Math.exp(3) / z, within(1e-6));
    Objective ss = Objectives.categoryIndependent(Task.MULTILABEL);
    double p = 1 / (1 + Math.exp(-2));
    assertThat((double) ss.gradient(y)[1]).isCloseTo(p * (1 - p), within(1e-6));
    // central finite differences of the value agree with the gradient
    for (Objective o : List.of(lse, ss, Objectives.logit(1, "b"))) {
      for (int k = 0; k < 3; k++) {
        float[] a = y.clone(), b = y.clone();
        a[k] += 1e-3f;
        b[k] -= 1e-3f;
        double fd = (o.value(a) - o.value(b)) / 2e-3;
        assertThat((double) o.gradient(y)[k]).isCloseTo(fd, within(1e-3));
      }
    }
  }

  @Test @DisplayName("Options: defaults apply, unknown names list the known ones, bad numbers name the option")
  void options() {
    List<OptionSpec> specs = List.of(new OptionSpec("batch-size", "32", "b"), new OptionSpec("r", "0.01", "step"));
    Options o = Options.of("method x", specs, Map.of("r", "0.5"));
    assertThat(o.getInt("batch-size")).isEqualTo(32);
    assertThat(o.getDouble("r")).isEqualTo(0.5);
    assertThatThrownBy(() -> Options.of("method x", specs, Map.of("bach-size", "1")))
        .isInstanceOf(UnknownNameException.class).hasMessageContaining("batch-size");
    assertThatThrownBy(() -> Options.of("method x", specs, Map.of("r", "abc")).getDouble("r"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("option r");
  }
}
