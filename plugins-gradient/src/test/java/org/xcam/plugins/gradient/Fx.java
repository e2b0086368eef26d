package org.xcam.plugins.gradient;

import java.util.List;
import java.util.Map;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Model;
import org.xcam.api.Options;
import org.xcam.api.Target;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.api.spi.Providers;
import org.xcam.tck.fixtures.PoolLinearModel;

/** Test fixtures: a hand-sized PoolLinearModel whose layer activation is a chosen 2-channel 3x3 array. */
final class Fx {
  private Fx() { }

  /** Channel 0 and channel 1 of the activation A (3 x 3 each), row-major. Non-negative, so ReLU(x) = x. */
  static final float[] A0 = {1, 2, 0, 0, 3, 1, 2, 0, 1};
  static final float[] A1 = {0, 1, 1, 2, 0, 0, 1, 1, 3};
  /** Spatial pooling weights P (sum 1, zero in two cells: the gradient vanishes there). */
  static final float[] P = {0.1f, 0.1f, 0f, 0.2f, 0.2f, 0f, 0.1f, 0.1f, 0.2f};
  /** Linear tail: class 0 = A0 - A1 (pooled), class 1 = 0.5 A0 + 2 A1, class 2 = -A0 + 0.5 A1. */
  static final float[][] WFC = {{1f, -1f}, {0.5f, 2f}, {-1f, 0.5f}};
  static final float[] BFC = {0.1f, -0.2f, 0.3f};

  /** The model: identity 1x1 conv (+ReLU, inactive for x >= 0), pooling P, linear WFC. */
  static PoolLinearModel model(float[] pool, Task task) {
    return new PoolLinearModel(new float[][] {{1, 0}, {0, 1}}, new float[] {0, 0}, pool, WFC, BFC, 3, 3, task);
  }

  static PoolLinearModel model() { return model(P, Task.MULTICLASS); }

  /** The input that gives activation (A0, A1): [1, 2, 3, 3]. */
  static Tensor input() {
    float[] x = new float[18];
    System.arraycopy(A0, 0, x, 0, 9);
    System.arraycopy(A1, 0, x, 9, 9);
    return Tensor.wrap(x, 1, 2, 3, 3);
  }

  static ExplainerProvider provider(String name) {
    return Providers.explainer(name, Fx.class.getClassLoader()).orElseThrow(() -> new AssertionError("no provider " + name));
  }

  static Explainer explainer(String name, Map<String, String> options) {
    ExplainerProvider p = provider(name);
    return p.create(Options.of(name, p.options(), options));
  }

  static Explanation explain(String name, Model m, Tensor x, Target t, Map<String, String> options) {
    return explainer(name, options).explain(m, ExplainRequest.builder(x).target(t).build()).get(0);
  }

  static List<Explanation> explainAll(String name, Model m, ExplainRequest r, Map<String, String> options) {
    return explainer(name, options).explain(m, r);
  }

  static float[] raw(Explanation e) { return e.raw().values(); }

  static double[] relu(double[] v) {
    double[] o = new double[v.length];
    for (int i = 0; i < v.length; i++) o[i] = Math.max(0, v[i]);
    return o;
  }

  /** Gradient of logit j wrt A (closed form): g_kp = WFC[j][k] * P_p. */
  static double g(int j, int k, int p, float[] pool) { return WFC[j][k] * pool[p]; }

  static float[] a(int k) { return k == 0 ? A0 : A1; }

  static double[] logits(float[] pool) {
    double[] y = new double[3];
    for (int j = 0; j < 3; j++) {
      double s = BFC[j];
      for (int k = 0; k < 2; k++) for (int p = 0; p < 9; p++) s += WFC[j][k] * pool[p] * a(k)[p];
      y[j] = s;
    }
    return y;
  }

  static double[] softmax(double[] y) {
    double m = Double.NEGATIVE_INFINITY, s = 0;
    for (double v : y) m = Math.max(m, v);
    double[] p = new double[y.length];
    for (int i = 0; i < y.length; i++) s += p[i] = Math.exp(y[i] - m);
    for (int i = 0; i < y.length; i++) p[i] /= s;
    return p;
  }

  /**
   * The first principal direction of a 9 x 2 matrix (rows = positions, columns = the two channels), by the closed
   * form of the 2 x 2 symmetric eigenproblem; returns the projection M v (length 9), sign as it falls.
   */
  static double[] project2(double[] c0, double[] c1, boolean centre) {
    double[] x = c0.clone(), y = c1.clone();
    if (centre) {
      double mx = 0, my = 0;
      for (int p = 0; p < 9; p++) { mx += x[p] / 9; my += y[p] / 9; }
      for (int p = 0; p < 9; p++) { x[p] -= mx; y[p] -= my; }
    }
    double sxx = 0, syy = 0, sxy = 0;
    for (int p = 0; p < 9; p++) { sxx += x[p] * x[p]; syy += y[p] * y[p]; sxy += x[p] * y[p]; }
    double tr = sxx + syy, det = sxx * syy - sxy * sxy;
    double lambda = tr / 2 + Math.sqrt(tr * tr / 4 - det);
    double vx, vy;
    if (Math.abs(sxy) > 1e-15) { vx = lambda - syy; vy = sxy; } else if (sxx >= syy) { vx = 1; vy = 0; } else { vx = 0; vy = 1; }
    double nv = Math.hypot(vx, vy);
    vx /= nv;
    vy /= nv;
    double[] out = new double[9];
    for (int p = 0; p < 9; p++) out[p] = x[p] * vx + y[p] * vy;
    return out;
  }

  static double corr(double[] a, double[] b) {
    double ma = 0, mb = 0;
    for (int i = 0; i < a.length; i++) { ma += a[i] / a.length; mb += b[i] / b.length; }
    double s = 0, sa = 0, sb = 0;
    for (int i = 0; i < a.length; i++) { s += (a[i] - ma) * (b[i] - mb); sa += (a[i] - ma) * (a[i] - ma); sb += (b[i] - mb) * (b[i] - mb); }
    return s / Math.sqrt(sa * sb);
  }

  static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) d[i] = f[i];
    return d;
  }
}
