package org.xcam.runtime.image;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;
import org.xcam.api.InvalidInputException;
import org.xcam.api.image.DecodedImage;
import org.xcam.api.image.ImageReadOptions;
import org.xcam.api.image.ImageSource;

/**
 * PNG: 1/2/4/8/16-bit gray, gray+alpha, RGB(A) 8/16-bit, palettes; see {@link ImageIoReader}. The JDK's decoder does
 * not check chunk CRCs, so a damaged palette or header decodes to wrong pixels without a word; here every critical
 * chunk's CRC is checked first (one streaming pass, as libpng does) and a mismatch refuses the file.
 */
public final class PngReader extends ImageIoReader {
  private static final byte[] MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  @Override public String name() { return "png"; }
  @Override String format() { return "png"; }
  @Override public Set<String> extensions() { return Set.of("png"); }
  @Override public String description() { return "PNG: every bit depth, palettes, gray and RGB(A) (ImageIO); chunk CRCs checked"; }

  @Override public boolean recognises(byte[] head) {
    if (head.length < MAGIC.length) return false;
    for (int i = 0; i < MAGIC.length; i++) if (head[i] != MAGIC[i]) return false;
    return true;
  }

  @Override public List<DecodedImage> read(ImageSource source, ImageReadOptions options) {
    checkChunks(source);
    return super.read(source, options);
  }

  /** Walks the chunks to IEND; a critical chunk (IHDR, PLTE, IDAT, IEND) with a wrong CRC refuses the file. */
  void checkChunks(ImageSource source) {
    try (InputStream raw = source.open(); DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16))) {
      byte[] sig = new byte[8];
      in.readFully(sig);
      if (!recognises(sig)) return;   // not a PNG signature: ImageIO says what is wrong
      byte[] buf = new byte[1 << 16];
      while (true) {
        long len = Integer.toUnsignedLong(in.readInt());
        byte[] type = new byte[4];
        in.readFully(type);
        CRC32 crc = new CRC32();
        crc.update(type);
        for (long left = len; left > 0; ) {
          int n = (int) Math.min(buf.length, left);
          in.readFully(buf, 0, n);
          crc.update(buf, 0, n);
          left -= n;
        }
        int stored = in.readInt();
        String name = new String(type, StandardCharsets.ISO_8859_1);
        boolean critical = (type[0] & 0x20) == 0;
        if (critical && (int) crc.getValue() != stored) {
          throw corrupt(source, "CRC mismatch in its " + name.replaceAll("[^A-Za-z]", "?") + " chunk");
        }
        if (name.equals("IEND")) return;
      }
    } catch (EOFException e) {
      throw corrupt(source, "it ends before its IEND chunk");
    } catch (IOException e) {
      throw corrupt(source, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }
  }
}
