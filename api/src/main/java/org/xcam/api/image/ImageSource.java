package org.xcam.api.image;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.xcam.api.InvalidInputException;

/**
 * Where an image's bytes come from: a file, or bytes with a file name (e.g. a file a Spark job read from a Hadoop file
 * system). The name gives the extension (for choosing a reader) and the stem (for naming outputs); it is never
 * parsed for anything else.
 *
 * <pre>{@code
 * ImageSource a = ImageSource.of(Path.of("cxr/00013911_000.png"));
 * ImageSource b = ImageSource.of("00013911_000.dcm", bytes);
 * }</pre>
 */
public final class ImageSource {
  private final String name;
  private final Path path;
  private final byte[] bytes;

  private ImageSource(String name, Path path, byte[] bytes) {
    this.name = name;
    this.path = path;
    this.bytes = bytes;
  }

  /** A file; it must exist and be a regular file (else a one-line error naming the path). */
  public static ImageSource of(Path path) {
    Objects.requireNonNull(path, "path");
    if (!Files.isRegularFile(path)) {
      throw new InvalidInputException(Files.isDirectory(path) ? "image " + path + " is a directory, not a file; give image files"
          : "no such image: " + path + "; check the path");
    }
    Path file = path.getFileName();
    return new ImageSource(file == null ? path.toString() : file.toString(), path, null);
  }

  /**
   * Bytes with the name of the file they came from (only the last path segment is kept, e.g.
   * {@code hdfs://nn/cxr/a.dcm} gives {@code a.dcm}). The array is not copied: do not change it afterwards.
   */
  public static ImageSource of(String name, byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    String n = name == null ? "" : name.replace('\\', '/');
    int slash = n.lastIndexOf('/');
    if (slash >= 0) n = n.substring(slash + 1);
    if (n.isBlank()) throw new InvalidInputException("an image given as bytes needs a file name (for its format and output names)");
    return new ImageSource(n, null, bytes);
  }

  /** The file name, e.g. {@code 00013911_000.png}. */
  public String name() { return name; }

  /** The file, when the source is one. */
  public Optional<Path> path() { return Optional.ofNullable(path); }

  /** For messages: the path as given, or the name. */
  public String describe() { return path != null ? path.toString() : name; }

  /** The extension in lower case without the dot ({@code ""} when there is none). */
  public String extension() {
    int dot = name.lastIndexOf('.');
    return dot <= 0 || dot == name.length() - 1 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
  }

  /** The name without its extension (the whole name when it has none). */
  public String stem() {
    int dot = name.lastIndexOf('.');
    return dot <= 0 ? name : name.substring(0, dot);
  }

  /** The size in bytes. */
  public long size() {
    if (bytes != null) return bytes.length;
    try {
      return Files.size(path);
    } catch (IOException e) {
      throw new InvalidInputException("cannot read " + path + " (" + e.getMessage() + "); check the file's permissions", e);
    }
  }

  /** A new stream over the bytes; the caller closes it. */
  public InputStream open() {
    if (bytes != null) return new ByteArrayInputStream(bytes);
    try {
      return Files.newInputStream(path);
    } catch (IOException e) {
      throw new InvalidInputException("cannot read " + path + " (" + e.getMessage() + "); check the file's permissions", e);
    }
  }

  /** Up to {@code n} leading bytes (fewer for a shorter source), for recognising a format by its magic bytes. */
  public byte[] head(int n) {
    if (bytes != null) return Arrays.copyOf(bytes, Math.min(n, bytes.length));
    try (InputStream in = open()) {
      return in.readNBytes(n);
    } catch (IOException e) {
      throw new InvalidInputException("cannot read " + path + " (" + e.getMessage() + "); check the file's permissions", e);
    }
  }

  /**
   * All bytes; a source larger than {@code maxBytes} is refused with a one-line error (so a reader that needs the
   * whole file in memory never dies of an OutOfMemoryError).
   */
  public byte[] readAll(long maxBytes) {
    long size = size();
    if (size > maxBytes) {
      throw new InvalidInputException(describe() + " is " + size / (1 << 20) + " MiB, more than the " + maxBytes / (1 << 20)
          + " MiB this reader may hold in memory; give the JVM more memory (-Xmx, XCAM_JAVA_OPTS) or a smaller file");
    }
    if (bytes != null) return bytes;
    try {
      return Files.readAllBytes(path);
    } catch (IOException e) {
      throw new InvalidInputException("cannot read " + path + " (" + e.getMessage() + "); check the file's permissions", e);
    } catch (OutOfMemoryError e) {
      throw new InvalidInputException(describe() + " (" + size / (1 << 20) + " MiB) does not fit in memory; give the JVM more memory (-Xmx)");
    }
  }

  @Override public String toString() { return describe(); }
}
