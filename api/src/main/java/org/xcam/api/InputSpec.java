package org.xcam.api;

import java.util.Arrays;

/**
 * What the model takes: {@code channels x height x width}, with per-channel normalisation {@code (x - mean[c]) / std[c]}
 * applied to pixels scaled to [0,1]. A 1-channel model gets grayscale, a 3-channel model RGB.
 */
public record InputSpec(int channels, int height, int width, float[] mean, float[] std) {
  public InputSpec {
    if (channels <= 0 || height <= 0 || width <= 0) {
      throw new InvalidInputException("input spec needs positive channels/height/width, got " + channels + "x" + height + "x" + width);
    }
    if (mean.length != channels || std.length != channels) {
      throw new InvalidInputException("input spec: mean and std need " + channels + " values each, got " + mean.length + " and " + std.length);
    }
    for (float s : std) if (!(s > 0)) throw new InvalidInputException("input spec: std must be > 0, got " + Arrays.toString(std));
    mean = mean.clone();
    std = std.clone();
  }

  @Override public float[] mean() { return mean.clone(); }
  @Override public float[] std() { return std.clone(); }

  /** {@code [1, C, H, W]}. */
  public int[] batchShape(int n) { return new int[] {n, channels, height, width}; }

  @Override public boolean equals(Object o) {
    return o instanceof InputSpec s && s.channels == channels && s.height == height && s.width == width
        && Arrays.equals(s.mean, mean) && Arrays.equals(s.std, std);
  }

  @Override public int hashCode() { return channels * 31 * 31 + height * 31 + width; }

  @Override public String toString() {
    return channels + "x" + height + "x" + width + " mean " + Arrays.toString(mean) + " std " + Arrays.toString(std);
  }
}
