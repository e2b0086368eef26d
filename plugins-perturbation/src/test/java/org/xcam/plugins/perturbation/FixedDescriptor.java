package org.xcam.plugins.perturbation;

import org.xcam.api.Tensor;

/** Test-only descriptor ({@code test-fixed-edges}): F(y, x) = ((y + 2 x) % 5) / 4, found through the SPI. */
public final class FixedDescriptor implements FeatureDescriptor {
  static float f(int y, int x) { return ((y + 2 * x) % 5) / 4f; }

  @Override public String name() { return "test-fixed-edges"; }

  @Override public float[] describe(Tensor image) {
    int h = image.dim(1), w = image.dim(2);
    float[] v = new float[h * w];
    for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) v[y * w + x] = f(y, x);
    return v;
  }
}
