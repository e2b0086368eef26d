package org.xcam.plugins.anatomy;

import java.util.List;
import java.util.Map;
import org.xcam.api.Box;

/**
 * What anatomy-driven detection found in one image, in pixel coordinates of the image the boxes were scaled to.
 *
 * @param regions            every anatomical region box (label = region name, score = presence probability)
 * @param candidates         the region boxes whose class probability passed the threshold, as pathology boxes
 *                           (label = class name, score = that probability), before fusion
 * @param detections         the final pathology boxes (after fusion and top-1 when enabled), highest score first
 * @param imageProbabilities per class, the MIL image-level probability (LSE pooling over regions)
 * @param classProbabilities per region (rows, R) and class (columns, C), the class probability after the
 *                           many-to-one mapping
 */
public record AdpdResult(List<Box> regions, List<Box> candidates, List<Box> detections,
                         Map<String, Double> imageProbabilities, double[][] classProbabilities) {
  public AdpdResult {
    regions = List.copyOf(regions);
    candidates = List.copyOf(candidates);
    detections = List.copyOf(detections);
    imageProbabilities = Map.copyOf(imageProbabilities);
  }
}
