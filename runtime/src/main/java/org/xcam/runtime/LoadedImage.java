package org.xcam.runtime;

import java.awt.image.BufferedImage;
import java.util.List;
import org.xcam.api.Tensor;

/**
 * An image ready for a model, and what a person sees.
 *
 * @param stem           the file name without extension (with {@code _n} for items of a batched .npy)
 * @param tensor         {@code [C, H, W]}, scaled, resized and normalised as the model's input spec says
 * @param display        the picture to draw overlays on (original resolution, RGB)
 * @param originalWidth  width of the file's image
 * @param originalHeight height of the file's image
 * @param notes          what was done to fit the model (e.g. "resized 1024x1024 -> 64x64", "RGBA: alpha ignored")
 */
public record LoadedImage(String stem, Tensor tensor, BufferedImage display, int originalWidth, int originalHeight,
                          List<String> notes) {
  public LoadedImage {
    notes = List.copyOf(notes);
  }

  public boolean resized() { return notes.stream().anyMatch(n -> n.startsWith("resized")); }
}
