package org.xcam.api;

/**
 * An axis-aligned box in pixel coordinates of some image: {@code [x0, x1) x [y0, y1)} (x1, y1 exclusive), with an
 * optional label and score. Used for ground-truth lesion boxes, anatomical zones and detections.
 */
public record Box(double x0, double y0, double x1, double y1, String label, double score) {
  public Box {
    if (!(x1 >= x0) || !(y1 >= y0)) {
      throw new InvalidInputException("box [" + x0 + ", " + y0 + ", " + x1 + ", " + y1 + "] has x1 < x0 or y1 < y0");
    }
  }

  public static Box of(double x0, double y0, double x1, double y1, String label) {
    return new Box(x0, y0, x1, y1, label, 1.0);
  }

  /** From {@code x, y, w, h} (the NIH box list format). */
  public static Box ofXywh(double x, double y, double w, double h, String label) {
    return new Box(x, y, x + w, y + h, label, 1.0);
  }

  public double width() { return x1 - x0; }
  public double height() { return y1 - y0; }
  public double area() { return width() * height(); }

  public Box withScore(double s) { return new Box(x0, y0, x1, y1, label, s); }
  public Box withLabel(String l) { return new Box(x0, y0, x1, y1, l, score); }

  public Box scaled(double sx, double sy) { return new Box(x0 * sx, y0 * sy, x1 * sx, y1 * sy, label, score); }

  /** Clipped to {@code [0,w) x [0,h)}. */
  public Box clipped(double w, double h) {
    double a = clamp(x0, w), b = clamp(y0, h), c = clamp(x1, w), d = clamp(y1, h);
    return new Box(a, b, Math.max(a, c), Math.max(b, d), label, score);
  }

  /** True when the box reaches outside {@code [0,w) x [0,h)}. */
  public boolean outside(double w, double h) { return x0 < 0 || y0 < 0 || x1 > w || y1 > h; }

  private static double clamp(double v, double hi) { return Math.max(0, Math.min(hi, v)); }

  public boolean contains(double x, double y) { return x >= x0 && x < x1 && y >= y0 && y < y1; }

  public double intersection(Box o) {
    double w = Math.min(x1, o.x1) - Math.max(x0, o.x0);
    double h = Math.min(y1, o.y1) - Math.max(y0, o.y0);
    return w <= 0 || h <= 0 ? 0 : w * h;
  }

  /** Intersection over union; 0 when both are empty. */
  public double iou(Box o) {
    double i = intersection(o), u = area() + o.area() - i;
    return u <= 0 ? 0 : i / u;
  }
}
