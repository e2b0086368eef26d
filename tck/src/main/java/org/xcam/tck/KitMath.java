package org.xcam.tck;

import java.util.Arrays;
import org.xcam.api.Box;
import org.xcam.api.Heatmap;

/** Small statistics the kits compare maps with. Independent of every method under test. */
public final class KitMath {
  private KitMath() { }

  /** Cosine similarity of two maps after dividing each by its max |value|; two zero maps give 1, one gives 0. */
  public static double cosine(float[] a, float[] b) {
    return org.xcam.tck.fixtures.Reference.compare(a, b)[0];
  }

  /** Spearman rank correlation (average ranks for ties); 1 when both maps are constant, 0 when one is. */
  public static double spearman(float[] a, float[] b) {
    double[] ra = ranks(a), rb = ranks(b);
    return pearson(ra, rb);
  }

  public static double pearson(double[] a, double[] b) {
    double ma = Arrays.stream(a).average().orElse(0), mb = Arrays.stream(b).average().orElse(0);
    double sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < a.length; i++) {
      sab += (a[i] - ma) * (b[i] - mb);
      saa += (a[i] - ma) * (a[i] - ma);
      sbb += (b[i] - mb) * (b[i] - mb);
    }
    if (saa == 0 && sbb == 0) return 1;
    if (saa == 0 || sbb == 0) return 0;
    return sab / Math.sqrt(saa * sbb);
  }

  static double[] ranks(float[] v) {
    Integer[] idx = new Integer[v.length];
    for (int i = 0; i < v.length; i++) idx[i] = i;
    Arrays.sort(idx, (x, y) -> Float.compare(v[x], v[y]));
    double[] r = new double[v.length];
    int i = 0;
    while (i < v.length) {
      int j = i;
      while (j + 1 < v.length && v[idx[j + 1]] == v[idx[i]]) j++;
      double avg = (i + j) / 2.0;
      for (int k = i; k <= j; k++) r[idx[k]] = avg;
      i = j + 1;
    }
    return r;
  }

  /** Share of the map's total mass that lies inside the box (pixel centres inside); 0 for an all-zero map. */
  public static double massInBox(Heatmap map, Box box) {
    double in = 0, all = 0;
    for (int y = 0; y < map.height(); y++) {
      for (int x = 0; x < map.width(); x++) {
        double v = Math.max(0, map.get(y, x));
        all += v;
        if (box.contains(x + 0.5, y + 0.5)) in += v;
      }
    }
    return all == 0 ? 0 : in / all;
  }

  /** Resident set size of this process in bytes (Linux /proc), or -1 where unknown. */
  public static long rssBytes() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024L;
      }
    } catch (java.io.IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
