package org.xcam.runtime;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;
import org.xcam.api.Tensor;

/**
 * An image ready for a model, and what a person sees.
 *
 * @param stem           the file name without extension (with {@code _n} for items of a batched .npy)
 * @param tensor         {@code [C, H, W]}, scaled, resized and normalised as the model's input spec says
 * @param display        the picture to draw overlays on (RGB; the file's resolution, at most
 *                       {@link Images#MAX_DISPLAY} on its longer side)
 * @param originalWidth  width of the file's image
 * @param originalHeight height of the file's image
 * @param notes          what was done to fit the model (e.g. "resized 1024x1024 -> 64x64", "RGBA: alpha ignored")
 * @param source         facts about the file from its reader (format, bit depth, DICOM window, ...): recorded in
 *                       manifests; readers never put patient data here
 */
public record LoadedImage(String stem, Tensor tensor, BufferedImage display, int originalWidth, int originalHeight,
                          List<String> notes, Map<String, Object> source) {
  public LoadedImage {
    notes = List.copyOf(notes);
    source = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(source));   // order kept for manifests
  }

  public LoadedImage(String stem, Tensor tensor, BufferedImage display, int originalWidth, int originalHeight, List<String> notes) {
    this(stem, tensor, display, originalWidth, originalHeight, notes, Map.of());
  }

  public boolean resized() { return notes.stream().anyMatch(n -> n.startsWith("resized")); }

  /** The same image under another stem (outputs of two inputs with one stem must not collide). */
  public LoadedImage withStem(String newStem) {
    return new LoadedImage(newStem, tensor, display, originalWidth, originalHeight, notes, source);
  }
}
