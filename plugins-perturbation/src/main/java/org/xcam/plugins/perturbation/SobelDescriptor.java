package org.xcam.plugins.perturbation;

import org.xcam.api.Tensor;

/**
 * {@code sobel}: the Sobel gradient magnitude {@code sqrt(gx^2 + gy^2)} of the channel-mean image (3x3 kernels,
 * replicated borders), min-max scaled to [0,1]. A flat image gives all zeros.
 */
public final class SobelDescriptor implements FeatureDescriptor {
  @Override public String name() { return "sobel"; }

  @Override public String description() { return "Sobel gradient magnitude, min-max scaled"; }

  @Override public float[] describe(Tensor image) {
    int c = image.dim(0), h = image.dim(1), w = image.dim(2);
    float[] g = Filters.gray(image.toArray(), 0, c, h * w);
    if (Filters.flat(g)) return new float[h * w];
    return Filters.minMax(magnitude(g, h, w));
  }

  static float[] magnitude(float[] g, int h, int w) {
    float[][] d = Filters.sobel(g, h, w);
    float[] m = new float[g.length];
    for (int i = 0; i < m.length; i++) m[i] = (float) Math.hypot(d[0][i], d[1][i]);
    return m;
  }
}
