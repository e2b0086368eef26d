package org.xcam.runtime.phantom;

/**
 * SplitMix64 (Steele, Lea and Flood, 2014): the tiny pseudo-random generator behind the phantoms, written
 * identically in {@code tools/phantom/phantom.py} so that Java and Python draw the same numbers for a seed.
 *
 * <p>The sequential stream starts from {@code mix64(seed)}; {@link #counterDouble(long, long)} is the counter-based
 * form ({@code mix64(seed + (k + 1) * GAMMA)}) used for pixel noise. Not thread-safe (one instance per phantom).
 */
public final class SplitMix64 {
  static final long GAMMA = 0x9E3779B97F4A7C15L;
  private static final double TO_DOUBLE = 1.0 / (1L << 53);
  private long state;

  public SplitMix64(long seed) {
    this.state = mix64(seed);
  }

  public static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  public long nextLong() {
    state += GAMMA;
    return mix64(state);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * TO_DOUBLE;
  }

  /** Uniform in [0, n). */
  public int nextInt(int n) {
    return (int) Math.floor(nextDouble() * n);
  }

  public double uniform(double a, double b) {
    return a + (b - a) * nextDouble();
  }

  /** Value {@code k} of the counter stream with the given seed, in [0, 1). */
  public static double counterDouble(long seed, long k) {
    return (mix64(seed + (k + 1) * GAMMA) >>> 11) * TO_DOUBLE;
  }
}
