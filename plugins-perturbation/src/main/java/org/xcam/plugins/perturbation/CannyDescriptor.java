package org.xcam.plugins.perturbation;

import java.util.ArrayDeque;
import org.xcam.api.Tensor;

/**
 * {@code canny}: Canny edges (1 on an edge, 0 elsewhere) of the channel-mean image: Gaussian blur (sigma 1), Sobel
 * gradients, non-maximum suppression along the quantised gradient direction, double threshold at 10% and 20% of the
 * largest gradient magnitude, hysteresis (8-connected). A flat image gives all zeros.
 *
 * <p>The Sobel gradients are BoofCV's ({@link Filters}; the blur is not, see there); non-maximum suppression and hysteresis stay
 * here because BoofCV's {@code CannyEdge} ({@code FactoryEdgeDetectors.canny}, dynamic thresholds 0.1 / 0.2) does not
 * give the same maps: on a vertical step it marks 9 pixels of an 8 x 12 image where this descriptor (and the feature-cam
 * tests) keep the single column 5, and on a blurred random 37 x 41 image 159 of about 360 edge pixels differ (its
 * suppression keeps both pixels of a two-pixel plateau and its blur is parameterised by radius, not sigma). Only a
 * closed square agreed pixel for pixel.
 */
public final class CannyDescriptor implements FeatureDescriptor {
  private final double sigma;
  private final double low;
  private final double high;

  public CannyDescriptor() { this(1.0, 0.1, 0.2); }

  public CannyDescriptor(double sigma, double low, double high) {
    this.sigma = sigma;
    this.low = low;
    this.high = high;
  }

  @Override public String name() { return "canny"; }

  @Override public String description() { return "Canny edges (binary), sigma 1, thresholds 10%/20% of the peak gradient"; }

  @Override public float[] describe(Tensor image) {
    int c = image.dim(0), h = image.dim(1), w = image.dim(2);
    float[] gray = Filters.gray(image.toArray(), 0, c, h * w);
    if (Filters.flat(gray)) return new float[h * w];
    return edges(Filters.gaussianBlur(gray, h, w, sigma), h, w, low, high);
  }

  static float[] edges(float[] g, int h, int w, double low, double high) {
    float[][] d = Filters.sobel(g, h, w);
    float[] mag = new float[g.length];
    float peak = 0;
    for (int i = 0; i < mag.length; i++) {
      mag[i] = (float) Math.hypot(d[0][i], d[1][i]);
      peak = Math.max(peak, mag[i]);
    }
    float[] out = new float[g.length];
    if (peak <= 0) return out;
    float[] thin = new float[g.length];
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        int i = y * w + x;
        float m = mag[i];
        if (m <= 0) continue;
        double angle = Math.toDegrees(Math.atan2(d[1][i], d[0][i]));
        if (angle < 0) angle += 180;
        int dy, dx;
        if (angle < 22.5 || angle >= 157.5) { dy = 0; dx = 1; }
        else if (angle < 67.5) { dy = 1; dx = 1; }
        else if (angle < 112.5) { dy = 1; dx = 0; }
        else { dy = 1; dx = -1; }
        float a = sample(mag, h, w, y + dy, x + dx), b = sample(mag, h, w, y - dy, x - dx);
        // ties broken towards the lower/left neighbour so a plateau two pixels wide keeps exactly one
        if (m > a && m >= b) thin[i] = m;
      }
    double lo = low * peak, hi = high * peak;
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    for (int i = 0; i < thin.length; i++) {
      if (thin[i] >= hi) {
        out[i] = 1;
        queue.add(i);
      }
    }
    while (!queue.isEmpty()) {
      int i = queue.poll(), y = i / w, x = i % w;
      for (int yy = y - 1; yy <= y + 1; yy++)
        for (int xx = x - 1; xx <= x + 1; xx++) {
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          int j = yy * w + xx;
          if (out[j] == 0 && thin[j] >= lo) {
            out[j] = 1;
            queue.add(j);
          }
        }
    }
    return out;
  }

  private static float sample(float[] a, int h, int w, int y, int x) {
    if (y < 0 || y >= h || x < 0 || x >= w) return 0;
    return a[y * w + x];
  }
}
