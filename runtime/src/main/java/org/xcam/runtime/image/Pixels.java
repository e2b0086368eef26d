package org.xcam.runtime.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.util.List;
import org.xcam.api.Tensor;

/**
 * Turns a decoded {@link BufferedImage} into the pixels a viewer shows, in [0,1]: one plane for gray, three for RGB.
 *
 * <p>Why not {@code raster value / 255}: that is wrong for every layout but 8-bit gray and RGB. A 2-bit gray PNG
 * holds 0..3 (so /255 gives a near-black image), a palette PNG holds indices into its palette (a grey-inverted
 * palette gives the inverted image), and a CMYK JPEG has four bands. So:
 * <ul>
 *   <li>gray ({@link ComponentColorModel}, one colour component) and sRGB component images: sample / (2^bits - 1)
 *       per the colour model's component size (1, 2, 4, 8, 16 bits). The gray samples are taken as stored and
 *       not sent through Java's linear-gray colour space, whose conversion to sRGB brightens them (a viewer
 *       shows a gray PNG's values as stored);</li>
 *   <li>palettes ({@link IndexColorModel}): each index looked up in the palette, 8-bit per channel;</li>
 *   <li>anything else (packed RGB, colour spaces with an ICC profile, CMYK/YCCK already converted by the reader):
 *       through the colour model to 8-bit sRGB ({@link BufferedImage#getRGB}).</li>
 * </ul>
 * Alpha is ignored. An RGB image whose three channels are equal everywhere becomes one gray plane.
 */
public final class Pixels {
  private Pixels() { }

  /** {@code [1|3, H, W]} in [0,1]; appends what it did to {@code notes}. */
  public static Tensor of(BufferedImage img, List<String> notes) {
    int w = img.getWidth(), h = img.getHeight();
    ColorModel cm = img.getColorModel();
    Raster r = img.getRaster();
    if (cm.hasAlpha()) notes.add("alpha channel ignored");
    if (cm instanceof IndexColorModel icm) return palette(icm, r, w, h, notes);
    ColorSpace cs = cm.getColorSpace();
    boolean integer = r.getTransferType() == DataBuffer.TYPE_BYTE || r.getTransferType() == DataBuffer.TYPE_USHORT
        || r.getTransferType() == DataBuffer.TYPE_INT;
    if (cm instanceof ComponentColorModel && integer && cm.getNumColorComponents() == 1 && cs.getType() == ColorSpace.TYPE_GRAY) {
      int bits = cm.getComponentSize(0);
      double max = (1L << bits) - 1;
      float[] g = new float[w * h];
      int[] row = new int[w];
      for (int y = 0; y < h; y++) {
        r.getSamples(0, y, w, 1, 0, row);
        for (int x = 0; x < w; x++) g[y * w + x] = (float) (row[x] / max);
      }
      if (bits != 8) notes.add(bits + "-bit gray scaled by 1/" + (long) max);
      return Tensor.wrap(g, 1, h, w);
    }
    if (cm instanceof ComponentColorModel && integer && cm.getNumColorComponents() == 3 && cs.isCS_sRGB()) {
      float[] rgb = new float[3 * w * h];
      int[] row = new int[w];
      for (int c = 0; c < 3; c++) {
        double max = (1L << cm.getComponentSize(c)) - 1;
        for (int y = 0; y < h; y++) {
          r.getSamples(0, y, w, 1, c, row);
          for (int x = 0; x < w; x++) rgb[c * w * h + y * w + x] = (float) (row[x] / max);
        }
      }
      if (cm.getComponentSize(0) != 8) notes.add(cm.getComponentSize(0) + "-bit RGB scaled by 1/" + ((1L << cm.getComponentSize(0)) - 1));
      return grayIfEqual(rgb, w, h, notes);
    }
    // Packed RGB, ICC colour spaces, anything else: through the colour model to sRGB.
    if (!(cm instanceof DirectColorModel && cs.isCS_sRGB())) {
      notes.add("colours converted to sRGB by the image's colour model (" + spaceName(cs) + ")");
    }
    float[] rgb = new float[3 * w * h];
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      img.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int p = row[x];
        rgb[y * w + x] = (float) (((p >> 16) & 0xff) / 255.0);
        rgb[w * h + y * w + x] = (float) (((p >> 8) & 0xff) / 255.0);
        rgb[2 * w * h + y * w + x] = (float) ((p & 0xff) / 255.0);
      }
    }
    return grayIfEqual(rgb, w, h, notes);
  }

  private static Tensor palette(IndexColorModel icm, Raster r, int w, int h, List<String> notes) {
    int n = icm.getMapSize();
    float[][] lut = new float[3][n];
    boolean gray = true;
    for (int i = 0; i < n; i++) {
      int rr = icm.getRed(i), gg = icm.getGreen(i), bb = icm.getBlue(i);
      lut[0][i] = (float) (rr / 255.0);
      lut[1][i] = (float) (gg / 255.0);
      lut[2][i] = (float) (bb / 255.0);
      gray &= rr == gg && gg == bb;
    }
    int planes = gray ? 1 : 3;
    float[] out = new float[planes * w * h];
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      r.getSamples(0, y, w, 1, 0, row);
      for (int x = 0; x < w; x++) {
        int idx = Math.min(Math.max(row[x], 0), n - 1);
        for (int c = 0; c < planes; c++) out[c * w * h + y * w + x] = lut[c][idx];
      }
    }
    notes.add("palette of " + n + " " + (gray ? "gray levels" : "colours") + " expanded");
    return Tensor.wrap(out, planes, h, w);
  }

  private static Tensor grayIfEqual(float[] rgb, int w, int h, List<String> notes) {
    int hw = w * h;
    for (int i = 0; i < hw; i++) {
      if (rgb[i] != rgb[hw + i] || rgb[i] != rgb[2 * hw + i]) return Tensor.wrap(rgb, 3, h, w);
    }
    notes.add("RGB with three equal channels read as gray");
    return Tensor.wrap(java.util.Arrays.copyOf(rgb, hw), 1, h, w);
  }

  private static String spaceName(ColorSpace cs) {
    return switch (cs.getType()) {
      case ColorSpace.TYPE_RGB -> cs.isCS_sRGB() ? "sRGB" : "RGB with a colour profile";
      case ColorSpace.TYPE_GRAY -> "gray with a colour profile";
      case ColorSpace.TYPE_CMYK -> "CMYK";
      case ColorSpace.TYPE_YCbCr -> "YCbCr";
      default -> "colour space type " + cs.getType();
    };
  }
}
