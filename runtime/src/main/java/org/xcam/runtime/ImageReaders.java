package org.xcam.runtime;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import org.xcam.api.InvalidInputException;
import org.xcam.api.UnknownNameException;
import org.xcam.api.image.DecodedImage;
import org.xcam.api.image.ImageReadOptions;
import org.xcam.api.image.ImageSource;
import org.xcam.api.spi.ImageReader;

/**
 * The installed {@link ImageReader}s and the rule that picks one for a file: the readers that recognise its first
 * {@link ImageReader#HEAD_BYTES} bytes, else those that claim its extension; among several, the highest rank, then
 * the name. Reader option {@code reader=NAME} forces one. So a DICOM file without an extension is read by its
 * {@code DICM} preamble, and a PNG named {@code .jpg} is still read as PNG.
 */
public final class ImageReaders {
  private static final Map<ClassLoader, ImageReaders> CACHE = Collections.synchronizedMap(new WeakHashMap<>());
  private static final Comparator<ImageReader> ORDER =
      Comparator.comparingInt(ImageReader::rank).reversed().thenComparing(ImageReader::name);

  private final List<ImageReader> readers;

  private ImageReaders(Collection<ImageReader> readers) {
    List<ImageReader> l = new ArrayList<>(readers);
    l.sort(ORDER);
    this.readers = List.copyOf(l);
  }

  /** These readers only (tests, embedding). */
  public static ImageReaders of(Collection<ImageReader> readers) { return new ImageReaders(readers); }

  /** The readers a discovery found. */
  public static ImageReaders of(Discovery d) {
    List<ImageReader> l = new ArrayList<>();
    d.readers().values().forEach(p -> l.add((ImageReader) p.provider()));
    return new ImageReaders(l);
  }

  /** The readers on the context class loader's path (discovered once per loader). */
  public static ImageReaders installed() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    ClassLoader loader = cl == null ? ImageReaders.class.getClassLoader() : cl;
    return CACHE.computeIfAbsent(loader, l -> of(Discovery.scan(l)));
  }

  public List<ImageReader> all() { return readers; }

  /** The reader named {@code name}; an unknown name lists the installed ones. */
  public ImageReader reader(String name) {
    for (ImageReader r : readers) if (r.name().equals(name)) return r;
    throw UnknownNameException.of("image reader", name, readers.stream().map(ImageReader::name).toList(),
        "add the reader's jar to the class path (xcam list shows what is installed)");
  }

  /** The reader for {@code source} by magic bytes, then extension, if an installed one fits. */
  public Optional<ImageReader> find(ImageSource source, ImageReadOptions options) {
    String forced = options.option("reader");
    if (forced != null && !forced.isBlank()) return Optional.of(reader(forced.trim()));
    byte[] head = source.head(ImageReader.HEAD_BYTES);
    for (ImageReader r : readers) {
      if (safeRecognises(r, head)) return Optional.of(r);
    }
    String ext = source.extension();
    if (!ext.isEmpty()) {
      for (ImageReader r : readers) if (r.extensions().contains(ext)) return Optional.of(r);
    }
    return Optional.empty();
  }

  /** The reader for {@code source}, by magic bytes, then extension; a one-line error when none fits. */
  public ImageReader readerFor(ImageSource source, ImageReadOptions options) {
    Optional<ImageReader> found = find(source, options);
    if (found.isPresent()) return found.get();
    byte[] head = source.head(ImageReader.HEAD_BYTES);
    String ext = source.extension();
    if (head.length == 0) throw new InvalidInputException(source.describe() + " is empty (0 bytes); give an image file");
    List<String> exts = new ArrayList<>();
    for (ImageReader r : readers) r.extensions().forEach(e -> exts.add("." + e));
    throw new InvalidInputException("cannot read " + source.describe() + ": no installed image reader knows this format ("
        + (ext.isEmpty() ? "no extension" : "." + ext) + ", unknown signature); readers: " + String.join(", ", exts)
        + (hasDicom() ? "" : "; DICOM needs the plugins-dicom jar"));
  }

  private boolean hasDicom() { return readers.stream().anyMatch(r -> r.extensions().contains("dcm")); }

  private static boolean safeRecognises(ImageReader r, byte[] head) {
    try {
      return r.recognises(head.clone());
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Decodes {@code source} with the reader {@link #readerFor} picks. */
  public List<DecodedImage> read(ImageSource source, ImageReadOptions options) {
    ImageReader r = readerFor(source, options);
    List<DecodedImage> out;
    try {
      out = r.read(source, options);
    } catch (InvalidInputException e) {
      throw e;
    } catch (OutOfMemoryError e) {
      throw new InvalidInputException(source.describe() + " does not fit in memory when decoded by the '" + r.name()
          + "' reader; give the JVM more memory (-Xmx, XCAM_JAVA_OPTS) or a smaller image");
    } catch (RuntimeException e) {
      throw new InvalidInputException("cannot decode " + source.describe() + " with the '" + r.name() + "' reader ("
          + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); the file is corrupt or"
          + " the reader has a bug", e);
    }
    if (out == null || out.isEmpty()) {
      throw new InvalidInputException("the '" + r.name() + "' reader found no image in " + source.describe());
    }
    return out;
  }
}
