package org.xcam.api.image;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a reader is told besides the bytes.
 *
 * @param targetHeight the model's input height (0 when unknown): a reader that must shrink an image to fit in memory
 *                     decodes no smaller than this
 * @param targetWidth  the model's input width (0 when unknown)
 * @param maxBytes     the memory a decode may take; a reader estimates its need from the header and either decodes
 *                     subsampled (saying so in a note) or refuses with a one-line error, never an OutOfMemoryError
 * @param options      reader options from the user, e.g. {@code window=40,400} or {@code window=minmax} for DICOM;
 *                     readers ignore keys they do not know
 */
public record ImageReadOptions(int targetHeight, int targetWidth, long maxBytes, Map<String, String> options) {
  public ImageReadOptions {
    if (targetHeight < 0 || targetWidth < 0) throw new IllegalArgumentException("target size must be >= 0");
    if (maxBytes <= 0) throw new IllegalArgumentException("maxBytes must be > 0");
    options = Map.copyOf(options);
  }

  /** No target size, half of the heap that is free now, no options. */
  public static ImageReadOptions defaults() { return new ImageReadOptions(0, 0, defaultMaxBytes(), Map.of()); }

  /** Half of the heap that is free now (at least 64 MiB). */
  public static long defaultMaxBytes() {
    Runtime rt = Runtime.getRuntime();
    long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    return Math.max(64L << 20, free / 2);
  }

  /** The option, or null. */
  public String option(String key) { return options.get(key); }

  public ImageReadOptions withTarget(int height, int width) { return new ImageReadOptions(height, width, maxBytes, options); }

  public ImageReadOptions withMaxBytes(long bytes) { return new ImageReadOptions(targetHeight, targetWidth, bytes, options); }

  public ImageReadOptions withOption(String key, String value) {
    Map<String, String> m = new LinkedHashMap<>(options);
    m.put(key, value);
    return new ImageReadOptions(targetHeight, targetWidth, maxBytes, m);
  }
}
