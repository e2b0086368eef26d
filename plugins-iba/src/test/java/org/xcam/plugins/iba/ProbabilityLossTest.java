package org.xcam.plugins.iba;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.Objectives;
import org.xcam.api.OutputKind;
import org.xcam.api.Task;

/** The model term of IBA for models whose outputs are already probabilities (issue 12). */
class ProbabilityLossTest {
  @Test @DisplayName("On probability outputs the model term is -log p_k (no second sigmoid/softmax); its gradient equals finite differences")
  void negativeLogProbability() {
    float[] p = {0.2f, 0.7f, 0.45f};
    ModelLoss l = ModelLoss.forObjective(Task.MULTILABEL, true, Objectives.classScore(1, "b", OutputKind.PROBABILITIES),
        ModelLoss.RegressionLoss.DV, 0, p);
    assertThat(l.value(p)).isCloseTo(-Math.log(0.7), within(1e-6));
    for (int k = 0; k < 3; k++) {
      float[] a = p.clone(), b = p.clone();
      a[k] += 1e-3f;
      b[k] -= 1e-3f;
      assertThat(l.gradient(p)[k]).isCloseTo((l.value(a) - l.value(b)) / 2e-3, within(1e-3));
    }
    // logits keep binary cross-entropy: log(1 + exp(-y_k))
    ModelLoss bce = ModelLoss.forObjective(Task.MULTILABEL, false, Objectives.logit(1, "b"), ModelLoss.RegressionLoss.DV, 0, p);
    assertThat(bce.value(p)).isCloseTo(Math.log1p(Math.exp(-0.7)), within(1e-6));
  }
}
