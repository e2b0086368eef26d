package org.xcam.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a {@link Detector} found in one image of a request, in pixels of that image's frame
 * ({@link DetectRequest#frame(int)}: usually the original image's size, so boxes can be drawn on it).
 *
 * <pre>{@code
 * Detections d = detector.detect(model, image);
 * for (Detection x : d.detections()) System.out.println(x.label() + " " + x.score() + " " + x.box());
 * RegionAttribution.of(explanation.map(), d.regions(), d.width(), d.height()).describe();
 * }</pre>
 *
 * @param index       the image's index in the request
 * @param width       the frame's width in pixels
 * @param height      the frame's height in pixels
 * @param detections  the boxes, highest score first
 * @param regions     anatomical region boxes the detector located (label = region name, score = presence
 *                    probability); empty for detectors without regions
 * @param imageScores per class, an image-level probability when the detector gives one (ADPD's MIL pooling); may be
 *                    empty
 * @param notes       remarks for the manifest (e.g. a class skipped); may be empty
 */
public record Detections(int index, int width, int height, List<Detection> detections, List<Box> regions,
                         Map<String, Double> imageScores, List<String> notes) {
  public Detections {
    if (width <= 0 || height <= 0) throw new InvalidInputException("a detection frame must be positive, got " + width + "x" + height);
    detections = List.copyOf(detections);
    regions = List.copyOf(regions);
    imageScores = Collections.unmodifiableMap(new LinkedHashMap<>(imageScores));
    notes = List.copyOf(notes);
  }

  /** Just the boxes (label and score included), highest score first. */
  public List<Box> boxes() { return detections.stream().map(Detection::box).toList(); }

  /** The regions by name, for {@link RegionAttribution#of(Heatmap, Map)} after scaling to the map. */
  public Map<String, Box> regionsByName() {
    Map<String, Box> m = new LinkedHashMap<>();
    for (Box b : regions) m.put(b.label(), b);
    return m;
  }
}
