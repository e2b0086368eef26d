package org.xcam.api;

import java.util.List;

/**
 * A detector, configured (options fixed): turns a model's output — and, for CAM-derived boxes, the heatmaps of the
 * request's explainer — into boxes with a class label, a score in [0, 1] and their provenance ({@link Detection}).
 * Obtained from a {@link org.xcam.api.spi.DetectorProvider}, usually through the runtime facade, which checks the
 * model's task and capabilities first.
 *
 * <pre>{@code
 * Detector adpd = xcam.detector("adpd");
 * Detections d = adpd.detect(model, image);        // boxes in the image's own W x H
 * d.detections();                                  // highest score first
 * d.regions();                                     // anatomical regions, when the detector has them
 * }</pre>
 *
 * <p>Implementations are stateless between calls and thread-safe, never modify the input, and give the same boxes for
 * a batch of N as for N single calls. The compatibility kit ({@code DetectorCompatibilityKit}) checks these and the
 * box invariants.
 */
public interface Detector {
  /** The detector's name (its provider's name), e.g. {@code adpd}. */
  String name();

  /** Detects in every image of the request; returns one {@link Detections} per image, in image order. */
  List<Detections> detect(Model model, DetectRequest request);

  /** One image ({@code [C,H,W]} or {@code [1,C,H,W]}), boxes in the input's own {@code W x H}. */
  default Detections detect(Model model, Tensor image) {
    return detect(model, DetectRequest.builder(image).build()).get(0);
  }
}
