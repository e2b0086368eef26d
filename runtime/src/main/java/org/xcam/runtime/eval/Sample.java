package org.xcam.runtime.eval;

import java.awt.image.BufferedImage;
import java.util.List;
import org.xcam.api.Box;
import org.xcam.api.Tensor;

/**
 * One evaluation image, ready for the model.
 *
 * @param id         a stable id (file stem, or {@code phantom-<seed>}); the key of results.csv rows
 * @param input      {@code [C, H, W]} normalised per the model's input spec
 * @param display    what a person sees (the file's pixels at their own resolution, RGB)
 * @param boxes      ground-truth boxes in the model input's pixel coordinates (clipped to it); may be empty
 * @param mask       ground-truth mask {@code [H, W]} at the model input's size, or null
 * @param label      the ground-truth label's name, or null when the dataset has none
 * @param labelIndex the label's index among the model's labels, or -1
 * @param flags      what was done to the ground truth (e.g. "box clipped to the image"); empty if nothing
 */
public record Sample(String id, Tensor input, BufferedImage display, List<Box> boxes, Tensor mask, String label,
                     int labelIndex, List<String> flags) {
  public Sample {
    boxes = List.copyOf(boxes);
    flags = List.copyOf(flags);
  }
}
