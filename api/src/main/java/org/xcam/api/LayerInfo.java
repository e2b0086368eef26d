package org.xcam.api;

import java.util.Arrays;

/**
 * A cut point of a model: its name and the activation's shape without the batch axis (usually {@code [C, H, W]}).
 * The input itself is the layer named {@value #INPUT}.
 */
public record LayerInfo(String name, int[] shape) {
  /** The name of the pseudo-layer that is the model's input. */
  public static final String INPUT = "input";

  public LayerInfo {
    shape = shape.clone();
  }

  @Override public int[] shape() { return shape.clone(); }

  public int channels() { return shape.length >= 3 ? shape[shape.length - 3] : 1; }
  public int height() { return shape.length >= 2 ? shape[shape.length - 2] : 1; }
  public int width() { return shape.length >= 1 ? shape[shape.length - 1] : 1; }

  @Override public boolean equals(Object o) {
    return o instanceof LayerInfo l && l.name.equals(name) && Arrays.equals(l.shape, shape);
  }

  @Override public int hashCode() { return name.hashCode(); }

  @Override public String toString() { return name + " " + Arrays.toString(shape); }
}
