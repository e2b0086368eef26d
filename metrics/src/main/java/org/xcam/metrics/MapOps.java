package org.xcam.metrics;

import java.util.Arrays;
import java.util.List;
import org.xcam.api.Box;
import org.xcam.api.Heatmap;
import org.xcam.api.InvalidInputException;
import org.xcam.api.MetricContext;
import org.xcam.api.Tensor;

/**
 * Plain array helpers shared by the metrics: ground-truth regions, the energy-threshold region, ranking, statistics.
 *
 * <p>Pixel convention: pixel {@code (x, y)} covers {@code [x, x+1) x [y, y+1)}; it lies in a box when its centre
 * {@code (x + 0.5, y + 0.5)} does. So the integer box {@code [10, 20)} holds pixels 10..19.
 */
public final class MapOps {
  private MapOps() { }

  /** The heatmap's values resized (bilinear, half-pixel) to {@code h x w} if needed. */
  public static float[] valuesAt(Heatmap m, int h, int w) {
    return m.height() == h && m.width() == w ? m.values() : Heatmap.resizeBilinear(m.values(), m.height(), m.width(), h, w);
  }

  /** Rasterises the union of {@code boxes} on an {@code h x w} grid (pixel centres inside). */
  public static boolean[] boxMask(List<Box> boxes, int h, int w) {
    boolean[] m = new boolean[h * w];
    for (Box b : boxes) {
      int xa = Math.max(0, (int) Math.ceil(b.x0() - 0.5)), xb = Math.min(w, (int) Math.ceil(b.x1() - 0.5));
      int ya = Math.max(0, (int) Math.ceil(b.y0() - 0.5)), yb = Math.min(h, (int) Math.ceil(b.y1() - 0.5));
      for (int y = ya; y < yb; y++) for (int x = xa; x < xb; x++) m[y * w + x] = true;
    }
    return m;
  }

  /** A mask tensor ({@code [H,W]} or {@code [1,H,W]}) as booleans on an {@code h x w} grid (resized bilinearly, then > 0.5 of its max). */
  public static boolean[] tensorMask(Tensor mask, int h, int w) {
    float[] v = plane(mask, h, w, "mask");
    float max = 0;
    for (float f : v) max = Math.max(max, f);
    boolean[] m = new boolean[v.length];
    if (max <= 0) return m;
    boolean resized = !(planeH(mask) == h && planeW(mask) == w);
    for (int i = 0; i < v.length; i++) m[i] = resized ? v[i] > 0.5f * max : v[i] > 0;
    return m;
  }

  /**
   * The ground truth region for a localisation metric: the mask when the context has one and {@code truth} is
   * {@code auto} or {@code mask}, else the union of the boxes.
   */
  public static boolean[] truth(MetricContext ctx, String truth, int h, int w) {
    boolean hasMask = ctx.available().contains(MetricContext.Need.MASK);
    if ("mask".equals(truth) || ("auto".equals(truth) && hasMask)) return tensorMask(ctx.mask(), h, w);
    return boxMask(ctx.boxes(), h, w);
  }

  /** A 2-D plane {@code [H,W]} (or {@code [1,H,W]}, {@code [1,1,H,W]}) as floats at {@code h x w}. */
  public static float[] plane(Tensor t, int h, int w, String what) {
    int[] s = t.shape();
    for (int i = 0; i < s.length - 2; i++) {
      if (s[i] != 1) throw new InvalidInputException(what + " must be a single [H, W] plane, got shape " + Arrays.toString(s));
    }
    if (s.length < 2) throw new InvalidInputException(what + " must be a single [H, W] plane, got shape " + Arrays.toString(s));
    int th = s[s.length - 2], tw = s[s.length - 1];
    float[] v = t.toArray();
    if (!t.isFinite()) throw new InvalidInputException(what + " contains NaN or infinite values at index " + t.firstNonFinite());
    return th == h && tw == w ? v : Heatmap.resizeBilinear(v, th, tw, h, w);
  }

  private static int planeH(Tensor t) { return t.dim(-2); }
  private static int planeW(Tensor t) { return t.dim(-1); }

  /**
   * The smallest set of pixels holding at least {@code fraction} of the map's total (non-negative) energy: pixels are
   * taken from the largest value down (ties in row-major order) until the running sum reaches
   * {@code fraction * total}. An all-zero map gives the empty set.
   */
  public static boolean[] energyRegion(float[] v, double fraction) {
    int[] order = rankDescending(v);
    double total = 0;
    for (float f : v) total += Math.max(0, f);
    boolean[] m = new boolean[v.length];
    if (total <= 0) return m;
    double need = fraction * total * (1 - 1e-12), cum = 0;
    for (int idx : order) {
      if (cum >= need) break;
      m[idx] = true;
      cum += Math.max(0, v[idx]);
    }
    return m;
  }

  /** Indices sorted by value, largest first; ties keep row-major order (a stable sort). */
  public static int[] rankDescending(float[] v) {
    Integer[] idx = new Integer[v.length];
    for (int i = 0; i < idx.length; i++) idx[i] = i;
    Arrays.sort(idx, (a, b) -> {
      int c = Float.compare(v[b], v[a]);
      return c != 0 ? c : Integer.compare(a, b);
    });
    int[] out = new int[idx.length];
    for (int i = 0; i < out.length; i++) out[i] = idx[i];
    return out;
  }

  public static boolean[] threshold(float[] v, double t) {
    boolean[] m = new boolean[v.length];
    for (int i = 0; i < v.length; i++) m[i] = v[i] >= t;
    return m;
  }

  public static int count(boolean[] m) {
    int n = 0;
    for (boolean b : m) if (b) n++;
    return n;
  }

  /** |A ∩ B| / |A ∪ B|; 0 when both are empty. */
  public static double iou(boolean[] a, boolean[] b) {
    int i = 0, u = 0;
    for (int k = 0; k < a.length; k++) {
      if (a[k] && b[k]) i++;
      if (a[k] || b[k]) u++;
    }
    return u == 0 ? 0 : (double) i / u;
  }

  /** 2|A ∩ B| / (|A| + |B|); 0 when both are empty. */
  public static double dice(boolean[] a, boolean[] b) {
    int i = 0, s = 0;
    for (int k = 0; k < a.length; k++) {
      if (a[k] && b[k]) i++;
      if (a[k]) s++;
      if (b[k]) s++;
    }
    return s == 0 ? 0 : 2.0 * i / s;
  }

  /** Pearson correlation; 0 when either side is constant (the caller notes it). */
  public static double pearson(double[] a, double[] b) {
    int n = a.length;
    double ma = 0, mb = 0;
    for (int i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
    ma /= n;
    mb /= n;
    double sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < n; i++) {
      double da = a[i] - ma, db = b[i] - mb;
      sab += da * db;
      saa += da * da;
      sbb += db * db;
    }
    return saa <= 0 || sbb <= 0 ? 0 : sab / Math.sqrt(saa * sbb);
  }

  public static double[] toDouble(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) d[i] = v[i];
    return d;
  }

  public static boolean constant(float[] v) {
    for (float f : v) if (f != v[0]) return false;
    return true;
  }

  /** Trapezoid-rule area under {@code y(x)}. */
  public static double trapezoid(double[] x, double[] y) {
    double a = 0;
    for (int i = 1; i < x.length; i++) a += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
    return a;
  }

  /**
   * The {@code p}-th percentile (0..100) with linear interpolation between closest ranks (NumPy's default):
   * position {@code p/100 * (n-1)} in the sorted values.
   */
  public static double percentile(float[] v, double p) {
    float[] s = v.clone();
    Arrays.sort(s);
    double pos = p / 100.0 * (s.length - 1);
    int lo = (int) Math.floor(pos), hi = Math.min(s.length - 1, lo + 1);
    return s[lo] + (pos - lo) * (s[hi] - s[lo]);
  }
}
