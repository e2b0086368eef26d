package org.xcam.runtime.eval;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Mean with a percentile bootstrap confidence interval. */
public final class Stats {
  private Stats() { }

  /**
   * @param n    number of values
   * @param mean their mean
   * @param low  lower end of the 95% interval (2.5th percentile of the bootstrap means)
   * @param high upper end (97.5th percentile)
   */
  public record Estimate(int n, double mean, double low, double high) { }

  /**
   * Mean and 95% percentile-bootstrap interval from {@code resamples} resamples with replacement (seeded, so a
   * rerun gives the same interval). One value gives a zero-width interval.
   */
  public static Estimate bootstrap(double[] v, int resamples, long seed) {
    int n = v.length;
    if (n == 0) return new Estimate(0, Double.NaN, Double.NaN, Double.NaN);
    double mean = mean(v);
    if (n == 1) return new Estimate(1, mean, mean, mean);
    SplittableRandom rnd = new SplittableRandom(seed);
    double[] means = new double[resamples];
    for (int b = 0; b < resamples; b++) {
      double s = 0;
      for (int i = 0; i < n; i++) s += v[rnd.nextInt(n)];
      means[b] = s / n;
    }
    Arrays.sort(means);
    return new Estimate(n, mean, quantile(means, 0.025), quantile(means, 0.975));
  }

  static double mean(double[] v) {
    double s = 0;
    for (double d : v) s += d;
    return s / v.length;
  }

  /** Linear interpolation between closest ranks of sorted {@code s}. */
  static double quantile(double[] s, double q) {
    double pos = q * (s.length - 1);
    int lo = (int) Math.floor(pos), hi = Math.min(s.length - 1, lo + 1);
    return s[lo] + (pos - lo) * (s[hi] - s[lo]);
  }
}
