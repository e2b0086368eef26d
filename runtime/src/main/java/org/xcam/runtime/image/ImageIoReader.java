package org.xcam.runtime.image;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.spi.IIORegistry;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Tensor;
import org.xcam.api.image.DecodedImage;
import org.xcam.api.image.ImageReadOptions;
import org.xcam.api.image.ImageSource;
import org.xcam.api.spi.ImageReader;

/**
 * PNG and JPEG through {@link ImageIO}, decoded right or refused:
 * <ul>
 *   <li>pixels through the colour model ({@link Pixels}): every bit depth, palettes, colour spaces;</li>
 *   <li>CMYK and YCCK JPEGs through TwelveMonkeys' JPEG plugin (on the class path; the JDK's own reader hands back
 *       the four raw CMYK bands);</li>
 *   <li>decoder warnings that mean missing data ("premature end of data", "truncated") refuse the file: the JDK's
 *       JPEG decoder would otherwise fill the missing half with flat grey and carry on;</li>
 *   <li>memory: the decode's need is estimated from the header (width x height x bytes per pixel, raw plus our
 *       float planes). Over {@link ImageReadOptions#maxBytes()} the image is decoded with ImageIO's source
 *       subsampling (every s-th row and column), never below the model's input size, and a note says so; when even
 *       that does not fit, the file is refused with a one-line error, not an OutOfMemoryError.</li>
 * </ul>
 */
abstract class ImageIoReader implements ImageReader {
  /**
   * TwelveMonkeys registers through the class path's IIORegistry scan; make sure it is registered even when the
   * registry was first used under another context class loader (Spark executors, plugin loaders). Done on the first
   * read, not when the provider is instantiated (providers have no side effects).
   */
  private static final class TwelveMonkeys {
    static final boolean REGISTERED = register();

    private static boolean register() {
      try {
        IIORegistry.getDefaultInstance().registerServiceProvider(new com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi());
        return true;
      } catch (RuntimeException | LinkageError e) {
        return false;   // the JDK reader still reads all but CMYK/YCCK JPEGs, which then come out as converted by the JDK
      }
    }
  }

  /** The ImageIO format name. */
  abstract String format();

  @Override public List<DecodedImage> read(ImageSource source, ImageReadOptions options) {
    boolean registered = TwelveMonkeys.REGISTERED;
    try (ImageInputStream iis = stream(source)) {
      javax.imageio.ImageReader r = readerFor(iis, source);
      try {
        r.setInput(iis, true, false);
        int w = r.getWidth(0), h = r.getHeight(0);
        if (w <= 0 || h <= 0) throw corrupt(source, "image size " + w + "x" + h);
        List<String> notes = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        r.addIIOReadWarningListener((rd, msg) -> warnings.add(msg));
        ImageReadParam param = r.getDefaultReadParam();
        int s = subsampling(source, w, h, bytesPerPixel(r), options);
        if (s > 1) {
          param.setSourceSubsampling(s, s, 0, 0);
          notes.add(String.format(Locale.ROOT, "decoded 1 in %d rows and columns (%dx%d -> %dx%d): the full image needs about %d MiB,"
              + " over the %d MiB allowed (raise -Xmx for a full decode)", s, w, h, (w + s - 1) / s, (h + s - 1) / s,
              need(w, h, bytesPerPixel(r)) >> 20, options.maxBytes() >> 20));
        }
        BufferedImage img = r.read(0, param);
        for (String warning : warnings) {
          String lw = warning.toLowerCase(Locale.ROOT);
          if (lw.contains("premature") || lw.contains("truncat") || lw.contains("corrupt") || lw.contains("missing")) {
            throw new InvalidInputException(source.describe() + " is truncated or corrupt (" + oneLine(warning) + "); the decoder would"
                + " fill the missing part with grey: re-export or re-copy the image");
          }
          notes.add(format() + " decoder: " + oneLine(warning));
        }
        Tensor px = Pixels.of(img, notes);
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("format", name());
        meta.put("width", w);
        meta.put("height", h);
        meta.put("bitsPerSample", img.getColorModel().getComponentSize(0));
        if (s > 1) meta.put("subsampling", s);
        return List.of(new DecodedImage(px, false, w, h, notes, meta));
      } finally {
        r.dispose();
      }
    } catch (InvalidInputException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw corrupt(source, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    } catch (OutOfMemoryError e) {
      throw new InvalidInputException(source.describe() + " does not fit in memory when decoded; give the JVM more memory (-Xmx,"
          + " XCAM_JAVA_OPTS) or a smaller image");
    }
  }

  /** A random-access stream over a local file, or an in-memory cache over other sources (no temp files). */
  private static ImageInputStream stream(ImageSource source) throws IOException {
    if (source.path().isPresent() && source.path().get().getFileSystem() == java.nio.file.FileSystems.getDefault()) {
      return new FileImageInputStream(source.path().get().toFile());
    }
    InputStream in = source.open();
    return new MemoryCacheImageInputStream(in) {
      @Override public void close() throws IOException {
        try { super.close(); } finally { in.close(); }
      }
    };
  }

  private javax.imageio.ImageReader readerFor(ImageInputStream iis, ImageSource source) {
    Iterator<javax.imageio.ImageReader> it = ImageIO.getImageReaders(iis);
    javax.imageio.ImageReader chosen = null;
    while (it.hasNext()) {
      javax.imageio.ImageReader r = it.next();
      String[] names = r.getOriginatingProvider() == null ? new String[0] : r.getOriginatingProvider().getFormatNames();
      boolean ours = false;
      for (String n : names) ours |= n.equalsIgnoreCase(format());
      if (!ours) continue;
      if (chosen == null || r.getClass().getName().startsWith("com.twelvemonkeys")) chosen = r;
    }
    if (chosen == null) {
      it = ImageIO.getImageReadersByFormatName(format());
      if (it.hasNext()) chosen = it.next();
    }
    if (chosen == null) throw corrupt(source, "no " + format().toUpperCase(Locale.ROOT) + " decoder in this Java runtime");
    return chosen;
  }

  /** Bytes per pixel of the raw decode (at least the sample sizes of its first image type; 4 when unknown). */
  private static int bytesPerPixel(javax.imageio.ImageReader r) {
    try {
      ImageTypeSpecifier t = r.getRawImageType(0);
      if (t == null) {
        Iterator<ImageTypeSpecifier> types = r.getImageTypes(0);
        t = types.hasNext() ? types.next() : null;
      }
      if (t == null) return 4;
      int bits = 0;
      for (int b = 0; b < t.getNumBands(); b++) bits += Math.max(8, t.getSampleModel().getSampleSize(b));
      return Math.max(1, bits / 8);
    } catch (IOException | RuntimeException e) {
      return 4;
    }
  }

  /** Bytes a full decode holds at its peak: the raster twice (decode plus colour conversion) and three float planes. */
  static long need(long w, long h, int rawBytesPerPixel) {
    return w * h * (2L * rawBytesPerPixel + 12L);
  }

  /** The smallest subsampling factor that fits the budget; refuses when it would go below the model's input size. */
  static int subsampling(ImageSource source, int w, int h, int bpp, ImageReadOptions o) {
    long need = need(w, h, bpp);
    if (need <= o.maxBytes()) return 1;
    int s = (int) Math.ceil(Math.sqrt((double) need / o.maxBytes()));
    while (need(ceilDiv(w, s), ceilDiv(h, s), bpp) > o.maxBytes()) s++;
    int limit = Math.min(o.targetWidth() > 0 ? w / o.targetWidth() : Integer.MAX_VALUE,
        o.targetHeight() > 0 ? h / o.targetHeight() : Integer.MAX_VALUE);
    if (s > limit) {
      throw new InvalidInputException(String.format(Locale.ROOT, "%s is %dx%d: decoding it needs about %d MiB, over the %d MiB this run"
              + " may use, even subsampled to the model's input size; give the JVM more memory (-Xmx, XCAM_JAVA_OPTS) or a smaller image",
          source.describe(), w, h, need >> 20, o.maxBytes() >> 20));
    }
    return s;
  }

  private static int ceilDiv(int a, int b) { return (a + b - 1) / b; }

  InvalidInputException corrupt(ImageSource source, String why) {
    return new InvalidInputException("cannot decode " + source.describe() + " as " + format().toUpperCase(Locale.ROOT) + " ("
        + oneLine(why) + "); the file is corrupt, truncated or not a " + format().toUpperCase(Locale.ROOT) + " image");
  }

  static String oneLine(String s) {
    String t = s == null ? "" : s.replaceAll("\\s+", " ").trim();
    return t.length() > 200 ? t.substring(0, 200) + "..." : t;
  }
}
