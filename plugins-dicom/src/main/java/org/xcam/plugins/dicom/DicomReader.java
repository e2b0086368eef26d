package org.xcam.plugins.dicom;

import ij.Prefs;
import ij.plugin.DICOM;
import ij.process.ImageProcessor;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Tensor;
import org.xcam.api.image.DecodedImage;
import org.xcam.api.image.ImageReadOptions;
import org.xcam.api.image.ImageSource;
import org.xcam.api.spi.ImageReader;

/**
 * Uncompressed grayscale DICOM, as a PACS exports chest X-rays, read with ImageJ's {@code ij.plugin.DICOM} (headless)
 * and turned into what a radiology viewer shows, in [0,1]:
 *
 * <pre>
 *   stored value  s   (8, 12 or 16 bits stored, signed or not; bits above BitsStored masked off)
 *   modality      m = s * RescaleSlope + RescaleIntercept
 *   VOI window    y = LINEAR / LINEAR_EXACT / SIGMOID window of m (DICOM PS3.3 C.11.2.1.2-3), scaled to [0,1]
 *   MONOCHROME1   y = 1 - y  (so every image is MONOCHROME2: white = high)
 * </pre>
 *
 * The window: {@code window=C,W} (reader option; the CLI's {@code --window C,W}), else {@code window=minmax} (the
 * image's own min and max), else {@code window=full} or, with no option, the file's first Window Center/Width pair,
 * else the full range of the stored bits after rescale (an 8-bit MONOCHROME2 file then gives exactly the pixels of the
 * same image saved as an 8-bit PNG). The windowed image is what the model's input spec receives.
 *
 * <p>Refused, each with one line naming the reason and the fix: compressed transfer syntaxes (named, with the DCMTK
 * or GDCM command that decompresses them), deflated and big-endian files, multi-frame images, colour DICOM, files that
 * are not DICOM, truncated pixel data, a Modality LUT Sequence, and a VOI LUT Sequence without a window to use instead.
 *
 * <p><b>No patient data.</b> Only technical attributes are read ({@link DicomHeader}); the metadata handed on holds
 * transfer syntax, photometric interpretation, bits, rescale, the window used, pixel spacing and size, nothing else.
 * ImageJ's own header text (which includes patient data) is never read.
 *
 * <p>ImageJ is driven through static state ({@link Prefs#fixedDicomScaling}, which must be set or a file with
 * RescaleSlope != 1 makes ImageJ run a GUI command and throw a HeadlessException), so its decode is serialised.
 */
public final class DicomReader implements ImageReader {
  private static final Object IMAGEJ = new Object();

  @Override public String name() { return "dicom"; }
  @Override public Set<String> extensions() { return Set.of("dcm", "dicom", "dic"); }
  @Override public String description() {
    return "uncompressed grayscale DICOM (ImageJ): MONOCHROME1/2, 8-16 bits, rescale, windows; no patient data read";
  }

  @Override public boolean recognises(byte[] head) { return DicomHeader.hasPreamble(head); }

  @Override public List<DecodedImage> read(ImageSource source, ImageReadOptions options) {
    String file = source.describe();
    Window requested = Window.parse(options.option("window"));
    byte[] bytes = source.readAll(Math.max(1, options.maxBytes() / 3));
    DicomHeader h = DicomHeader.parse(bytes, file);
    check(h, file, bytes.length, options);
    int[] stored = decode(bytes, h, source.name(), file);
    return List.of(toImage(h, stored, requested, file));
  }

  /** Everything that is refused, before any pixel is decoded. */
  private static void check(DicomHeader h, String file, long size, ImageReadOptions options) {
    String ts = h.transferSyntax;
    String[] syntax = DicomHeader.SYNTAXES.get(ts);
    if (!ts.equals(DicomHeader.IMPLICIT_LE) && !ts.equals(DicomHeader.EXPLICIT_LE)) {
      String tool = syntax == null ? null : syntax[1];
      String how = tool == null ? "convert it to uncompressed explicit VR little endian (dcmconv +te in.dcm out.dcm)"
          : tool.startsWith("dcmconv") ? "convert it first (" + tool + " in.dcm out.dcm)"
          : "decompress it first (" + tool + " in.dcm out.dcm" + (tool.startsWith("gdcm") ? "" : ", or gdcmconv --raw in.dcm out.dcm") + ")";
      throw new InvalidInputException(file + " uses the transfer syntax " + (syntax == null ? "with UID" : syntax[0] + " (")
          + ts + (syntax == null ? "" : ")") + ", which xcam's DICOM reader does not decode; " + how
          + " or install a reader plugin for it (e.g. one built on dcm4che)");
    }
    if (h.pixelOffset < 0) {
      throw new InvalidInputException(file + " has no pixel data (a DICOM file without an image, e.g. a report or a structured"
          + " document); give the image's DICOM file");
    }
    if (h.pixelLength == 0xFFFFFFFFL) {
      throw new InvalidInputException(file + " has encapsulated (compressed) pixel data although its transfer syntax says "
          + h.syntaxName() + "; re-export it uncompressed (dcmconv +te in.dcm out.dcm)");
    }
    if (h.floatPixels) {
      throw new InvalidInputException(file + " stores floating-point pixel data, which this reader does not read; export it as"
          + " integer pixels or a 16-bit PNG");
    }
    String pi = h.photometric.toUpperCase(Locale.ROOT);
    if (h.samplesPerPixel != 1 || !(pi.equals("MONOCHROME1") || pi.equals("MONOCHROME2"))) {
      throw new InvalidInputException(file + " is colour DICOM (" + (pi.isEmpty() ? "?" : pi) + ", " + h.samplesPerPixel
          + " samples per pixel); xcam reads grayscale MONOCHROME1/MONOCHROME2 DICOM: convert it to grayscale, or give a PNG/JPEG");
    }
    if (h.frames > 1) {
      throw new InvalidInputException(file + " is a multi-frame image (" + h.frames + " frames); xcam explains single images:"
          + " export the frame you want as its own DICOM file or PNG");
    }
    if (h.rows <= 0 || h.columns <= 0) {
      throw new InvalidInputException(file + " has no valid image size (rows " + h.rows + ", columns " + h.columns + "); the header"
          + " is corrupt: re-export it");
    }
    if (h.bitsAllocated != 8 && h.bitsAllocated != 16) {
      throw new InvalidInputException(file + " has " + h.bitsAllocated + " bits allocated per pixel; this reader reads 8 or 16:"
          + " export it with 8 or 16 bits");
    }
    if (h.bitsStored < 1 || h.bitsStored > h.bitsAllocated) {
      throw new InvalidInputException(file + " says " + h.bitsStored + " bits stored in " + h.bitsAllocated + " allocated; the header"
          + " is corrupt: re-export it");
    }
    if (h.bitsAllocated == 8 && h.pixelRepresentation == 1) {
      throw new InvalidInputException(file + " has signed 8-bit pixels, which this reader does not read; export 8-bit unsigned or"
          + " 16-bit pixels");
    }
    if (!(h.rescaleSlope != 0 && Double.isFinite(h.rescaleSlope) && Double.isFinite(h.rescaleIntercept))) {
      throw new InvalidInputException(file + " has an unusable rescale (slope " + h.rescaleSlope + ", intercept "
          + h.rescaleIntercept + "); fix the header");
    }
    if (h.hasModalityLutSequence) {
      throw new InvalidInputException(file + " maps its pixels with a Modality LUT Sequence, which this reader does not apply;"
          + " export it with rescale slope/intercept, or as a PNG rendered by the PACS");
    }
    long need = (long) h.rows * h.columns * (h.bitsAllocated / 8);
    if (h.pixelLength < need || h.pixelOffset + need > size) {
      throw new InvalidInputException(file + " is truncated: its pixel data holds " + Math.min(h.pixelLength, size - h.pixelOffset)
          + " bytes of the " + need + " a " + h.columns + "x" + h.rows + " image needs; re-export or re-copy it");
    }
    long mem = (long) h.rows * h.columns * (2L * h.bitsAllocated / 8 + 8);
    if (mem > options.maxBytes()) {
      throw new InvalidInputException(file + " is " + h.columns + "x" + h.rows + ": decoding it needs about " + (mem >> 20)
          + " MiB, over the " + (options.maxBytes() >> 20) + " MiB this run may use; give the JVM more memory (-Xmx, XCAM_JAVA_OPTS)");
    }
  }

  /** The stored values, decoded by ImageJ, masked to BitsStored and sign-extended. */
  private static int[] decode(byte[] bytes, DicomHeader h, String name, String file) {
    Object pixels;
    int w, hh;
    synchronized (IMAGEJ) {
      boolean fixed = Prefs.fixedDicomScaling;
      Prefs.fixedDicomScaling = true;   // else slope != 1 runs ImageJ's "32-bit" GUI command: HeadlessException
      try {
        DICOM d = new DICOM(new ByteArrayInputStream(bytes));
        d.open(name.isEmpty() ? "image.dcm" : name);
        w = d.getWidth();
        hh = d.getHeight();
        ImageProcessor ip = w > 0 ? d.getProcessor() : null;
        pixels = ip == null ? null : ip.getPixels();
      } catch (RuntimeException | LinkageError e) {
        throw new InvalidInputException("ImageJ could not decode " + file + " (" + e.getClass().getSimpleName() + "); the file is"
            + " corrupt or an unusual encoding: re-export it uncompressed (dcmconv +te in.dcm out.dcm)", e);
      } finally {
        Prefs.fixedDicomScaling = fixed;
      }
    }
    if (pixels == null || w != h.columns || hh != h.rows) {
      throw new InvalidInputException("ImageJ could not decode " + file + " (it read a " + w + "x" + hh + " image where the header"
          + " says " + h.columns + "x" + h.rows + "); re-export it uncompressed (dcmconv +te in.dcm out.dcm)");
    }
    int n = w * hh;
    int[] out = new int[n];
    int bits = h.bitsStored;
    int mask = bits >= 32 ? -1 : (1 << bits) - 1;
    boolean signed = h.pixelRepresentation == 1;
    if (pixels instanceof byte[] px && px.length == n) {
      for (int i = 0; i < n; i++) out[i] = (px[i] & 0xff) & mask;
    } else if (pixels instanceof short[] px && px.length == n) {
      for (int i = 0; i < n; i++) {
        int raw = px[i] & 0xffff;
        if (signed) raw = (raw - 32768) & 0xffff;       // ImageJ stores signed 16-bit data + 32768
        int v = raw & mask;
        if (signed && (v & (1 << (bits - 1))) != 0) v -= 1 << bits;   // sign-extend from BitsStored
        out[i] = v;
      }
    } else {
      throw new InvalidInputException("ImageJ decoded " + file + " as " + (pixels == null ? "nothing" : pixels.getClass().getSimpleName())
          + ", not 8/16-bit gray; re-export it as uncompressed 8- or 16-bit grayscale DICOM");
    }
    return out;
  }

  private static DecodedImage toImage(DicomHeader h, int[] stored, Window requested, String file) {
    double slope = h.rescaleSlope, intercept = h.rescaleIntercept;
    boolean signed = h.pixelRepresentation == 1;
    long sMin = signed ? -(1L << (h.bitsStored - 1)) : 0, sMax = signed ? (1L << (h.bitsStored - 1)) - 1 : (1L << h.bitsStored) - 1;
    double fullLo = Math.min(sMin * slope + intercept, sMax * slope + intercept);
    double fullHi = Math.max(sMin * slope + intercept, sMax * slope + intercept);
    boolean mono1 = h.photometric.equalsIgnoreCase("MONOCHROME1");
    List<String> notes = new ArrayList<>();
    Map<String, Object> window = new LinkedHashMap<>();
    Window w = requested;
    if (w == null && h.windowCenters.length > 0 && h.windowWidths.length > 0) {
      String fn = h.voiFunction.isEmpty() ? "LINEAR" : h.voiFunction;
      if (!fn.equals("LINEAR") && !fn.equals("LINEAR_EXACT") && !fn.equals("SIGMOID")) {
        throw new InvalidInputException(file + " has the VOI LUT function '" + fn + "', which is not LINEAR, LINEAR_EXACT or SIGMOID;"
            + " choose a window: --window C,W, --window minmax or --window full");
      }
      w = Window.linear(h.windowCenters[0], h.windowWidths[0], fn, "file");
      if (!w.valid()) {
        throw new InvalidInputException(file + " has an invalid window (centre " + h.windowCenters[0] + ", width " + h.windowWidths[0]
            + ": a " + fn + " window needs width " + (fn.equals("LINEAR") ? ">= 1" : "> 0") + "); choose one: --window C,W,"
            + " --window minmax or --window full");
      }
      if (h.windowCenters.length > 1) notes.add("the file has " + h.windowCenters.length + " windows: the first is used");
    } else if (w == null && h.hasVoiLutSequence) {
      throw new InvalidInputException(file + " defines its display with a VOI LUT Sequence, which this reader does not apply;"
          + " choose a window: --window C,W, --window minmax or --window full");
    }
    if (w == null) w = Window.FULL;
    int n = stored.length;
    double[] m = new double[n];
    double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      m[i] = stored[i] * slope + intercept;
      min = Math.min(min, m[i]);
      max = Math.max(max, m[i]);
    }
    float[] y = new float[n];
    switch (w.kind) {
      case "full" -> {
        double range = fullHi - fullLo;
        for (int i = 0; i < n; i++) y[i] = (float) (mono1 ? (fullHi - m[i]) / range : (m[i] - fullLo) / range);
        window.put("source", "full range of the stored bits");
        window.put("low", fullLo);
        window.put("high", fullHi);
        notes.add("no window: the full range of the " + h.bitsStored + " stored bits" + rescaleWords(slope, intercept) + " maps to [0,1]");
      }
      case "minmax" -> {
        double range = max - min;
        for (int i = 0; i < n; i++) y[i] = range == 0 ? 0f : (float) (mono1 ? (max - m[i]) / range : (m[i] - min) / range);
        window.put("source", "minmax");
        window.put("low", min);
        window.put("high", max);
        notes.add("window minmax: the image's values " + fmt(min) + ".." + fmt(max) + " map to [0,1]"
            + (range == 0 ? " (a constant image: all 0)" : ""));
      }
      default -> {
        for (int i = 0; i < n; i++) {
          double v = w.apply(m[i]);
          y[i] = (float) (mono1 ? 1 - v : v);
        }
        window.put("source", w.source);
        window.put("center", w.center);
        window.put("width", w.width);
        window.put("function", w.function);
        notes.add("window centre " + fmt(w.center) + " width " + fmt(w.width) + " (" + w.function + ", from the " + w.source + ")");
      }
    }
    if (mono1) notes.add("MONOCHROME1 inverted to MONOCHROME2");
    if (h.bitsStored < h.bitsAllocated) notes.add(h.bitsStored + " of " + h.bitsAllocated + " bits stored: higher bits ignored");
    if (slope != 1 || intercept != 0) notes.add("rescale: slope " + fmt(slope) + ", intercept " + fmt(intercept));
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("format", "dicom");
    meta.put("transferSyntax", h.transferSyntax);
    meta.put("transferSyntaxName", h.syntaxName());
    meta.put("photometricInterpretation", h.photometric.toUpperCase(Locale.ROOT));
    meta.put("bitsAllocated", h.bitsAllocated);
    meta.put("bitsStored", h.bitsStored);
    meta.put("signed", signed);
    meta.put("rescale", Map.of("slope", slope, "intercept", intercept));
    meta.put("window", window);
    if (h.pixelSpacing != null && h.pixelSpacing.length > 0) {
      meta.put("pixelSpacingMm", Arrays.stream(h.pixelSpacing).boxed().toList());
      meta.put("pixelSpacingFrom", h.pixelSpacingSource);
    }
    meta.put("size", List.of(h.columns, h.rows));
    return DecodedImage.pixels(Tensor.wrap(y, 1, h.rows, h.columns), notes, meta);
  }

  private static String rescaleWords(double slope, double intercept) {
    return slope == 1 && intercept == 0 ? "" : " after rescale";
  }

  static String fmt(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.6g", v);
  }

  /** A VOI window: LINEAR, LINEAR_EXACT or SIGMOID (PS3.3 C.11.2.1.2-3) with output range [0,1]; or minmax/full. */
  static final class Window {
    static final Window FULL = new Window("full", 0, 0, "", "");
    static final Window MINMAX = new Window("minmax", 0, 0, "", "option");
    final String kind;
    final double center;
    final double width;
    final String function;
    final String source;

    private Window(String kind, double center, double width, String function, String source) {
      this.kind = kind;
      this.center = center;
      this.width = width;
      this.function = function;
      this.source = source;
    }

    static Window linear(double c, double w, String function, String source) { return new Window("window", c, w, function, source); }

    boolean valid() {
      return Double.isFinite(center) && Double.isFinite(width) && (function.equals("LINEAR") ? width >= 1 : width > 0);
    }

    /** The reader option {@code window}: null (the file's), {@code C,W}, {@code minmax} or {@code full}. */
    static Window parse(String option) {
      if (option == null || option.isBlank()) return null;
      String o = option.trim().toLowerCase(Locale.ROOT);
      if (o.equals("minmax")) return MINMAX;
      if (o.equals("full")) return FULL;
      String[] p = o.split(",");
      if (p.length == 2) {
        try {
          Window w = linear(Double.parseDouble(p[0].trim()), Double.parseDouble(p[1].trim()), "LINEAR", "option");
          if (w.valid()) return w;
        } catch (NumberFormatException ignored) {
          // falls through to the error
        }
      }
      throw new InvalidInputException("--window '" + option + "' is not a window: use C,W with width >= 1 (e.g. --window 2048,4096),"
          + " --window minmax or --window full");
    }

    /** PS3.3 C.11.2.1.2.1 (LINEAR), C.11.2.1.3.2 (LINEAR_EXACT), C.11.2.1.3.1 (SIGMOID), with y in [0,1]. */
    double apply(double x) {
      switch (function) {
        case "SIGMOID":
          return 1 / (1 + Math.exp(-4 * (x - center) / width));
        case "LINEAR_EXACT":
          if (x <= center - width / 2) return 0;
          if (x > center + width / 2) return 1;
          return (x - center) / width + 0.5;
        default:
          double c = center - 0.5, w = width - 1;
          if (x <= c - w / 2) return 0;
          if (x > c + w / 2) return 1;
          return (x - c) / w + 0.5;
      }
    }
  }
}
