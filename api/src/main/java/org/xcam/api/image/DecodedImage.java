package org.xcam.api.image;

import java.util.List;
import java.util.Map;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Tensor;

/**
 * One image as a reader decoded it.
 *
 * <p>Two kinds: {@linkplain #normalised() pixels} are what a viewer shows, in [0,1], one plane for grayscale or three
 * for RGB ({@code [C, H, W]}); the runtime then converts channels, resizes and normalises them per the model's input
 * spec. A normalised image (a {@code .npy}) is already the model's input and is used as given.
 *
 * @param pixels       {@code [C, H, W]}
 * @param normalised   false for display values in [0,1] (C = 1 or 3), true for a tensor that is already the model input
 * @param sourceWidth  the width of the image in the file (larger than W when the reader subsampled)
 * @param sourceHeight the height of the image in the file
 * @param notes        what the reader did, in words, for the manifest ("MONOCHROME1 inverted", "palette expanded")
 * @param metadata     facts about the source for the manifest (format, bit depth, window used, ...). <b>Never patient
 *                     data</b>: everything here is written to output files
 */
public record DecodedImage(Tensor pixels, boolean normalised, int sourceWidth, int sourceHeight, List<String> notes,
                           Map<String, Object> metadata) {
  public DecodedImage {
    if (pixels.rank() != 3) throw new InvalidInputException("a decoded image is [C, H, W], got rank " + pixels.rank());
    if (!normalised && pixels.dim(0) != 1 && pixels.dim(0) != 3) {
      throw new InvalidInputException("decoded pixels need 1 (gray) or 3 (RGB) planes, got " + pixels.dim(0));
    }
    notes = List.copyOf(notes);
    metadata = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metadata));   // order kept for manifests
  }

  /** Display pixels in [0,1] read from the whole file (no subsampling). */
  public static DecodedImage pixels(Tensor chw, List<String> notes, Map<String, Object> metadata) {
    return new DecodedImage(chw, false, chw.dim(2), chw.dim(1), notes, metadata);
  }

  public int channels() { return pixels.dim(0); }
  public int height() { return pixels.dim(1); }
  public int width() { return pixels.dim(2); }
}
