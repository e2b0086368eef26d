package org.xcam.runtime;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.xcam.api.Box;
import org.xcam.api.Heatmap;
import org.xcam.api.InvalidInputException;

/**
 * Draws heatmaps over images: the jet colour map (as matplotlib's and OpenCV's {@code COLORMAP_JET}) blended with
 * alpha 0.5 by default, at the image's resolution (the [0,1] map is resized bilinearly), plus labelled boxes.
 *
 * <pre>{@code
 * BufferedImage over = Overlay.heatmap(img.display(), explanation.map(), 0.5);
 * Overlay.boxes(over, List.of(lesion), Color.GREEN, scaleX, scaleY);
 * Overlay.writePng(over, out.resolve("cxr.gradcam.png"));
 * }</pre>
 */
public final class Overlay {
  private Overlay() { }

  /** The jet colour of {@code v} in [0,1], as packed RGB. */
  public static int jet(double v) {
    double x = Math.max(0, Math.min(1, v));
    int r = (int) Math.round(255 * clamp(1.5 - Math.abs(4 * x - 3)));
    int g = (int) Math.round(255 * clamp(1.5 - Math.abs(4 * x - 2)));
    int b = (int) Math.round(255 * clamp(1.5 - Math.abs(4 * x - 1)));
    return (r << 16) | (g << 8) | b;
  }

  private static double clamp(double v) { return Math.max(0, Math.min(1, v)); }

  /** A new image: {@code (1 - alpha) * base + alpha * jet(map)}, the map resized to the base's size. */
  public static BufferedImage heatmap(BufferedImage base, Heatmap map01, double alpha) {
    int w = base.getWidth(), h = base.getHeight();
    float[] m = Heatmap.resizeBilinear(map01.values(), map01.height(), map01.width(), h, w);
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int b = base.getRGB(x, y), c = jet(m[y * w + x]);
        int r = mix((b >> 16) & 255, (c >> 16) & 255, alpha);
        int g = mix((b >> 8) & 255, (c >> 8) & 255, alpha);
        int bl = mix(b & 255, c & 255, alpha);
        out.setRGB(x, y, (r << 16) | (g << 8) | bl);
      }
    }
    return out;
  }

  private static int mix(int a, int b, double alpha) { return (int) Math.round((1 - alpha) * a + alpha * b); }

  /**
   * The image enlarged (bilinear) so that its shorter side is at least {@code minSide} pixels, or itself when it is
   * large enough: overlays of 64 x 64 model inputs are unreadable at their own size.
   */
  public static BufferedImage atLeast(BufferedImage img, int minSide) {
    int w = img.getWidth(), h = img.getHeight(), side = Math.min(w, h);
    if (side >= minSide) return img;
    double f = (double) minSide / side;
    int nw = (int) Math.round(w * f), nh = (int) Math.round(h * f);
    BufferedImage out = new BufferedImage(nw, nh, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.drawImage(img, 0, 0, nw, nh, null);
    g.dispose();
    return out;
  }

  /** Draws boxes (given in some image's pixel coordinates, scaled by sx, sy onto {@code img}) with their labels. */
  public static void boxes(BufferedImage img, List<Box> boxes, Color color, double sx, double sy) {
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    float stroke = Math.max(1f, img.getWidth() / 256f);
    g.setStroke(new BasicStroke(stroke));
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, Math.max(9, img.getWidth() / 40)));
    for (Box b : boxes) {
      int x = (int) Math.round(b.x0() * sx), y = (int) Math.round(b.y0() * sy);
      int bw = (int) Math.round(b.width() * sx), bh = (int) Math.round(b.height() * sy);
      g.setColor(color);
      g.drawRect(x, y, Math.max(1, bw - 1), Math.max(1, bh - 1));
      if (b.label() != null && !b.label().isEmpty()) {
        String text = b.score() < 1.0 ? b.label() + String.format(" %.2f", b.score()) : b.label();
        g.drawString(text, x + 2, Math.max(g.getFontMetrics().getAscent(), y - 2));
      }
    }
    g.dispose();
  }

  public static void writePng(BufferedImage img, Path file) {
    try {
      if (!ImageIO.write(img, "png", file.toFile())) throw new IOException("no PNG writer");
    } catch (IOException e) {
      throw new InvalidInputException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
