package org.xcam.api;

import java.util.Optional;

/**
 * Heatmap to box, the weakly supervised detection baseline (Zhou et al. 2016; Wang et al., ChestX-ray8; the CAM rows of
 * the ADPD paper's Table 1): keep the pixels whose value is at least {@code threshold * max}, take the largest
 * 8-connected component of them, and return its bounding box.
 *
 * <p>Pixel {@code (x, y)} covers {@code [x, x+1) x [y, y+1)}, so a component spanning columns 3..7 gives
 * {@code x0 = 3, x1 = 8}. Ties in component size go to the component with the larger summed value, then to the one
 * met first in row-major order. A map whose maximum is not positive (a constant map normalises to all zeros) has no
 * box.
 *
 * <p>In the api because two plugins use it: the {@code cam-boxes} detector of plugins-anatomy and the
 * {@code heatmap-box-*} metrics; plugins share code only through the api.
 *
 * <pre>{@code
 * Optional<Box> b = HeatmapBox.largestComponent(explanation.map(), 0.5, "effusion", probability);
 * }</pre>
 */
public final class HeatmapBox {
  /** The default relative threshold. */
  public static final double DEFAULT_THRESHOLD = 0.5;

  private HeatmapBox() { }

  /** Box of the largest component of {@code map >= threshold * max(map)}, in the map's pixel grid. */
  public static Optional<Box> largestComponent(Heatmap map, double threshold, String label, double score) {
    return largestComponent(map.values(), map.height(), map.width(), threshold, label, score);
  }

  /** As {@link #largestComponent(Heatmap, double, String, double)} on a row-major {@code h x w} plane. */
  public static Optional<Box> largestComponent(float[] v, int h, int w, double threshold, String label, double score) {
    if (v.length != h * w) throw new InvalidInputException("map has " + v.length + " values, not " + h + "x" + w);
    if (!(threshold > 0 && threshold <= 1)) {
      throw new InvalidInputException("heatmap box threshold must be in (0, 1] (a fraction of the maximum), got " + threshold);
    }
    float max = Float.NEGATIVE_INFINITY;
    for (float f : v) max = Math.max(max, f);
    if (!(max > 0)) return Optional.empty();
    double cut = threshold * max;
    int[] comp = new int[v.length];
    int[] stack = new int[v.length];
    int best = -1, bestSize = 0;
    double bestSum = -1;
    int[] bestBox = null;
    int id = 0;
    for (int start = 0; start < v.length; start++) {
      if (comp[start] != 0 || v[start] < cut) continue;
      id++;
      int sp = 0, size = 0;
      double sum = 0;
      int x0 = w, y0 = h, x1 = -1, y1 = -1;
      stack[sp++] = start;
      comp[start] = id;
      while (sp > 0) {
        int p = stack[--sp];
        int py = p / w, px = p % w;
        size++;
        sum += v[p];
        x0 = Math.min(x0, px); x1 = Math.max(x1, px);
        y0 = Math.min(y0, py); y1 = Math.max(y1, py);
        for (int dy = -1; dy <= 1; dy++) {
          int ny = py + dy;
          if (ny < 0 || ny >= h) continue;
          for (int dx = -1; dx <= 1; dx++) {
            int nx = px + dx;
            if ((dx == 0 && dy == 0) || nx < 0 || nx >= w) continue;
            int q = ny * w + nx;
            if (comp[q] == 0 && v[q] >= cut) {
              comp[q] = id;
              stack[sp++] = q;
            }
          }
        }
      }
      if (size > bestSize || (size == bestSize && sum > bestSum)) {
        best = id;
        bestSize = size;
        bestSum = sum;
        bestBox = new int[] {x0, y0, x1 + 1, y1 + 1};
      }
    }
    if (best < 0) return Optional.empty();
    return Optional.of(new Box(bestBox[0], bestBox[1], bestBox[2], bestBox[3], label, score));
  }
}
