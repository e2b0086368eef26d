package org.xcam.runtime.image;

import java.util.Set;

/** JPEG: gray, YCbCr, and CMYK/YCCK through TwelveMonkeys; truncated files refused; see {@link ImageIoReader}. */
public final class JpegReader extends ImageIoReader {
  @Override public String name() { return "jpeg"; }
  @Override String format() { return "jpeg"; }
  @Override public Set<String> extensions() { return Set.of("jpg", "jpeg", "jpe", "jfif"); }
  @Override public String description() { return "JPEG: gray, RGB, CMYK/YCCK (ImageIO with TwelveMonkeys); truncated files refused"; }

  @Override public boolean recognises(byte[] head) {
    return head.length >= 3 && (head[0] & 0xff) == 0xFF && (head[1] & 0xff) == 0xD8 && (head[2] & 0xff) == 0xFF;
  }
}
