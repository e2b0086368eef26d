package org.xcam.plugins.iba;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xcam.api.LayerHook;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.tck.fixtures.PoolLinearModel;

/** The Java-assembled dLoss/dalpha against central finite differences of the same Java loss. */
@DisplayName("The bottleneck's gradient")
class BottleneckGradientTest {
  static final int H = 6, W = 5;

  static Stream<Arguments> variants() {
    return Stream.of(
        Arguments.of("iba, multiclass cross-entropy", Task.MULTICLASS, false, ModelLoss.crossEntropy(1)),
        Arguments.of("iba, multilabel binary cross-entropy", Task.MULTILABEL, false, ModelLoss.binaryCrossEntropy(2)),
        Arguments.of("inverse iba, cross-entropy", Task.MULTICLASS, true, ModelLoss.crossEntropy(0)),
        Arguments.of("regression iba, mse", Task.REGRESSION, false, ModelLoss.regression(0, ModelLoss.RegressionLoss.MSE, 1.5, 0)),
        Arguments.of("regression iba, dv", Task.REGRESSION, false, ModelLoss.regression(1, ModelLoss.RegressionLoss.DV, 0, 0.7)),
        Arguments.of("regression iba, rm", Task.REGRESSION, false, ModelLoss.regression(2, ModelLoss.RegressionLoss.RM, 0, 0)),
        Arguments.of("inverse regression iba, dv", Task.REGRESSION, true, ModelLoss.regression(0, ModelLoss.RegressionLoss.DV, 0, -0.4)));
  }

  /** A job at a random alpha (not uniform, so the blur's adjoint matters) with random prior statistics. */
  static Bottleneck.Job job(PoolLinearModel model, ModelLoss loss, Bottleneck.Config cfg, long seed) {
    Random r = new Random(seed);
    Tensor x = Fixtures.uniform(r, 1, 2, H, W);
    float[] f = model.layer("features").activation(x).toArray();
    float[] mu = new float[f.length], sd = new float[f.length];
    for (int e = 0; e < f.length; e++) {
      mu[e] = 0.3f * (float) r.nextGaussian();
      sd[e] = 0.4f + r.nextFloat();
    }
    Bottleneck.Job job = new Bottleneck.Job(f, mu, sd, 3, H, W, loss, seed, cfg.alphaInit());
    for (int e = 0; e < f.length; e++) job.alpha()[e] = 1.5 * r.nextGaussian();
    return job;
  }

  static double lossAt(Bottleneck b, LayerHook hook, Bottleneck.Job job, List<double[][]> noise) {
    b.evaluate(hook, List.of(job), noise, null, null);
    return job.lastLoss();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variants")
  @DisplayName("dLoss/dalpha equals central finite differences of the Java loss on every element")
  void matchesFiniteDifferences(String label, Task task, boolean inverse, ModelLoss loss) {
    PoolLinearModel model = Fixtures.randomModel(11, H, W, 3, task);
    LayerHook hook = model.layer("features");
    Bottleneck.Config base = (inverse ? Bottleneck.Config.inverseIba() : Bottleneck.Config.iba()).withSamples(4);
    // with the default beta, and with beta = 0 so the model term (VJP, dZ/dlambda, blur adjoint, sigmoid) stands alone
    for (Bottleneck.Config cfg : List.of(base, base.withBeta(0))) check(label + ", beta " + cfg.beta(), model, hook, cfg, loss);
  }

  private void check(String label, PoolLinearModel model, LayerHook hook, Bottleneck.Config cfg, ModelLoss loss) {
    Bottleneck b = new Bottleneck(cfg);
    Bottleneck.Job job = job(model, loss, cfg, 5);
    List<double[][]> noise = List.<double[][]>of(b.noise(job, 1));
    double[] g = b.evaluate(hook, List.of(job), noise, null, null)[0];
    double gmax = 0;
    for (double v : g) gmax = Math.max(gmax, Math.abs(v));
    assertThat(gmax).as("a gradient that is all zero cannot be checked").isGreaterThan(1e-4);
    double hstep = 1e-2;
    double worst = 0;
    for (int e = 0; e < g.length; e++) {
      double a0 = job.alpha()[e];
      job.alpha()[e] = a0 + hstep;
      double lp = lossAt(b, hook, job, noise);
      job.alpha()[e] = a0 - hstep;
      double lm = lossAt(b, hook, job, noise);
      job.alpha()[e] = a0;
      double fd = (lp - lm) / (2 * hstep);
      worst = Math.max(worst, Math.abs(fd - g[e]));
      assertThat(g[e]).as("element %d", e).isCloseTo(fd, within(5e-4 * gmax + 1e-6));
    }
    System.out.printf("[iba-fd] %s: max|g| %.4g, max|fd - g| %.3g (%.2g of max|g|)%n", label, gmax, worst, worst / gmax);
  }

  @Nested
  @DisplayName("The Gaussian blur")
  class Blur {
    @Test
    @DisplayName("its adjoint satisfies <S x, g> = <x, S^T g> (also on maps smaller than the kernel)")
    void adjoint() {
      Random r = new Random(3);
      GaussianSmoother s = new GaussianSmoother(1, 5);
      for (int[] d : new int[][] {{2, 7, 9}, {1, 2, 3}, {3, 1, 1}}) {
        int n = d[0] * d[1] * d[2];
        double[] x = new double[n], g = new double[n];
        for (int i = 0; i < n; i++) { x[i] = r.nextGaussian(); g[i] = r.nextGaussian(); }
        double[] sx = s.apply(x, d[0], d[1], d[2]), stg = s.adjoint(g, d[0], d[1], d[2]);
        double lhs = 0, rhs = 0;
        for (int i = 0; i < n; i++) { lhs += sx[i] * g[i]; rhs += x[i] * stg[i]; }
        assertThat(lhs).isCloseTo(rhs, within(1e-12 * (1 + Math.abs(lhs))));
      }
    }

    @Test
    @DisplayName("blurs a constant map to itself and a unit impulse to the normalised 5x5 Gaussian")
    void impulse() {
      GaussianSmoother s = new GaussianSmoother(1, 5);
      double[] ones = new double[9 * 9];
      java.util.Arrays.fill(ones, 0.7);
      for (double v : s.apply(ones, 1, 9, 9)) assertThat(v).isCloseTo(0.7, within(1e-12));
      double[] imp = new double[9 * 9];
      imp[4 * 9 + 4] = 1;
      double[] y = s.apply(imp, 1, 9, 9);
      // closed form: exp(-(dx^2+dy^2)/2) / sum over the 5x5 grid of the same
      double z = 0;
      for (int dy = -2; dy <= 2; dy++) for (int dx = -2; dx <= 2; dx++) z += Math.exp(-(dx * dx + dy * dy) / 2.0);
      assertThat(y[4 * 9 + 4]).isCloseTo(1 / z, within(1e-12));
      assertThat(y[4 * 9 + 6]).isCloseTo(Math.exp(-2) / z, within(1e-12));
      assertThat(y[2 * 9 + 2]).isCloseTo(Math.exp(-4) / z, within(1e-12));
      assertThat(y[0]).isZero();
    }
  }

  @Test
  @DisplayName("the capacity is the closed-form KL between N(lambda fn, (1-lambda)^2) and N(0,1)")
  void capacityClosedForm() {
    Bottleneck b = new Bottleneck(Bottleneck.Config.iba());
    float[] f = {2f, 0f, -1f};
    Bottleneck.Job job = new Bottleneck.Job(f, new float[] {1f, 0f, 0f}, new float[] {0.5f, 1f, 2f}, 3, 1, 1, null, 0, 0);
    double[] lam = {0.3, 0.0, 0.9};
    double[] kl = b.capacity(job, lam);
    // KL(N(m, s^2) || N(0,1)) = (s^2 + m^2 - 1)/2 - log s
    double[][] ms = {{0.3 * 2, 0.7}, {0, 1}, {0.9 * -0.5, 0.1}};
    for (int i = 0; i < 3; i++) {
      double m = ms[i][0], s = ms[i][1];
      assertThat(kl[i]).isCloseTo((s * s + m * m - 1) / 2 - Math.log(s), within(1e-12));
    }
  }
}
