package org.xcam.plugins.gradient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.xcam.plugins.gradient.Fx.A0;
import static org.xcam.plugins.gradient.Fx.A1;
import static org.xcam.plugins.gradient.Fx.P;
import static org.xcam.plugins.gradient.Fx.WFC;

import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.Target;
import org.xcam.api.Task;
import org.xcam.tck.fixtures.PoolLinearModel;

/**
 * Every method on a hand-sized model: the activation is the 2-channel 3 x 3 array (A0, A1) of {@link Fx}, the tail is
 * spatially weighted pooling + linear, so the gradient of logit j is {@code g_kp = W[j][k] P_p} and every map can be
 * written down. Expected values are worked by hand (literals) or from the closed-form gradient, never from the code.
 */
@DisplayName("Closed forms on a 2-channel 3x3 activation with a pooling + linear tail")
class ClosedFormTest {
  private static final double TOL = 1e-6;

  private static float[] run(String method, int target, Map<String, String> opts) {
    Explanation e = Fx.explain(method, Fx.model(), Fx.input(), Target.classIndex(target), opts);
    assertThat(e.raw().resolution()).isEqualTo(Heatmap.Resolution.LAYER);
    assertThat(e.raw().height()).isEqualTo(3);
    assertThat(e.map().height()).isEqualTo(3);
    return Fx.raw(e);
  }

  private static void assertMap(float[] got, double[] want, double tol) {
    assertThat(got).hasSize(want.length);
    for (int i = 0; i < want.length; i++) assertThat((double) got[i]).as("cell %d", i).isCloseTo(want[i], within(tol));
  }

  /** Divides by the max |value| (both maps must then agree cell by cell). */
  private static void assertShape(float[] got, double[] want, double tol) {
    double mg = 0, mw = 0;
    for (float v : got) mg = Math.max(mg, Math.abs(v));
    for (double v : want) mw = Math.max(mw, Math.abs(v));
    assertThat(mw).as("expected map is not all zero").isGreaterThan(0);
    assertThat(mg).as("map is not all zero").isGreaterThan(0);
    for (int i = 0; i < want.length; i++) assertThat(got[i] / mg).as("cell %d", i).isCloseTo(want[i] / mw, within(tol));
  }

  @Nested
  @DisplayName("Single-pass CAMs (class 0 = pooled A0 - A1, class 2 = -A0 + 0.5 A1)")
  class SinglePass {
    @Test
    @DisplayName("Grad-CAM is ReLU((A0 - A1) / 9) for class 0: weights are the mean of P (1/9) times +-1")
    void gradcam() {
      assertMap(run("gradcam", 0, Map.of()), new double[] {1 / 9.0, 1 / 9.0, 0, 0, 3 / 9.0, 1 / 9.0, 1 / 9.0, 0, 0}, TOL);
    }

    @Test
    @DisplayName("HiResCAM is ReLU(P * (A0 - A1)) for class 0 and ReLU(P * (-A0 + A1/2)) for class 2")
    void hirescam() {
      assertMap(run("hirescam", 0, Map.of()), new double[] {0.1, 0.1, 0, 0, 0.6, 0, 0.1, 0, 0}, TOL);
      assertMap(run("hirescam", 2, Map.of()), new double[] {0, 0, 0, 0.2, 0, 0, 0, 0.05, 0.1}, TOL);
    }

    @Test
    @DisplayName("Grad-CAM element-wise sums ReLU(g A) per channel: P * A0 for class 0, P * A1 / 2 for class 2")
    void elementwise() {
      assertMap(run("gradcam-elementwise", 0, Map.of()), new double[] {0.1, 0.2, 0, 0, 0.6, 0, 0.2, 0, 0.2}, TOL);
      assertMap(run("gradcam-elementwise", 2, Map.of()), new double[] {0, 0.05, 0, 0.2, 0, 0, 0.05, 0.05, 0.3}, TOL);
    }

    @Test
    @DisplayName("LayerCAM sums ReLU(g) A: P * A1 / 2 for class 2 (only channel 1 has positive gradients)")
    void layercam() {
      assertMap(run("layercam", 2, Map.of()), new double[] {0, 0.05, 0, 0.2, 0, 0, 0.05, 0.05, 0.3}, TOL);
    }

    @Test
    @DisplayName("XGrad-CAM weights are sum(g A) / (sum A + 1e-7): 1.3/10 and -1.3/9 for class 0")
    void xgradcam() {
      double w0 = 1.3 / (10 + 1e-7), w1 = -1.3 / (9 + 1e-7);
      double[] want = new double[9];
      for (int p = 0; p < 9; p++) want[p] = Math.max(0, w0 * A0[p] + w1 * A1[p]);
      assertMap(run("xgradcam", 0, Map.of()), want, TOL);
    }

    @Test
    @DisplayName("Grad-CAM++ for class 0 keeps channel 0 only (channel 1's gradients are negative), weight sum P^3/(2P^2+10P^3+1e-6)")
    void gradcamPlusPlus() {
      // P = 0.1 in four cells, 0.2 in three, 0 in two (alpha = 0 there); sum A0 = 10.
      double w0 = 4 * 0.001 / (0.02 + 10 * 0.001 + 1e-6) + 3 * 0.008 / (0.08 + 10 * 0.008 + 1e-6);
      assertThat(w0).isCloseTo(0.28333, within(1e-4)); // worked by hand: 4 x 0.0333322 + 3 x 0.0499997
      double[] want = new double[9];
      for (int p = 0; p < 9; p++) want[p] = w0 * A0[p];
      assertMap(run("gradcam-plusplus", 0, Map.of()), want, TOL);
    }

    @Test
    @DisplayName("GG-CAM: guidance ReLU(P (A0 - A1)) times the Grad-CAM sum, [0.1,0.1,0,0,1.8,0,0.1,0,0]/9 unsmoothed")
    void ggcam() {
      double[] want = {0.1 / 9, 0.1 / 9, 0, 0, 1.8 / 9, 0, 0.1 / 9, 0, 0};
      assertMap(run("gg-cam", 0, Map.of("smoothing", "false")), want, TOL);
      // smoothed: separable [1,2,1]/4 with clamped borders, worked independently here
      double[] tmp = new double[9], sm = new double[9];
      double[] k = {0.25, 0.5, 0.25};
      for (int y = 0; y < 3; y++)
        for (int x = 0; x < 3; x++)
          for (int d = -1; d <= 1; d++) tmp[y * 3 + x] += k[d + 1] * want[y * 3 + Math.max(0, Math.min(2, x + d))];
      for (int y = 0; y < 3; y++)
        for (int x = 0; x < 3; x++)
          for (int d = -1; d <= 1; d++) sm[y * 3 + x] += k[d + 1] * tmp[Math.max(0, Math.min(2, y + d)) * 3 + x];
      assertMap(run("gg-cam", 0, Map.of()), sm, TOL);
    }

    @Test
    @DisplayName("eigen-smooth replaces the channel sum by the first principal component of w_k A_k (signed to agree with the sum)")
    void eigenSmooth() {
      double[] c0 = new double[9], c1 = new double[9], sum = new double[9];
      for (int p = 0; p < 9; p++) { c0[p] = A0[p] / 9.0; c1[p] = -A1[p] / 9.0; sum[p] = c0[p] + c1[p]; }
      double[] proj = Fx.project2(c0, c1, true);
      if (Fx.corr(proj, sum) < 0) for (int p = 0; p < 9; p++) proj[p] = -proj[p];
      assertMap(run("gradcam", 0, Map.of("eigen-smooth", "true")), Fx.relu(proj), 1e-5);
    }

    @Test
    @DisplayName("EigenGradCAM is the ReLU of the first principal component of the centred g * A")
    void eigengradcam() {
      double[] c0 = new double[9], c1 = new double[9], sum = new double[9];
      for (int p = 0; p < 9; p++) { c0[p] = P[p] * A0[p]; c1[p] = -P[p] * A1[p]; sum[p] = c0[p] + c1[p]; }
      double[] proj = Fx.project2(c0, c1, true);
      if (Fx.corr(proj, sum) < 0) for (int p = 0; p < 9; p++) proj[p] = -proj[p];
      assertMap(run("eigengradcam", 0, Map.of()), Fx.relu(proj), 1e-5);
    }

    @Test
    @DisplayName("EigenCAM ignores the target and projects the centred activations, correlating positively with A0 + A1")
    void eigencam() {
      double[] proj = Fx.project2(Fx.toDouble(A0), Fx.toDouble(A1), true);
      double[] sum = new double[9];
      for (int p = 0; p < 9; p++) sum[p] = A0[p] + A1[p];
      if (Fx.corr(proj, sum) < 0) for (int p = 0; p < 9; p++) proj[p] = -proj[p];
      float[] a = run("eigencam", 0, Map.of()), b = run("eigencam", 2, Map.of());
      assertMap(a, Fx.relu(proj), 1e-5);
      assertThat(a).containsExactly(b);
      Explanation e = Fx.explain("eigencam", Fx.model(), Fx.input(), Target.classIndex(1), Map.of());
      assertThat(e.classIndex()).isEqualTo(-1);
      assertThat(e.notes()).anyMatch(n -> n.contains("category-independent"));
      assertThat(Fx.provider("eigencam").categoryIndependent()).isTrue();
    }
  }

  @Nested
  @DisplayName("Second-order methods (finite-difference Hessian-vector products)")
  class SecondOrder {
    @Test
    @DisplayName("Hessian-CIAM's finite-difference Hv equals the closed form P_p [W^T (diag s - s s^T) W 1]_k of log-sum-exp on a GAP + linear tail")
    void hessianCiamHvp() {
      float[] gap = PoolLinearModel.averagePool(3, 3);
      PoolLinearModel m = Fx.model(gap, Task.MULTICLASS);
      double[] s = Fx.softmax(Fx.logits(gap));
      // u = W 1 (the logits' change along v = 1), c = W^T (diag s - s s^T) u
      double[] u = new double[3];
      for (int j = 0; j < 3; j++) u[j] = WFC[j][0] + WFC[j][1];
      double su = 0;
      for (int j = 0; j < 3; j++) su += s[j] * u[j];
      double[] c = new double[2];
      for (int k = 0; k < 2; k++) for (int j = 0; j < 3; j++) c[k] += WFC[j][k] * s[j] * (u[j] - su);
      double hvNorm = Math.sqrt((c[0] * c[0] + c[1] * c[1]) * 9) / 9; // Hv_kp = c_k / 9
      Explanation e = Fx.explain("hessian-ciam", m, Fx.input(), Target.none(), Map.of("r", "1e-3", "smoothing", "false"));
      assertThat(((Number) e.extras().get("hvpNorm")).doubleValue()).isCloseTo(hvNorm, within(0.01 * hvNorm));
      // unsmoothed: L_H = sum_k |c_k| / (3 ||c||) A_k
      double nc = Math.hypot(c[0], c[1]);
      double[] want = new double[9];
      for (int p = 0; p < 9; p++) want[p] = (Math.abs(c[0]) * A0[p] + Math.abs(c[1]) * A1[p]) / (3 * nc);
      assertMap(Fx.raw(e), want, 0.01 * 3 / 3);
      assertShape(Fx.raw(e), want, 1e-2);
      assertThat(e.classIndex()).isEqualTo(-1);
    }

    @Test
    @DisplayName("Hessian-CIAM's smoothing projects A_H (uncentred) on its first right singular vector, polarity by correlation with L_H")
    void hessianCiamSmoothed() {
      float[] gap = PoolLinearModel.averagePool(3, 3);
      PoolLinearModel m = Fx.model(gap, Task.MULTICLASS);
      double[] s = Fx.softmax(Fx.logits(gap));
      double[] u = new double[3];
      for (int j = 0; j < 3; j++) u[j] = WFC[j][0] + WFC[j][1];
      double su = 0;
      for (int j = 0; j < 3; j++) su += s[j] * u[j];
      double[] c = new double[2];
      for (int k = 0; k < 2; k++) for (int j = 0; j < 3; j++) c[k] += WFC[j][k] * s[j] * (u[j] - su);
      double nc = Math.hypot(c[0], c[1]);
      double[] h0 = new double[9], h1 = new double[9], lh = new double[9];
      for (int p = 0; p < 9; p++) {
        h0[p] = Math.abs(c[0]) / (3 * nc) * A0[p];
        h1[p] = Math.abs(c[1]) / (3 * nc) * A1[p];
        lh[p] = h0[p] + h1[p];
      }
      double[] proj = Fx.project2(h0, h1, false);
      if (!(Fx.corr(proj, lh) > 0)) for (int p = 0; p < 9; p++) proj[p] = -proj[p];
      Explanation e = Fx.explain("hessian-ciam", m, Fx.input(), Target.none(), Map.of("r", "1e-3"));
      assertShape(Fx.raw(e), Fx.relu(proj), 1e-2);
    }

    @Test
    @DisplayName("ShapleyCAM equals Grad-CAM on a linear tail with a logit target (the Hessian is zero)")
    void shapleyLinear() {
      assertMap(run("shapleycam", 0, Map.of()), new double[] {1 / 9.0, 1 / 9.0, 0, 0, 3 / 9.0, 1 / 9.0, 1 / 9.0, 0, 0}, TOL);
    }

    @Test
    @DisplayName("ShapleyCAM with log-sum-exp: w_k = mean_p P_p ([W^T s]_k - 1/2 [W^T (diag s - s s^T) W m]_k), m = pooled A")
    void shapleyLse() {
      double[] s = Fx.softmax(Fx.logits(P));
      double[] mpool = new double[2];
      for (int k = 0; k < 2; k++) for (int p = 0; p < 9; p++) mpool[k] += P[p] * Fx.a(k)[p];
      double[] u = new double[3];
      for (int j = 0; j < 3; j++) u[j] = WFC[j][0] * mpool[0] + WFC[j][1] * mpool[1];
      double su = 0;
      for (int j = 0; j < 3; j++) su += s[j] * u[j];
      double[] w = new double[2];
      for (int k = 0; k < 2; k++) {
        double grad = 0, hess = 0;
        for (int j = 0; j < 3; j++) { grad += WFC[j][k] * s[j]; hess += WFC[j][k] * s[j] * (u[j] - su); }
        w[k] = (grad - 0.5 * hess) / 9; // mean of P is 1/9
      }
      double[] want = new double[9];
      for (int p = 0; p < 9; p++) want[p] = Math.max(0, w[0] * A0[p] + w[1] * A1[p]);
      Explanation e = Fx.explain("shapleycam", Fx.model(), Fx.input(), Target.none(), Map.of("r", "1e-3"));
      assertShape(Fx.raw(e), want, 2e-3);
      // and it differs from Grad-CAM on the same objective (the Hessian term matters here)
      float[] gc = Fx.raw(Fx.explain("gradcam", Fx.model(), Fx.input(), Target.none(), Map.of()));
      double diff = 0;
      for (int p = 0; p < 9; p++) diff = Math.max(diff, Math.abs(gc[p] - Fx.raw(e)[p]));
      assertThat(diff).isGreaterThan(1e-3);
    }
  }
}
