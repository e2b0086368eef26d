package org.xcam.plugins.gradient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.Target;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.tck.fixtures.PoolLinearModel;

/**
 * Input-gradient methods against central finite differences of the model's forward pass (not its VJP), and integrated
 * gradients' completeness. The fixture has a mixing 1x1 convolution with biases, so the ReLU is active in some cells
 * and not in others; inputs stay at least 0.05 away from every kink, more than the finite-difference step.
 */
@DisplayName("Input-gradient methods vs finite differences; integrated-gradients completeness")
class InputGradientTest {
  private static final double H = 1e-2;

  private static float[] x() {
    return new float[] {0.9f, 1.7f, -0.6f, 0.2f, 2.1f, 1.1f, 1.6f, -0.3f, 0.8f,
                        0.1f, 0.9f, 1.4f, 1.8f, -0.4f, 0.5f, 0.7f, 1.2f, 2.4f};
  }

  /** dY_j/dx by central differences of forward(). */
  private static double[] fd(PoolLinearModel m, float[] x, int j) {
    double[] g = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      float[] a = x.clone(), b = x.clone();
      a[i] += (float) H;
      b[i] -= (float) H;
      double ya = m.forward(Tensor.wrap(a, 1, 2, 3, 3)).get(j), yb = m.forward(Tensor.wrap(b, 1, 2, 3, 3)).get(j);
      g[i] = (ya - yb) / (2 * H);
    }
    return g;
  }

  @ParameterizedTest(name = "class {0}")
  @CsvSource({"0", "1", "2"})
  @DisplayName("Saliency is max over channels of |dY/dx| and gradient x input is ReLU(sum_c x_c dY/dx_c), both at input resolution")
  void saliencyAndGxI(int j) {
    PoolLinearModel m = CoreTest.nonlinear();
    float[] x = x();
    double[] g = fd(m, x, j);
    Explanation s = Fx.explain("saliency", m, Tensor.wrap(x, 1, 2, 3, 3), Target.classIndex(j), Map.of());
    Explanation gi = Fx.explain("gradient-x-input", m, Tensor.wrap(x, 1, 2, 3, 3), Target.classIndex(j), Map.of());
    Explanation ga = Fx.explain("gradient-x-input", m, Tensor.wrap(x, 1, 2, 3, 3), Target.classIndex(j), Map.of("map", "absolute"));
    assertThat(s.raw().layer()).isEqualTo("input");
    assertThat(s.raw().resolution()).isEqualTo(Heatmap.Resolution.LAYER);
    boolean anyNonZero = false;
    for (int p = 0; p < 9; p++) {
      double sal = Math.max(Math.abs(g[p]), Math.abs(g[9 + p]));
      double gx = g[p] * x[p] + g[9 + p] * x[9 + p];
      assertThat((double) s.raw().values()[p]).as("saliency cell %d", p).isCloseTo(sal, within(1e-4));
      assertThat((double) gi.raw().values()[p]).as("g*x cell %d", p).isCloseTo(Math.max(0, gx), within(1e-4));
      assertThat((double) ga.raw().values()[p]).as("|g*x| cell %d", p).isCloseTo(Math.abs(gx), within(1e-4));
      anyNonZero |= sal > 0.01;
    }
    assertThat(anyNonZero).isTrue();
  }

  @ParameterizedTest(name = "{0}, {1}")
  @CsvSource({"trapezoid, zeros", "gauss-legendre, zeros", "trapezoid, blurred", "gauss-legendre, blurred"})
  @DisplayName("Integrated gradients is complete within 1%: sum of attributions = Y(x) - Y(baseline)")
  void completeness(String rule, String baseline) {
    PoolLinearModel m = CoreTest.nonlinear();
    Explanation e = Fx.explain("integrated-gradients", m, Tensor.wrap(x(), 1, 2, 3, 3), Target.classIndex(1),
        Map.of("rule", rule, "baseline", baseline, "blur-sigma", "1"));
    double err = ((Number) e.extras().get("completenessError")).doubleValue();
    double sum = ((Number) e.extras().get("attributionSum")).doubleValue();
    double delta = ((Number) e.extras().get("outputDelta")).doubleValue();
    System.out.printf("integrated-gradients %s/%s on the fixture: sum %.6f, Y(x)-Y(b) %.6f, relative error %.2e%n", rule, baseline, sum, delta, err);
    assertThat(Math.abs(delta)).isGreaterThan(0.1);
    assertThat(err).isLessThan(0.01);
    assertThat(Math.abs(sum - delta)).isCloseTo(err * Math.abs(delta), within(1e-9));
  }

  @Test
  @DisplayName("On a path without ReLU kinks (no biases, zero baseline) Gauss-Legendre integrated gradients equals gradient x input")
  void homogeneous() {
    // With b1 = 0 the model is positively homogeneous along t x: the gradient is constant on the open path. (The
    // trapezoid rule also samples t = 0, where every ReLU sits at its kink and the gradient is 0, as in PyTorch.)
    PoolLinearModel m = new PoolLinearModel(new float[][] {{1, -0.5f}, {-0.7f, 1}, {0.3f, 0.4f}}, new float[] {0, 0, 0},
        Fx.P, new float[][] {{1, -1, 0.5f}, {0.5f, 2, -1}, {-1, 0.5f, 1}}, new float[] {0.2f, 0, 0}, 3, 3, Task.MULTICLASS);
    Tensor x = Tensor.wrap(x(), 1, 2, 3, 3);
    Explanation ig = Fx.explain("integrated-gradients", m, x, Target.classIndex(1), Map.of("steps", "7", "rule", "gauss-legendre", "map", "absolute"));
    Explanation gi = Fx.explain("gradient-x-input", m, x, Target.classIndex(1), Map.of("map", "absolute"));
    for (int p = 0; p < 9; p++) assertThat(ig.raw().values()[p]).isCloseTo(gi.raw().values()[p], within(1e-5f));
    assertThat(((Number) ig.extras().get("completenessError")).doubleValue()).isLessThan(1e-5);
  }
}
