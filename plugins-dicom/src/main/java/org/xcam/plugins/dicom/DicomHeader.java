package org.xcam.plugins.dicom;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.xcam.api.InvalidInputException;

/**
 * The technical attributes of a DICOM Part 10 file (or a bare dataset without preamble), read from an allow-list of
 * tags; every other element is skipped unread, so patient data (names, IDs, dates, institutions, free text) is never
 * decoded into a string, let alone kept.
 *
 * <p>Why our own header walk and not ImageJ's: ImageJ's decoder keeps the <em>last</em> window pair (the issue wants
 * the first), renders the whole header, patient data included, into one text property, and gives no structured
 * reason for what it cannot read. Here the header decides what is refused (compressed transfer syntaxes by name,
 * multi-frame, colour) before ImageJ decodes the pixels.
 *
 * <p>Handles explicit and implicit VR little endian, sequences of defined and undefined length (skipped), and stops at
 * the top-level Pixel Data element.
 */
final class DicomHeader {
  static final String IMPLICIT_LE = "1.2.840.10008.1.2";
  static final String EXPLICIT_LE = "1.2.840.10008.1.2.1";
  static final String DEFLATED = "1.2.840.10008.1.2.1.99";
  static final String EXPLICIT_BE = "1.2.840.10008.1.2.2";
  static final String RLE = "1.2.840.10008.1.2.5";

  /** Transfer syntax names (DICOM PS3.6 Table A-1) and the tool that decompresses each. */
  static final Map<String, String[]> SYNTAXES = Map.ofEntries(
      Map.entry(IMPLICIT_LE, new String[] {"Implicit VR Little Endian", null}),
      Map.entry(EXPLICIT_LE, new String[] {"Explicit VR Little Endian", null}),
      Map.entry(DEFLATED, new String[] {"Deflated Explicit VR Little Endian", "dcmconv +te"}),
      Map.entry(EXPLICIT_BE, new String[] {"Explicit VR Big Endian (retired)", "dcmconv +te"}),
      Map.entry("1.2.840.10008.1.2.4.50", new String[] {"JPEG Baseline (Process 1)", "dcmdjpeg"}),
      Map.entry("1.2.840.10008.1.2.4.51", new String[] {"JPEG Extended (Process 2 & 4)", "dcmdjpeg"}),
      Map.entry("1.2.840.10008.1.2.4.57", new String[] {"JPEG Lossless, Non-Hierarchical (Process 14)", "dcmdjpeg"}),
      Map.entry("1.2.840.10008.1.2.4.70", new String[] {"JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, SV1)", "dcmdjpeg"}),
      Map.entry("1.2.840.10008.1.2.4.80", new String[] {"JPEG-LS Lossless", "dcmdjpls"}),
      Map.entry("1.2.840.10008.1.2.4.81", new String[] {"JPEG-LS Lossy (Near-Lossless)", "dcmdjpls"}),
      Map.entry("1.2.840.10008.1.2.4.90", new String[] {"JPEG 2000 (Lossless Only)", "gdcmconv --raw"}),
      Map.entry("1.2.840.10008.1.2.4.91", new String[] {"JPEG 2000", "gdcmconv --raw"}),
      Map.entry("1.2.840.10008.1.2.4.92", new String[] {"JPEG 2000 Part 2 Multi-component (Lossless Only)", "gdcmconv --raw"}),
      Map.entry("1.2.840.10008.1.2.4.93", new String[] {"JPEG 2000 Part 2 Multi-component", "gdcmconv --raw"}),
      Map.entry("1.2.840.10008.1.2.4.201", new String[] {"High-Throughput JPEG 2000 (Lossless Only)", "gdcmconv --raw"}),
      Map.entry("1.2.840.10008.1.2.4.202", new String[] {"High-Throughput JPEG 2000 with RPCL (Lossless Only)", "gdcmconv --raw"}),
      Map.entry("1.2.840.10008.1.2.4.203", new String[] {"High-Throughput JPEG 2000", "gdcmconv --raw"}),
      Map.entry("1.2.840.10008.1.2.4.110", new String[] {"JPEG XL Lossless", "gdcmconv --raw"}),
      Map.entry("1.2.840.10008.1.2.4.111", new String[] {"JPEG XL JPEG Recompression", "gdcmconv --raw"}),
      Map.entry("1.2.840.10008.1.2.4.112", new String[] {"JPEG XL", "gdcmconv --raw"}),
      Map.entry(RLE, new String[] {"RLE Lossless", "dcmdrle"}));

  // the allow-list
  private static final int TRANSFER_SYNTAX = 0x00020010;
  private static final int SAMPLES_PER_PIXEL = 0x00280002;
  private static final int PHOTOMETRIC = 0x00280004;
  private static final int NUMBER_OF_FRAMES = 0x00280008;
  private static final int ROWS = 0x00280010;
  private static final int COLUMNS = 0x00280011;
  private static final int PIXEL_SPACING = 0x00280030;
  private static final int IMAGER_PIXEL_SPACING = 0x00181164;
  private static final int BITS_ALLOCATED = 0x00280100;
  private static final int BITS_STORED = 0x00280101;
  private static final int PIXEL_REPRESENTATION = 0x00280103;
  private static final int WINDOW_CENTER = 0x00281050;
  private static final int WINDOW_WIDTH = 0x00281051;
  private static final int RESCALE_INTERCEPT = 0x00281052;
  private static final int RESCALE_SLOPE = 0x00281053;
  private static final int VOI_LUT_FUNCTION = 0x00281056;
  private static final int MODALITY_LUT_SEQUENCE = 0x00283000;
  private static final int VOI_LUT_SEQUENCE = 0x00283010;
  private static final int PIXEL_DATA = 0x7FE00010;
  private static final int FLOAT_PIXEL_DATA = 0x7FE00008;
  private static final int DOUBLE_PIXEL_DATA = 0x7FE00009;
  private static final int ITEM = 0xFFFEE000;
  private static final int ITEM_END = 0xFFFEE00D;
  private static final int SEQUENCE_END = 0xFFFEE0DD;
  private static final long UNDEFINED = 0xFFFFFFFFL;

  String transferSyntax = IMPLICIT_LE;
  boolean preamble;
  int samplesPerPixel = 1;
  String photometric = "";
  int frames = 1;
  int rows = -1, columns = -1;
  double[] pixelSpacing;
  String pixelSpacingSource;
  int bitsAllocated = -1, bitsStored = -1, pixelRepresentation = 0;
  double[] windowCenters = new double[0], windowWidths = new double[0];
  String voiFunction = "LINEAR";
  double rescaleSlope = 1, rescaleIntercept = 0;
  boolean hasModalityLutSequence, hasVoiLutSequence;
  long pixelOffset = -1, pixelLength = -1;
  boolean floatPixels;

  private final byte[] b;
  private final String file;
  private int pos;
  private boolean explicit;

  private DicomHeader(byte[] bytes, String file) {
    this.b = bytes;
    this.file = file;
  }

  /** True when the bytes carry the Part 10 preamble: "DICM" at offset 128. */
  static boolean hasPreamble(byte[] head) {
    return head.length >= 132 && head[128] == 'D' && head[129] == 'I' && head[130] == 'C' && head[131] == 'M';
  }

  /** Plausible start of a bare dataset: group 0x0002 (meta) or 0x0008 (identifying) as the first tag, little endian. */
  static boolean looksLikeBareDataset(byte[] head) {
    return head.length >= 8 && (head[0] == 2 || head[0] == 8) && head[1] == 0 && head[3] == 0;
  }

  /** Parses up to the pixel data; refuses files that are not DICOM with a one-line error. */
  static DicomHeader parse(byte[] bytes, String file) {
    DicomHeader h = new DicomHeader(bytes, file);
    try {
      h.parse();
    } catch (IndexOutOfBoundsException e) {
      throw new InvalidInputException(file + " is a truncated or corrupt DICOM file (its header ends in the middle of an element);"
          + " re-export it from the PACS");
    }
    return h;
  }

  private void parse() {
    if (hasPreamble(b)) {
      preamble = true;
      pos = 132;
    } else if (looksLikeBareDataset(b)) {
      pos = 0;
    } else {
      throw new InvalidInputException(file + " is not a DICOM file (no 'DICM' at byte 128 and no DICOM tags at the start); give a"
          + " DICOM Part 10 file, a PNG/JPEG, or a reader plugin for its format");
    }
    // File meta information: always explicit VR little endian.
    while (pos + 8 <= b.length && u16(pos) == 0x0002) {
      explicit = true;
      int tag = tag(pos);
      long len = elementLength();
      if (len == UNDEFINED) throw corrupt("undefined length in the file meta information");
      if (tag == TRANSFER_SYNTAX) transferSyntax = text(pos, (int) len);
      skip(len);
    }
    explicit = !transferSyntax.equals(IMPLICIT_LE);
    if (transferSyntax.equals(EXPLICIT_BE) || transferSyntax.equals(DEFLATED)) return; // refused by the reader, by name
    while (pos + 8 <= b.length) {
      int tag = tag(pos);
      if (tag == ITEM || tag == ITEM_END || tag == SEQUENCE_END) throw corrupt("a sequence delimiter outside a sequence");
      boolean sq = explicit && vr(pos + 4).equals("SQ");
      long len = elementLength();
      if (tag == PIXEL_DATA) {
        pixelOffset = pos;
        pixelLength = len;
        return;
      }
      if (tag == FLOAT_PIXEL_DATA || tag == DOUBLE_PIXEL_DATA) {
        floatPixels = true;
        pixelOffset = pos;
        pixelLength = len;
        return;
      }
      if (tag == MODALITY_LUT_SEQUENCE) hasModalityLutSequence = true;
      if (tag == VOI_LUT_SEQUENCE) hasVoiLutSequence = true;
      if (len == UNDEFINED) {
        skipUndefined();
        continue;
      }
      if (len > b.length - pos) throw truncated();
      if (!sq) read(tag, (int) len);
      skip(len);
    }
  }

  private void read(int tag, int len) {
    switch (tag) {
      case SAMPLES_PER_PIXEL -> samplesPerPixel = us(len);
      case PHOTOMETRIC -> photometric = text(pos, len);
      case NUMBER_OF_FRAMES -> frames = (int) Math.round(first(numbers(len), 1));
      case ROWS -> rows = us(len);
      case COLUMNS -> columns = us(len);
      case PIXEL_SPACING -> {
        pixelSpacing = numbers(len);
        pixelSpacingSource = "PixelSpacing";
      }
      case IMAGER_PIXEL_SPACING -> {
        if (pixelSpacing == null) {
          pixelSpacing = numbers(len);
          pixelSpacingSource = "ImagerPixelSpacing";
        }
      }
      case BITS_ALLOCATED -> bitsAllocated = us(len);
      case BITS_STORED -> bitsStored = us(len);
      case PIXEL_REPRESENTATION -> pixelRepresentation = us(len);
      case WINDOW_CENTER -> windowCenters = numbers(len);
      case WINDOW_WIDTH -> windowWidths = numbers(len);
      case RESCALE_INTERCEPT -> rescaleIntercept = first(numbers(len), 0);
      case RESCALE_SLOPE -> rescaleSlope = first(numbers(len), 1);
      case VOI_LUT_FUNCTION -> voiFunction = text(pos, len).toUpperCase(java.util.Locale.ROOT);
      default -> { }
    }
  }

  /** Skips the items of a sequence (or encapsulated fragments) of undefined length, recursively. */
  private void skipUndefined() {
    while (true) {
      if (pos + 8 > b.length) throw truncated();
      int tag = tag(pos);
      long len = u32(pos + 4);
      pos += 8;
      if (tag == SEQUENCE_END) return;
      if (tag != ITEM) throw corrupt("expected a sequence item");
      if (len == UNDEFINED) {
        // an item of undefined length: elements until the item delimiter
        while (true) {
          if (pos + 8 > b.length) throw truncated();
          int t = tag(pos);
          if (t == ITEM_END) {
            pos += 8;
            break;
          }
          long l = elementLength();
          if (l == UNDEFINED) skipUndefined();
          else skip(l);
        }
      } else {
        skip(len);
      }
    }
  }

  /** Reads the tag's VR and length header at {@code pos}, leaves {@code pos} at the value; returns the length. */
  private long elementLength() {
    if (!explicit) {
      long len = u32(pos + 4);
      pos += 8;
      return len;
    }
    String vr = vr(pos + 4);
    if (vr.equals("OB") || vr.equals("OD") || vr.equals("OF") || vr.equals("OL") || vr.equals("OV") || vr.equals("OW")
        || vr.equals("SQ") || vr.equals("UC") || vr.equals("UN") || vr.equals("UR") || vr.equals("UT") || vr.equals("SV")
        || vr.equals("UV")) {
      long len = u32(pos + 8);
      pos += 12;
      return len;
    }
    if (!Character.isUpperCase(vr.charAt(0)) || !Character.isUpperCase(vr.charAt(1))) {
      throw corrupt("an element without a valid VR in an explicit-VR file");
    }
    int len = u16(pos + 6);
    pos += 8;
    return len;
  }

  private void skip(long len) {
    if (len > b.length - pos) throw truncated();
    pos += (int) len;
  }

  private int us(int len) { return len >= 2 ? u16(pos) : -1; }

  private double[] numbers(int len) {
    String s = text(pos, len);
    if (s.isEmpty()) return new double[0];
    String[] parts = s.split("\\\\");
    double[] out = new double[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        out[i] = Double.parseDouble(parts[i].trim());
      } catch (NumberFormatException e) {
        throw corrupt("a malformed number in a technical attribute");
      }
    }
    return out;
  }

  private static double first(double[] v, double dflt) { return v.length == 0 ? dflt : v[0]; }

  private String text(int at, int len) {
    if (len > b.length - at) throw truncated();
    return new String(b, at, len, StandardCharsets.US_ASCII).replace('\0', ' ').trim();
  }

  private String vr(int at) { return new String(b, at, 2, StandardCharsets.US_ASCII); }

  private int u16(int at) { return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8; }

  private long u32(int at) { return (u16(at) | (long) u16(at + 2) << 16) & 0xFFFFFFFFL; }

  private int tag(int at) { return u16(at) << 16 | u16(at + 2); }

  private InvalidInputException truncated() {
    return new InvalidInputException(file + " is truncated (an element runs past the end of the file); re-export or re-copy it");
  }

  private InvalidInputException corrupt(String what) {
    return new InvalidInputException(file + " is not a readable DICOM file (" + what + "); re-export it from the PACS");
  }

  /** The transfer syntax's name, or the UID when unknown. */
  String syntaxName() {
    String[] s = SYNTAXES.get(transferSyntax);
    return s == null ? "unknown transfer syntax" : s[0];
  }
}
