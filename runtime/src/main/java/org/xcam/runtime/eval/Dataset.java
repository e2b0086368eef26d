package org.xcam.runtime.eval;

import java.util.Iterator;
import java.util.List;
import org.xcam.api.InputSpec;

/**
 * A labelled image set read lazily: entries are cheap handles, {@link Entry#load} reads one image (so memory stays
 * flat in the number of images). Made by {@link Datasets#parse}.
 */
public interface Dataset {
  /** The spec it was made from, for manifests. */
  String spec();

  /** Number of entries, or -1 when unknown before reading. */
  int size();

  /** The entries in a stable order. */
  Iterator<Entry> entries();

  /** One image of the set. */
  interface Entry {
    String id();

    /**
     * Reads the image and its ground truth for a model taking {@code spec} with {@code labels}.
     *
     * @throws org.xcam.api.InvalidInputException when the image is missing or unreadable (the harness reports the
     *         row and goes on)
     */
    Sample load(InputSpec spec, List<String> labels);
  }
}
