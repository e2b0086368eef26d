package org.xcam.runtime.phantom;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xcam.api.Box;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Tensor;
import org.xcam.api.UnknownNameException;

/**
 * Seeded phantom chest X-rays: two dark lung fields, a bright heart shadow, optional ribs and noise, and one lesion
 * kind per image (nodule, mass, pleural effusion band, consolidation, or an enlarged heart) with its bounding box,
 * plus anatomical zone boxes (right/left upper/middle/lower lung and heart).
 *
 * <p>This is a line-by-line mirror of {@code tools/phantom/phantom.py}: for a seed, both produce the same boxes
 * exactly and the same float32 pixels (the test {@code PhantomGeneratorTest} checks both against values the Python
 * generator wrote). To keep that true, every pixel is computed in double precision with only {@code + - * /},
 * {@code sqrt}, {@code abs}, {@code min}, {@code max}, {@code floor} (exact or correctly rounded in IEEE 754), in the
 * same order as the numpy code; random numbers come from {@link SplitMix64}.
 *
 * <p>Conventions: pixel (row i, column j) has its centre at (j + 0.5, i + 0.5); boxes are {@code [x0, y0, x1, y1)}
 * in pixels with x1, y1 exclusive. As on a PA radiograph, the patient's right is the image's left: the zone
 * {@code right-upper-lung} lies on the image's left half.
 *
 * <pre>{@code
 * Phantom p = PhantomGenerator.generate(7);              // 64 x 64, kind drawn from the seed
 * Phantom q = PhantomGenerator.generate(7, 128, "effusion");
 * Tensor x = q.normalized(0.5, 0.25).unsqueeze();        // [1, 1, 128, 128] model input
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class PhantomGenerator {
  /** Phantom kinds, in label-index order (the fixture model's labels). */
  public static final List<String> KINDS =
      List.of("normal", "nodule", "mass", "effusion", "consolidation", "cardiomegaly");
  /** Zone names, in the order {@link Phantom#zones()} lists them. */
  public static final List<String> ZONES = List.of("right-upper-lung", "right-middle-lung", "right-lower-lung",
      "left-upper-lung", "left-middle-lung", "left-lower-lung", "heart");
  private static final double EDGE = 1.5;

  private PhantomGenerator() {}

  public static Phantom generate(long seed) { return generate(seed, 64, null, true); }

  public static Phantom generate(long seed, int size) { return generate(seed, size, null, true); }

  public static Phantom generate(long seed, int size, String kind) { return generate(seed, size, kind, true); }

  /** A batch {@code [N, 1, size, size]} of phantoms normalised with {@code mean}/{@code std}, seeds {@code first..first+n-1}. */
  public static Tensor batch(long first, int n, int size, double mean, double std) {
    List<Tensor> items = new ArrayList<>();
    for (int i = 0; i < n; i++) items.add(generate(first + i, size).normalized(mean, std));
    return Tensor.stack(items);
  }

  /**
   * One phantom.
   *
   * @param seed any long; equal seeds give equal phantoms
   * @param size height = width in pixels, at least 16
   * @param kind one of {@link #KINDS}, or null to draw it from the seed
   * @param ribs whether to draw ribs over the lung fields
   */
  public static Phantom generate(long seed, int size, String kind, boolean ribs) {
    final int S = size;
    if (S < 16) throw new InvalidInputException("phantom size must be at least 16, got " + S);
    SplitMix64 rng = new SplitMix64(seed);
    int kindIndex = rng.nextInt(KINDS.size());
    if (kind != null) {
      kindIndex = KINDS.indexOf(kind);
      if (kindIndex < 0) throw UnknownNameException.of("phantom kind", kind, KINDS, null);
    }
    kind = KINDS.get(kindIndex);
    double sc = S / 64.0;
    double edge = EDGE * sc;

    // --- geometry (sequential stream; order matters) ---
    int j32 = S / 32;
    int shift = rng.nextInt(2 * j32 + 1) - j32;
    int[][] lungs = new int[2][];
    for (int side = 0; side < 2; side++) {
      int base = side == 0 ? S * 300 / 1000 : S - S * 300 / 1000;
      int cx = base + rng.nextInt(2 * j32 + 1) - j32;
      int cy = S * 470 / 1000 + shift;
      int rx = (int) Math.floor(S * rng.uniform(0.14, 0.17));
      int ry = (int) Math.floor(S * rng.uniform(0.27, 0.31));
      lungs[side] = new int[] {cx, cy, rx, ry};
    }
    boolean big = kind.equals("cardiomegaly");
    int hx = S * 530 / 1000 + rng.nextInt(2 * j32 + 1) - j32;
    int hy = S * 640 / 1000 + shift;
    int hrx = (int) Math.floor(S * (big ? rng.uniform(0.21, 0.25) : rng.uniform(0.12, 0.15)));
    int hry = (int) Math.floor(S * (big ? rng.uniform(0.15, 0.18) : rng.uniform(0.11, 0.13)));
    int[] heart = {hx, hy, hrx, hry};
    double ribPhase = rng.nextDouble();
    double ribSlope = rng.uniform(0.25, 0.45);
    double lungLevel = rng.uniform(0.14, 0.22);
    double tissueLevel = rng.uniform(0.45, 0.55);
    double heartLevel = rng.uniform(0.68, 0.78);
    int side = rng.nextInt(2);
    int px = 0, py = 0, lrx = 0, lry = 0;
    double gain = 0, frac = 0;
    List<int[]> blobs = new ArrayList<>();
    switch (kind) {
      case "nodule", "mass" -> {
        if (kind.equals("nodule")) {
          int r = Math.max(2, (int) Math.floor(S * rng.uniform(0.035, 0.055)));
          lrx = r;
          lry = r;
        } else {
          lrx = (int) Math.floor(S * rng.uniform(0.08, 0.12));
          lry = (int) Math.floor(S * rng.uniform(0.08, 0.12));
        }
        int[] c = pickCenter(rng, lungs[side], heart, Math.max(lrx, lry));
        px = c[0];
        py = c[1];
        gain = rng.uniform(0.3, 0.4);
      }
      case "effusion" -> {
        frac = rng.uniform(0.25, 0.4);
        gain = rng.uniform(0.55, 0.65);
      }
      case "consolidation" -> {
        int r0 = (int) Math.floor(S * 0.07);
        int[] c = pickCenter(rng, lungs[side], heart, r0);
        int nb = 3 + rng.nextInt(3);
        for (int b = 0; b < nb; b++) {
          int bx = c[0] + rng.nextInt(2 * r0 + 1) - r0;
          int by = c[1] + rng.nextInt(2 * r0 + 1) - r0;
          int br = Math.max(2, (int) Math.floor(S * rng.uniform(0.05, 0.08)));
          blobs.add(new int[] {bx, by, br});
        }
        gain = rng.uniform(0.22, 0.3);
      }
      default -> { }
    }
    double contrast = rng.uniform(0.9, 1.1);
    double offset = rng.uniform(-0.04, 0.04);
    double sigma = rng.uniform(0.03, 0.05);
    long noiseSeed = rng.nextLong();

    // --- rendering (double, same evaluation order as numpy) ---
    int n = S * S;
    double[] v = new double[n];
    java.util.Arrays.fill(v, 0.06);
    double[] thorax = ellipse(S, S / 2, S * 520 / 1000 + shift, S * 470 / 1000, S * 500 / 1000, 2.0 * edge);
    for (int p = 0; p < n; p++) v[p] = v[p] + (tissueLevel - v[p]) * thorax[p];
    double[][] lungAlpha = new double[2][];
    for (int s = 0; s < 2; s++) {
      int[] l = lungs[s];
      double[] a = ellipse(S, l[0], l[1], l[2], l[3], edge);
      lungAlpha[s] = a;
      for (int p = 0; p < n; p++) v[p] = v[p] + (lungLevel - v[p]) * a[p];
    }
    if (ribs) {
      double spacing = S * 0.11;
      double thick = 1.3 * sc;
      for (int s = 0; s < 2; s++) {
        int cx = lungs[s][0], cy = lungs[s][1], ry = lungs[s][3];
        double[] a = lungAlpha[s];
        for (int k = 0; k < 6; k++) {
          double yk = (cy - ry) + (k + ribPhase) * spacing;
          for (int i = 0; i < S; i++) {
            double y = i + 0.5;
            for (int j = 0; j < S; j++) {
              double yc = yk + ribSlope * Math.abs((j + 0.5) - cx);
              double t = smooth((thick - Math.abs(y - yc)) / thick);
              int p = i * S + j;
              v[p] = v[p] + 0.09 * t * a[p];
            }
          }
        }
      }
    }
    double[] heartAlpha = ellipse(S, hx, hy, hrx, hry, edge);
    for (int p = 0; p < n; p++) v[p] = v[p] + (heartLevel - v[p]) * heartAlpha[p];

    List<Box> lesions = new ArrayList<>();
    switch (kind) {
      case "nodule", "mass" -> {
        double[] a = ellipse(S, px, py, lrx, lry, edge);
        for (int p = 0; p < n; p++) v[p] = v[p] + gain * a[p];
        lesions.add(maskBox(a, S, kind));
      }
      case "effusion" -> {
        int cx = lungs[side][0], cy = lungs[side][1], rx = lungs[side][2], ry = lungs[side][3];
        double top = (cy + ry) - frac * (2 * ry);
        double[] a = new double[n];
        for (int i = 0; i < S; i++) {
          double y = i + 0.5;
          for (int j = 0; j < S; j++) {
            double x = j + 0.5;
            double lat = side == 0 ? (cx - x) / rx : (x - cx) / rx;
            lat = Math.min(Math.max(lat, 0.0), 1.0);
            double line = top - (0.5 * frac * (2 * ry)) * lat;
            int p = i * S + j;
            a[p] = smooth((y - line) / edge) * lungAlpha[side][p];
            v[p] = v[p] + (gain - v[p]) * a[p];
          }
        }
        lesions.add(maskBox(a, S, kind));
      }
      case "consolidation" -> {
        double[] u = new double[n];
        for (int[] b : blobs) {
          double[] e = ellipse(S, b[0], b[1], b[2], b[2], edge);
          for (int p = 0; p < n; p++) u[p] = Math.max(u[p], e[p]);
        }
        double[] a = new double[n];
        for (int p = 0; p < n; p++) {
          a[p] = u[p] * lungAlpha[side][p];
          double patch = SplitMix64.counterDouble(noiseSeed, 4L * n + p);
          v[p] = v[p] + gain * a[p] * (0.5 + 0.5 * patch);
        }
        lesions.add(maskBox(a, S, kind));
      }
      case "cardiomegaly" -> lesions.add(Box.of(hx - hrx, hy - hry, hx + hrx, hy + hry, kind));
      default -> { }
    }

    float[] out = new float[n];
    for (int p = 0; p < n; p++) {
      double w = v[p] * contrast + offset;
      long k = 4L * p;
      double noise = SplitMix64.counterDouble(noiseSeed, k) + SplitMix64.counterDouble(noiseSeed, k + 1)
          + SplitMix64.counterDouble(noiseSeed, k + 2) + SplitMix64.counterDouble(noiseSeed, k + 3) - 2.0;
      w = w + sigma * noise;
      out[p] = (float) Math.min(Math.max(w, 0.0), 1.0);
    }

    Map<String, Box> zones = new LinkedHashMap<>();
    String[] sideNames = {"right", "left"};
    String[] parts = {"upper", "middle", "lower"};
    for (int s = 0; s < 2; s++) {
      int cx = lungs[s][0], cy = lungs[s][1], rx = lungs[s][2], ry = lungs[s][3];
      int y0 = cy - ry, h = 2 * ry;
      for (int k = 0; k < 3; k++) {
        String name = sideNames[s] + "-" + parts[k] + "-lung";
        zones.put(name, Box.of(cx - rx, y0 + h * k / 3, cx + rx, y0 + h * (k + 1) / 3, name));
      }
    }
    zones.put("heart", Box.of(Math.max(hx - hrx, 0), Math.max(hy - hry, 0), Math.min(hx + hrx, S),
        Math.min(hy + hry, S), "heart"));
    return new Phantom(Tensor.wrap(out, 1, S, S), kindIndex, kind, lesions, zones, seed);
  }

  private static double smooth(double t) {
    t = Math.min(Math.max(t, 0.0), 1.0);
    return t * t * (3.0 - 2.0 * t);
  }

  /** Soft ellipse: 1 inside, a smooth fall-off over about {@code edge} pixels, 0 where the distance d >= 1. */
  private static double[] ellipse(int S, int cx, int cy, int rx, int ry, double edge) {
    double[] a = new double[S * S];
    double k = Math.min(rx, ry) / edge;
    for (int i = 0; i < S; i++) {
      double dy = ((i + 0.5) - cy) / ry;
      for (int j = 0; j < S; j++) {
        double dx = ((j + 0.5) - cx) / rx;
        double d = Math.sqrt(dx * dx + dy * dy);
        a[i * S + j] = smooth((1.0 - d) * k);
      }
    }
    return a;
  }

  private static boolean inside(int px, int py, int cx, int cy, int rx, int ry) {
    double dx = (double) (px - cx) / rx;
    double dy = (double) (py - cy) / ry;
    return dx * dx + dy * dy <= 1.0;
  }

  private static int[] pickCenter(SplitMix64 rng, int[] lung, int[] heart, int r) {
    int cx = lung[0], cy = lung[1], rx = lung[2], ry = lung[3];
    int ix = Math.max(rx - r, 1), iy = Math.max(ry - r, 1);
    for (int t = 0; t < 64; t++) {
      int px = cx - ix + rng.nextInt(2 * ix + 1);
      int py = cy - iy + rng.nextInt(2 * iy + 1);
      if (inside(px, py, cx, cy, ix, iy) && !inside(px, py, heart[0], heart[1], heart[2] + r, heart[3] + r)) {
        return new int[] {px, py};
      }
    }
    return new int[] {cx, cy};
  }

  private static Box maskBox(double[] a, int S, String label) {
    int x0 = S, y0 = S, x1 = -1, y1 = -1;
    for (int i = 0; i < S; i++) {
      for (int j = 0; j < S; j++) {
        if (a[i * S + j] > 0.0) {
          x0 = Math.min(x0, j);
          y0 = Math.min(y0, i);
          x1 = Math.max(x1, j);
          y1 = Math.max(y1, i);
        }
      }
    }
    if (x1 < 0) return Box.of(0, 0, 0, 0, label);
    return Box.of(x0, y0, x1 + 1, y1 + 1, label);
  }
}
