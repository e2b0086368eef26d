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
 * @param sources            for each detection, the names of the regions it was made from (several when fused)
 * @param imageProbabilities per class in manifest order, the MIL image-level probability (LSE pooling over regions)
 * @param classProbabilities per region (rows, R) and class (columns, C), the class probability after the
 *                           many-to-one mapping
 */
public record AdpdResult(List<Box> regions, List<Box> candidates, List<Box> detections, List<List<String>> sources,
                         Map<String, Double> imageProbabilities, double[][] classProbabilities) {
  public AdpdResult {
    if (sources.size() != detections.size()) throw new IllegalArgumentException("one source list per detection");
    sources = sources.stream().map(List::copyOf).toList();
    regions = List.copyOf(regions);
    candidates = List.copyOf(candidates);
    detections = List.copyOf(detections);
    imageProbabilities = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(imageProbabilities));
  }
}
