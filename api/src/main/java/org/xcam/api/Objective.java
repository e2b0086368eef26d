package org.xcam.api;

/**
 * A scalar function of one sample's model output, with its gradient: what a method explains. Computed in Java so
 * engines only need vector-Jacobian products.
 *
 * <pre>{@code
 * Objective o = Objectives.logit(2, "effusion");
 * double y = o.value(outputRow);          // outputRow: the K outputs of one image
 * float[] dy = o.gradient(outputRow);     // dY/dOutput, K values
 * }</pre>
 */
public interface Objective {
  /** A short human description, e.g. {@code "logit of class 2 (effusion)"}. */
  String describe();

  /** The class (output index) this objective explains, or -1 for category-independent objectives. */
  int classIndex();

  /** The objective's value on one sample's output row (K values). */
  double value(float[] output);

  /** dObjective/dOutput on one sample's output row (K values). */
  float[] gradient(float[] output);

  /** Values for a batch {@code [N, K]}. */
  default double[] values(Tensor output) {
    int n = output.dim(0), k = output.dim(1);
    double[] v = new double[n];
    float[] row = new float[k];
    for (int i = 0; i < n; i++) {
      output.copyTo(i * k, row, 0, k);
      v[i] = value(row);
    }
    return v;
  }

  /** The gradient for a batch {@code [N, K]} where every row uses this objective. */
  default Tensor gradients(Tensor output) {
    int n = output.dim(0), k = output.dim(1);
    float[] g = new float[n * k];
    float[] row = new float[k];
    for (int i = 0; i < n; i++) {
      output.copyTo(i * k, row, 0, k);
      System.arraycopy(gradient(row), 0, g, i * k, k);
    }
    return Tensor.wrap(g, n, k);
  }

  /**
   * The objective's Hessian (with respect to the output row) times {@code u}: {@code (d gradient / dy) u}, K values.
   * Exact second-order methods add {@code J^T} of it to the engine's Hessian-vector product. The default is a
   * central difference of {@link #gradient} with step {@code 1e-3 * (1 + max|y|) / max|u|} (exact zero for objectives
   * whose gradient does not depend on y, such as a logit); the built-in curved objectives override it exactly.
   */
  default double[] hessianVector(float[] output, double[] u) {
    int k = output.length;
    double un = 0, yn = 0;
    for (double v : u) un = Math.max(un, Math.abs(v));
    for (float v : output) yn = Math.max(yn, Math.abs(v));
    double[] out = new double[k];
    if (un == 0) return out;
    double h = 1e-3 * (1 + yn) / un;
    float[] up = new float[k], dn = new float[k];
    for (int i = 0; i < k; i++) {
      up[i] = (float) (output[i] + h * u[i]);
      dn[i] = (float) (output[i] - h * u[i]);
    }
    float[] gu = gradient(up), gd = gradient(dn);
    for (int i = 0; i < k; i++) out[i] = ((double) gu[i] - gd[i]) / (2 * h);
    return out;
  }
}
