package org.xcam.api;

import java.util.List;
import java.util.Objects;

/**
 * One box a {@link Detector} found: where (pixels of the request's frame, x1/y1 exclusive), what ({@link Box#label()},
 * a class of the model), how sure ({@link Box#score()}, in [0, 1]) and what it came from.
 *
 * <pre>{@code
 * Detection d = Detection.ofRegions(Box.of(8, 30, 25, 47, "effusion").withScore(0.82), List.of("right-lower-lung"));
 * d.source();   // REGIONS
 * d.from();     // [right-lower-lung]
 * }</pre>
 *
 * @param box    the box with its class label and score
 * @param source what kind of evidence the box was made from
 * @param from   the evidence by name: the anatomical regions fused into the box ({@link Source#REGIONS}), the method
 *               whose heatmap the box was cut from ({@link Source#MAP}), or nothing ({@link Source#MODEL})
 */
public record Detection(Box box, Source source, List<String> from) {
  /** Provenance of a box. */
  public enum Source {
    /** Anatomical region boxes of the model, positive for the class (anatomy-driven detection), possibly fused. */
    REGIONS,
    /** A heatmap of a method, thresholded (CAM-derived boxes). */
    MAP,
    /** Regressed by the model itself. */
    MODEL
  }

  public Detection {
    Objects.requireNonNull(box, "box");
    Objects.requireNonNull(source, "source");
    from = List.copyOf(from);
  }

  /** A box made from the named regions (one region, or several fused). */
  public static Detection ofRegions(Box box, List<String> regions) { return new Detection(box, Source.REGIONS, regions); }

  /** A box cut from the heatmap of {@code method}. */
  public static Detection ofMap(Box box, String method) { return new Detection(box, Source.MAP, List.of(method)); }

  /** A box the model regressed directly. */
  public static Detection ofModel(Box box) { return new Detection(box, Source.MODEL, List.of()); }

  public String label() { return box.label(); }

  public double score() { return box.score(); }
}
