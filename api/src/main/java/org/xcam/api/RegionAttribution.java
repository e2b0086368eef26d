package org.xcam.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Anatomical-region attribution of any heatmap: the share of the map's energy that lies in each anatomical region
 * box, plus the share outside every region, so that a radiologist reads "78% of the evidence lies in the right lower
 * zone". Regions come from a detector that locates them ({@link Detections#regions()}, e.g. the {@code adpd}
 * detector of plugins-anatomy), the phantom generator's zones, or a CSV ({@link #readCsv(Path)}). It lives in the api
 * (pure arithmetic on {@link Heatmap} and {@link Box}) so that {@code xcam explain --regions} and the demo work
 * whichever plugins are installed.
 *
 * <p><b>Definition.</b> Energy is the sum of the map's non-negative values. Pixel {@code (x, y)} (covering
 * {@code [x, x+1) x [y, y+1)}) belongs to a box when its centre {@code (x + 0.5, y + 0.5)} does. A pixel inside
 * several overlapping boxes (a lung zone and the heart) splits its value equally among them, so the shares plus
 * {@code outside} sum to 1. A map without energy (all zeros, e.g. a constant map after normalisation) gets all shares
 * 0 and {@link Shares#noEnergy()} true; it is never NaN.
 *
 * <pre>{@code
 * Detections d = xcam.detector("adpd").detect(adpdModel, image);
 * Shares s = RegionAttribution.of(explanation.map(), d.regions(), d.width(), d.height());
 * s.describe();   // "78% of the evidence lies in right-lower-lung"
 * }</pre>
 */
public final class RegionAttribution {
  /** The name of the remainder. */
  public static final String OUTSIDE = "outside";

  private RegionAttribution() { }

  /**
   * Shares per region in region order, and the share outside all regions.
   *
   * @param shares   region name -> share of the energy, in the order given
   * @param outside  share of the energy outside every region
   * @param noEnergy true when the map has no positive value (all shares are then 0)
   */
  public record Shares(Map<String, Double> shares, double outside, boolean noEnergy) {
    public Shares {
      shares = Collections.unmodifiableMap(new LinkedHashMap<>(shares));
    }

    /** Sum of the region shares and {@code outside} (1, or 0 without energy). */
    public double total() {
      double t = outside;
      for (double v : shares.values()) t += v;
      return t;
    }

    /** The region (or {@value #OUTSIDE}) with the largest share. */
    public String top() {
      String best = OUTSIDE;
      double v = outside;
      for (Map.Entry<String, Double> e : shares.entrySet()) {
        if (e.getValue() > v) { v = e.getValue(); best = e.getKey(); }
      }
      return best;
    }

    /** One sentence for people, e.g. "78% of the evidence lies in right-lower-lung". */
    public String describe() {
      if (noEnergy) return "the map holds no evidence (all zeros)";
      String t = top();
      double v = OUTSIDE.equals(t) ? outside : shares.get(t);
      return String.format(Locale.ROOT, "%.0f%% of the evidence lies %s", 100 * v,
          OUTSIDE.equals(t) ? "outside every region" : "in " + t);
    }
  }

  /** Attribution of {@code map} to {@code regions} given in the map's own pixel frame. */
  public static Shares of(Heatmap map, Map<String, Box> regions) {
    return of(map.values(), map.height(), map.width(), regions);
  }

  /** Attribution with region boxes in a {@code frameW x frameH} frame (e.g. the original image), scaled to the map. */
  public static Shares of(Heatmap map, List<Box> regions, int frameW, int frameH) {
    if (frameW <= 0 || frameH <= 0) throw new InvalidInputException("frame size must be positive, got " + frameW + "x" + frameH);
    double sx = map.width() / (double) frameW, sy = map.height() / (double) frameH;
    Map<String, Box> m = new LinkedHashMap<>();
    for (Box b : regions) {
      String name = b.label() == null ? "region " + m.size() : b.label();
      if (m.put(name, b.scaled(sx, sy)) != null) throw new InvalidInputException("region '" + name + "' is given twice");
    }
    return of(map, m);
  }

  /** Attribution of a row-major {@code h x w} plane. */
  public static Shares of(float[] v, int h, int w, Map<String, Box> regions) {
    if (v.length != h * w) throw new InvalidInputException("map has " + v.length + " values, not " + h + "x" + w);
    List<String> names = new ArrayList<>(regions.keySet());
    int r = names.size();
    int[][] span = new int[r][];
    for (int k = 0; k < r; k++) {
      Box b = regions.get(names.get(k));
      span[k] = new int[] {
          Math.max(0, (int) Math.ceil(b.x0() - 0.5)), Math.max(0, (int) Math.ceil(b.y0() - 0.5)),
          Math.min(w, (int) Math.ceil(b.x1() - 0.5)), Math.min(h, (int) Math.ceil(b.y1() - 0.5))};
    }
    double[] e = new double[r];
    double total = 0, outside = 0;
    int[] inside = new int[r];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double val = Math.max(0, v[y * w + x]);
        if (val == 0) continue;
        total += val;
        int n = 0;
        for (int k = 0; k < r; k++) {
          int[] s = span[k];
          if (x >= s[0] && x < s[2] && y >= s[1] && y < s[3]) inside[n++] = k;
        }
        if (n == 0) outside += val;
        else for (int i = 0; i < n; i++) e[inside[i]] += val / n;
      }
    }
    Map<String, Double> shares = new LinkedHashMap<>();
    if (total <= 0) {
      for (String s : names) shares.put(s, 0.0);
      return new Shares(shares, 0, true);
    }
    for (int k = 0; k < r; k++) shares.put(names.get(k), e[k] / total);
    return new Shares(shares, outside / total, false);
  }

  /**
   * Reads regions from a CSV with lines {@code name,x0,y0,x1,y1} (pixels, x1/y1 exclusive); a header line starting
   * with {@code name} and lines starting with {@code #} are skipped.
   */
  public static Map<String, Box> readCsv(Path csv) {
    List<String> lines;
    try {
      lines = Files.readAllLines(csv);
    } catch (IOException e) {
      throw new InvalidInputException("cannot read region CSV " + csv + ": " + e.getMessage(), e);
    }
    Map<String, Box> m = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).trim();
      if (line.isEmpty() || line.startsWith("#") || (i == 0 && line.toLowerCase(Locale.ROOT).startsWith("name"))) continue;
      String[] f = line.split(",");
      if (f.length != 5) {
        throw new InvalidInputException("region CSV " + csv + " line " + (i + 1) + " has " + f.length
            + " fields; expected name,x0,y0,x1,y1");
      }
      try {
        String name = f[0].trim();
        m.put(name, new Box(Double.parseDouble(f[1].trim()), Double.parseDouble(f[2].trim()),
            Double.parseDouble(f[3].trim()), Double.parseDouble(f[4].trim()), name, 1));
      } catch (NumberFormatException e) {
        throw new InvalidInputException("region CSV " + csv + " line " + (i + 1) + " has a field that is not a number: " + line);
      }
    }
    if (m.isEmpty()) throw new InvalidInputException("region CSV " + csv + " lists no regions");
    return m;
  }
}
