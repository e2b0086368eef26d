package org.xcam.api;

import java.util.Arrays;

/**
 * A cut point of a model: its name, the shape methods see (without the batch axis, {@code [C, h, w]}) and how the
 * engine's raw activation is laid out ({@link LayerLayout}). For a convolutional layer both are {@code [C, h, w]};
 * for a transformer block the raw activation is tokens {@code [T, D]} or channels-last {@code [h, w, C]} and
 * {@link #shape()}, {@link #channels()}, {@link #height()} and {@link #width()} describe the spatial view
 * {@code [D, h, w]} (prefix tokens dropped). {@link LayerHook}s take and return {@link #rawShape()}.
 * The input itself is the layer named {@value #INPUT}.
 *
 * @param name   the layer's name
 * @param shape  the spatial view's shape {@code [D, h, w]} (channels-first: the activation's own shape)
 * @param layout the raw layout and the conversions to and from the view
 */
public record LayerInfo(String name, int[] shape, LayerLayout layout) {
  /** The name of the pseudo-layer that is the model's input. */
  public static final String INPUT = "input";

  public LayerInfo {
    shape = shape.clone();
    if (layout == null) layout = LayerLayout.channelsFirst(shape);
    if (layout.spatial() && !Arrays.equals(layout.viewShape(), shape)) {
      throw new IllegalArgumentException("layer '" + name + "': shape " + Arrays.toString(shape) + " is not the view "
          + Arrays.toString(layout.viewShape()) + " of " + layout);
    }
  }

  /** A channels-first layer whose activation is {@code shape} (without the batch axis). */
  public LayerInfo(String name, int[] shape) {
    this(name, shape, null);
  }

  /** A layer with the given raw layout; its shape is the layout's view. */
  public LayerInfo(String name, LayerLayout layout) {
    this(name, layout.spatial() ? layout.viewShape() : layout.rawShape(), layout);
  }

  @Override public int[] shape() { return shape.clone(); }

  /** The engine's activation shape without the batch axis (what {@link LayerHook#activation} returns per row). */
  public int[] rawShape() { return layout.rawShape(); }

  public int channels() { return shape.length >= 3 ? shape[shape.length - 3] : 1; }
  public int height() { return shape.length >= 2 ? shape[shape.length - 2] : 1; }
  public int width() { return shape.length >= 1 ? shape[shape.length - 1] : 1; }

  @Override public boolean equals(Object o) {
    return o instanceof LayerInfo l && l.name.equals(name) && Arrays.equals(l.shape, shape) && l.layout.equals(layout);
  }

  @Override public int hashCode() { return name.hashCode(); }

  @Override public String toString() {
    return name + " " + Arrays.toString(shape) + (layout.identity() ? "" : " (" + layout.spec() + " " + Arrays.toString(layout.rawShape()) + ")");
  }
}
