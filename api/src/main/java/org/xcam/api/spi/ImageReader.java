package org.xcam.api.spi;

import java.util.List;
import java.util.Set;
import org.xcam.api.image.DecodedImage;
import org.xcam.api.image.ImageReadOptions;
import org.xcam.api.image.ImageSource;

/**
 * Reads one image format, found with {@link java.util.ServiceLoader} through
 * {@code META-INF/services/org.xcam.api.spi.ImageReader}. Public no-arg constructor, no static side effects. xcam's
 * own readers are {@code png}, {@code jpeg} and {@code npy} (runtime) and {@code dicom} (the plugins-dicom jar); a lab
 * adds a format (e.g. DICOM through dcm4che, which is not on Maven Central) by dropping its jar into {@code plugins/}.
 *
 * <pre>{@code
 * public final class PgmReader implements ImageReader {
 *   public String name() { return "pgm"; }
 *   public Set<String> extensions() { return Set.of("pgm"); }
 *   public boolean recognises(byte[] head) { return head.length >= 2 && head[0] == 'P' && head[1] == '5'; }
 *   public List<DecodedImage> read(ImageSource src, ImageReadOptions o) {
 *     float[] gray = ...;   // what a viewer shows, in [0,1]
 *     return List.of(DecodedImage.pixels(Tensor.wrap(gray, 1, h, w), List.of(), Map.of("format", "pgm")));
 *   }
 * }
 * }</pre>
 *
 * <p>Which reader reads a file: those that {@linkplain #recognises recognise} its first {@link #HEAD_BYTES} bytes,
 * else those that claim its {@linkplain #extensions extension}; among several, the highest {@link #rank()}, then
 * the name. Errors are {@link org.xcam.api.InvalidInputException}s with one line that names the file, the reason and
 * the fix. A reader must decode right or refuse: never hand on pixels it is unsure of (a truncated file, a colour
 * space it cannot convert). {@link DecodedImage#metadata()} and notes are written to outputs: never put patient data
 * in them.
 */
public interface ImageReader {
  /** How many leading bytes {@link #recognises} is shown. */
  int HEAD_BYTES = 512;

  /** An id, e.g. {@code dicom}. */
  String name();

  /** File extensions in lower case without the dot, e.g. {@code dcm}; may be empty (magic bytes only). */
  Set<String> extensions();

  /** True when {@code head} (the first up to {@link #HEAD_BYTES} bytes) is this format's signature. Cheap. */
  boolean recognises(byte[] head);

  /**
   * Decodes the source: one image, or several for a batched format (a {@code [N,C,H,W]} {@code .npy}).
   *
   * @throws org.xcam.api.InvalidInputException with a one-line message when the file cannot be decoded right
   */
  List<DecodedImage> read(ImageSource source, ImageReadOptions options);

  /** One line for {@code xcam list}. */
  default String description() { return name(); }

  /** Preference when several readers can read a file: higher wins (xcam's own readers use 0). */
  default int rank() { return 0; }
}
