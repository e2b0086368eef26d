package org.xcam.runtime.image;

import java.util.Set;

/** PNG: 1/2/4/8/16-bit gray, gray+alpha, RGB(A) 8/16-bit, palettes; see {@link ImageIoReader}. */
public final class PngReader extends ImageIoReader {
  private static final byte[] MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  @Override public String name() { return "png"; }
  @Override String format() { return "png"; }
  @Override public Set<String> extensions() { return Set.of("png"); }
  @Override public String description() { return "PNG: every bit depth, palettes, gray and RGB(A) (ImageIO)"; }

  @Override public boolean recognises(byte[] head) {
    if (head.length < MAGIC.length) return false;
    for (int i = 0; i < MAGIC.length; i++) if (head[i] != MAGIC[i]) return false;
    return true;
  }
}
