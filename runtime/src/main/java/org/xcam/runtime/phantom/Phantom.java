package org.xcam.runtime.phantom;

import java.util.List;
import java.util.Map;
import org.xcam.api.Box;
import org.xcam.api.Tensor;

/**
 * One phantom chest X-ray with its ground truth.
 *
 * @param image grayscale pixels in [0, 1], shape {@code [1, H, W]} (not normalised; apply the model's mean/std)
 * @param labelIndex index of {@link #label} in {@link PhantomGenerator#KINDS}
 * @param label the phantom's kind: normal, nodule, mass, effusion, consolidation or cardiomegaly
 * @param lesions lesion boxes (label = lesion type, x1/y1 exclusive, pixels); empty for {@code normal}
 * @param zones anatomical zone boxes by name (see {@link PhantomGenerator#ZONES}); patient right = image left
 * @param seed the seed it was generated from
 */
public record Phantom(Tensor image, int labelIndex, String label, List<Box> lesions, Map<String, Box> zones, long seed) {
  public Phantom {
    lesions = List.copyOf(lesions);
    zones = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(zones));
  }

  public int height() { return image.dim(1); }
  public int width() { return image.dim(2); }

  /** The image normalised as {@code (x - mean) / std}, shape {@code [1, H, W]}. */
  public Tensor normalized(double mean, double std) {
    float[] v = image.toArray();
    for (int i = 0; i < v.length; i++) v[i] = (float) ((v[i] - mean) / std);
    return Tensor.wrap(v, image.shape());
  }
}
