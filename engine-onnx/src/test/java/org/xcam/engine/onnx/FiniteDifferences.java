package org.xcam.engine.onnx;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.xcam.api.Tensor;

/**
 * Central finite differences of {@code s(a) = <f(a), gy>} along coordinate directions, evaluated in one batched call
 * of {@code f}: the independent check of a vector-Jacobian product.
 */
final class FiniteDifferences {
  private FiniteDifferences() { }

  /** The result of a check: the largest error relative to {@code max(1, |g|_inf)}, and how many coordinates. */
  record Check(double maxRelError, int coordinates, double maxAbsGrad, int kinks) { }

  /**
   * Compares {@code g = vjp(a, gy)} with central differences at {@code count} coordinates (half of them where
   * |g| is largest, half at random; all of them when {@code count >= a.size()}).
   */
  static Check check(UnaryOperator<Tensor> f, Tensor a, Tensor gy, Tensor g, int count, double eps, long seed) {
    return check(f, a, gy, g, count, eps, seed, 0);
  }

  /** As above; coordinates whose one-sided slopes differ by more than {@code kinkTol * max(1, |g|)} are skipped. */
  static Check check(UnaryOperator<Tensor> f, Tensor a, Tensor gy, Tensor g, int count, double eps, long seed, double kinkTol) {
    int n = a.dim(0), per = a.size() / n, k = gy.size() / n;
    List<Integer> coords = new ArrayList<>();
    if (count >= a.size()) {
      for (int i = 0; i < a.size(); i++) coords.add(i);
    } else {
      Integer[] idx = new Integer[a.size()];
      for (int i = 0; i < idx.length; i++) idx[i] = i;
      java.util.Arrays.sort(idx, (p, q) -> Float.compare(Math.abs(g.get(q)), Math.abs(g.get(p))));
      for (int i = 0; i < count / 2; i++) coords.add(idx[i]);
      SplittableRandom r = new SplittableRandom(seed);
      while (coords.size() < count) {
        int c = r.nextInt(a.size());
        if (!coords.contains(c)) coords.add(c);
      }
    }
    float[] src = a.toArray();
    int m = coords.size();
    float[] batch = new float[(2 * m + n) * per];
    System.arraycopy(src, 0, batch, 2 * m * per, n * per);
    for (int j = 0; j < m; j++) {
      int c = coords.get(j), item = c / per, off = c % per;
      for (int s = 0; s < 2; s++) {
        int dst = (2 * j + s) * per;
        System.arraycopy(src, item * per, batch, dst, per);
        batch[dst + off] += (float) (s == 0 ? eps : -eps);
      }
    }
    int[] shape = a.shape();
    shape[0] = 2 * m + n;
    Tensor y = f.apply(Tensor.wrap(batch, shape));
    double gmax = 0;
    for (int i = 0; i < g.size(); i++) gmax = Math.max(gmax, Math.abs(g.get(i)));
    double worst = 0;
    int kinks = 0;
    for (int j = 0; j < m; j++) {
      int c = coords.get(j), item = c / per;
      double plus = 0, minus = 0, base = 0;
      for (int q = 0; q < k; q++) {
        plus += (double) y.get((2 * j) * k + q) * gy.get(item * k + q);
        minus += (double) y.get((2 * j + 1) * k + q) * gy.get(item * k + q);
        base += (double) y.get((2 * m + item) * k + q) * gy.get(item * k + q);
      }
      // one-sided slopes that disagree: a kink (ReLU, max-pool switch) lies within [-eps, eps]; no derivative there
      if (kinkTol > 0 && Math.abs((plus - base) - (base - minus)) / eps > kinkTol * Math.max(1, gmax)) {
        kinks++;
        continue;
      }
      double fd = (plus - minus) / (2 * eps);
      worst = Math.max(worst, Math.abs(fd - g.get(c)) / Math.max(1, gmax));
    }
    return new Check(worst, m, gmax, kinks);
  }

  static Tensor gaussian(int[] shape, long seed, double scale) {
    int n = 1;
    for (int s : shape) n *= s;
    float[] r = new float[n];
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) r[i] = (float) (scale * rnd.nextGaussian());
    return Tensor.wrap(r, shape);
  }

  /** {@code a} plus uniform noise in [0, amp): breaks the ties (zeros after ReLU) at which max-pool has no derivative. */
  static Tensor jitter(Tensor a, double amp, long seed) {
    float[] r = a.toArray();
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = 0; i < r.length; i++) r[i] += (float) (amp * rnd.nextDouble());
    return Tensor.wrap(r, a.shape());
  }
}
