package org.xcam.plugins.anatomy;

import org.xcam.api.InvalidInputException;

/**
 * Log-sum-exp pooling, the smooth maximum used by multiple-instance learning on chest X-rays (Pinheiro and Collobert
 * 2015; Wang et al., ChestX-ray8, 2017) and by MIL-ADPD to turn region-level pathology scores into an image-level one:
 *
 * <pre>  LSE_r(x_1..x_n) = (1/r) * log( (1/n) * sum_i exp(r * x_i) )</pre>
 *
 * <p>{@code r} sets the sharpness: as {@code r -> infinity} it tends to {@code max_i x_i}, as {@code r -> 0} to the
 * mean. {@code r = 0} and {@code r = +infinity} are accepted and give the limits exactly. Computed stably as
 * {@code m + (1/r) log(mean(exp(r (x_i - m))))} with {@code m = max x_i}. The result always lies in
 * {@code [mean, max]}.
 */
public final class LsePooling {
  /** The default sharpness used by the ADPD decoder and the fixture's MIL training (an option everywhere). */
  public static final double DEFAULT_R = 5.0;

  private LsePooling() { }

  public static double pool(double[] x, double r) {
    if (x.length == 0) throw new InvalidInputException("LSE pooling over no values");
    if (!(r >= 0) || Double.isNaN(r)) throw new InvalidInputException("LSE sharpness r must be >= 0, got " + r);
    double m = Double.NEGATIVE_INFINITY, mean = 0;
    for (double v : x) {
      m = Math.max(m, v);
      mean += v;
    }
    mean /= x.length;
    if (r == 0) return mean;
    if (r == Double.POSITIVE_INFINITY) return m;
    double s = 0;
    for (double v : x) s += Math.exp(r * (v - m));
    double out = m + Math.log(s / x.length) / r;
    // rounding can step a hair outside [mean, max]
    return Math.max(mean, Math.min(m, out));
  }
}
