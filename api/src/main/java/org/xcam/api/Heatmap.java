package org.xcam.api;

import java.util.Arrays;

/**
 * An H x W float map with where it came from: the method, the layer, the target, and its resolution.
 *
 * <p>Two resolutions occur: {@link Resolution#LAYER}, the method's raw map at the layer's spatial size (after the
 * method's own ReLU, before any normalisation), and {@link Resolution#INPUT}, min-max normalised to [0,1] and
 * bilinearly resized to the input's H x W. A constant map normalises to all zeros and says so
 * ({@link #constant()}), never to NaN.
 *
 * <pre>{@code
 * Heatmap raw = explanation.raw();               // e.g. 8 x 8 at layer features.14
 * Heatmap shown = raw.normalized().resized(64, 64);
 * float peak = shown.get(10, 20);
 * }</pre>
 */
public final class Heatmap {
  /** Raw map at the layer's resolution, or normalised map at the input's resolution. */
  public enum Resolution { LAYER, INPUT }

  private final float[] values;
  private final int height;
  private final int width;
  private final String method;
  private final String layer;
  private final String target;
  private final Resolution resolution;
  private final boolean constant;

  private Heatmap(float[] values, int height, int width, String method, String layer, String target,
                  Resolution resolution, boolean constant) {
    if (values.length != height * width) {
      throw new IllegalArgumentException("heatmap " + height + "x" + width + " needs " + height * width + " values, got " + values.length);
    }
    this.values = values;
    this.height = height;
    this.width = width;
    this.method = method;
    this.layer = layer;
    this.target = target;
    this.resolution = resolution;
    this.constant = constant;
  }

  /** A map over a copy of {@code values} (row-major, H x W). Non-finite values are rejected. */
  public static Heatmap of(float[] values, int height, int width, String method, String layer, String target,
                           Resolution resolution) {
    float[] v = values.clone();
    for (int i = 0; i < v.length; i++) {
      if (!Float.isFinite(v[i])) {
        throw new XcamException("method '" + method + "' produced a non-finite value (" + v[i] + ") at index " + i
            + " of its map at layer '" + layer + "'; this is a bug in the method");
      }
    }
    return new Heatmap(v, height, width, method, layer, target, resolution, isConstant(v));
  }

  private static boolean isConstant(float[] v) {
    if (v.length == 0) return true;
    float min = v[0], max = v[0];
    for (float x : v) { min = Math.min(min, x); max = Math.max(max, x); }
    return max - min <= 0f;
  }

  public int height() { return height; }
  public int width() { return width; }
  public String method() { return method; }
  public String layer() { return layer; }
  public String target() { return target; }
  public Resolution resolution() { return resolution; }

  /** True when every value is the same (a normalised constant map is all zeros). */
  public boolean constant() { return constant; }

  public float get(int y, int x) { return values[y * width + x]; }

  /** A copy of the values, row-major. */
  public float[] values() { return values.clone(); }

  public Tensor toTensor() { return Tensor.of(values, height, width); }

  public float max() {
    float m = Float.NEGATIVE_INFINITY;
    for (float v : values) m = Math.max(m, v);
    return m;
  }

  public float min() {
    float m = Float.POSITIVE_INFINITY;
    for (float v : values) m = Math.min(m, v);
    return m;
  }

  public double sum() {
    double s = 0;
    for (float v : values) s += v;
    return s;
  }

  /** Min-max scaled to [0,1]. A constant map becomes all zeros (and {@link #constant()} stays true). */
  public Heatmap normalized() {
    float min = min(), max = max();
    float[] out = new float[values.length];
    if (max - min > 0f) {
      float range = max - min;
      for (int i = 0; i < out.length; i++) out[i] = (values[i] - min) / range;
    }
    return new Heatmap(out, height, width, method, layer, target, resolution, constant);
  }

  /**
   * Bilinear resize with half-pixel centres (OpenCV {@code INTER_LINEAR}, PyTorch {@code align_corners=False}):
   * source coordinate {@code (dst + 0.5) * in / out - 0.5}, clamped at the borders. The result has resolution
   * {@link Resolution#INPUT}.
   */
  public Heatmap resized(int newHeight, int newWidth) {
    float[] out = resizeBilinear(values, height, width, newHeight, newWidth);
    return new Heatmap(out, newHeight, newWidth, method, layer, target, Resolution.INPUT, constant);
  }

  /** Normalised to [0,1] then resized: the form shown to people and written as {@code <stem>.<method>.npy}. */
  public Heatmap toInput(int inputHeight, int inputWidth) {
    return normalized().resized(inputHeight, inputWidth);
  }

  /** Bilinear resize of a row-major H x W plane with half-pixel centres. */
  public static float[] resizeBilinear(float[] src, int h, int w, int outH, int outW) {
    float[] out = new float[outH * outW];
    if (h == outH && w == outW) {
      System.arraycopy(src, 0, out, 0, src.length);
      return out;
    }
    double sy = (double) h / outH, sx = (double) w / outW;
    int[] x0 = new int[outW], x1 = new int[outW];
    float[] fx = new float[outW];
    for (int x = 0; x < outW; x++) {
      double s = Math.max(0, (x + 0.5) * sx - 0.5);
      int i = Math.min((int) s, w - 1);
      x0[x] = i;
      x1[x] = Math.min(i + 1, w - 1);
      fx[x] = (float) (s - i);
    }
    for (int y = 0; y < outH; y++) {
      double s = Math.max(0, (y + 0.5) * sy - 0.5);
      int j0 = Math.min((int) s, h - 1), j1 = Math.min(j0 + 1, h - 1);
      float fy = (float) (s - j0);
      for (int x = 0; x < outW; x++) {
        float top = src[j0 * w + x0[x]] * (1 - fx[x]) + src[j0 * w + x1[x]] * fx[x];
        float bot = src[j1 * w + x0[x]] * (1 - fx[x]) + src[j1 * w + x1[x]] * fx[x];
        out[y * outW + x] = top * (1 - fy) + bot * fy;
      }
    }
    return out;
  }

  @Override public String toString() {
    return "Heatmap[" + method + " @ " + layer + ", " + height + "x" + width + ", " + resolution + ", target " + target
        + (constant ? ", constant" : "") + "]";
  }

  @Override public boolean equals(Object o) {
    return o instanceof Heatmap h && h.height == height && h.width == width && Arrays.equals(h.values, values);
  }

  @Override public int hashCode() { return Arrays.hashCode(values); }
}
