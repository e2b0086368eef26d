package org.xcam.plugins.anatomy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.InvalidInputException;

class LsePoolingTest {
  private final double[] x = {0.2, -1.0, 3.0, 1.5};   // max 3.0, mean 0.925

  @Test
  @DisplayName("r -> infinity tends to the maximum (gap at most log(n)/r), r = infinity gives it exactly")
  void largeR() {
    assertThat(LsePooling.pool(x, Double.POSITIVE_INFINITY)).isEqualTo(3.0);
    for (double r : new double[] {10, 100, 1000}) {
      double v = LsePooling.pool(x, r);
      assertThat(v).isLessThanOrEqualTo(3.0).isGreaterThanOrEqualTo(3.0 - Math.log(4) / r);
    }
    assertThat(LsePooling.pool(x, 1e6)).isCloseTo(3.0, within(2e-6));
  }

  @Test
  @DisplayName("r -> 0 tends to the mean, r = 0 gives it exactly")
  void smallR() {
    assertThat(LsePooling.pool(x, 0)).isCloseTo(0.925, within(1e-15));
    // second-order: LSE_r = mean + r/2 * variance + O(r^2); variance of x = (0.725^2 + 1.925^2 + 2.075^2 + 0.575^2)/4 = 2.216875
    assertThat(LsePooling.pool(x, 1e-6)).isCloseTo(0.925 + 0.5e-6 * 2.216875, within(1e-9));
  }

  @Test
  @DisplayName("closed form: LSE_1(0, 1) = log((1 + e)/2) = 0.6201145")
  void closedForm() {
    assertThat(LsePooling.pool(new double[] {0, 1}, 1)).isCloseTo(0.6201145069582775, within(1e-12));
  }

  @Test
  @DisplayName("is monotone in r and stays in [mean, max]; huge values do not overflow")
  void monotoneAndStable() {
    double prev = LsePooling.pool(x, 0);
    for (double r = 0.5; r < 50; r *= 2) {
      double v = LsePooling.pool(x, r);
      assertThat(v).isGreaterThanOrEqualTo(prev - 1e-12);
      prev = v;
    }
    assertThat(LsePooling.pool(new double[] {1000, 1000}, 10)).isCloseTo(1000, within(1e-9));
  }

  @Test
  @DisplayName("negative r and empty input are one-line errors")
  void bad() {
    assertThatThrownBy(() -> LsePooling.pool(x, -1)).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> LsePooling.pool(new double[0], 1)).isInstanceOf(InvalidInputException.class);
  }
}
