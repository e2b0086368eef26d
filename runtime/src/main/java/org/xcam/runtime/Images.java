package org.xcam.runtime;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.xcam.api.InputSpec;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Tensor;

/**
 * Reads images into model inputs, per the bundle's input spec: pixels scaled to [0,1] (8-bit / 255, 16-bit / 65535),
 * converted to the model's channels (grayscale replicated to RGB; RGB to gray by luma 0.299 R + 0.587 G + 0.114 B;
 * alpha ignored), resized to the model's H x W (area averaging when shrinking, bilinear with half-pixel centres when
 * enlarging), then {@code (x - mean[c]) / std[c]}. A {@code .npy} file is taken as already normalised
 * ({@code [C,H,W]} or {@code [N,C,H,W]}) and must match the model's shape.
 *
 * <pre>{@code
 * LoadedImage img = Images.load(Path.of("00013911_000.png"), model.info().input()).get(0);
 * Tensor x = img.tensor();   // [1, 64, 64] for a 1-channel 64x64 model
 * }</pre>
 */
public final class Images {
  private Images() { }

  /** Loads one file: one image for PNG/JPEG, one or more for a batched {@code .npy}. */
  public static List<LoadedImage> load(Path path, InputSpec spec) {
    if (!Files.isRegularFile(path)) throw new InvalidInputException("no such image: " + path + "; check the path");
    String name = path.getFileName().toString();
    String lower = name.toLowerCase(Locale.ROOT);
    String stem = name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : name;
    if (lower.endsWith(".npy")) return loadNpy(path, stem, spec);
    BufferedImage img;
    try (InputStream in = Files.newInputStream(path)) {
      img = ImageIO.read(in);
    } catch (IOException | RuntimeException e) {
      throw new InvalidInputException("cannot decode " + path + " as PNG/JPEG (" + e.getMessage() + "); the file is corrupt or not an image", e);
    }
    if (img == null) {
      throw new InvalidInputException("cannot decode " + path + ": not a PNG/JPEG image (or corrupt); give a PNG, JPEG or .npy");
    }
    return List.of(fromImage(img, stem, spec));
  }

  /** Converts a decoded image into a model input. */
  public static LoadedImage fromImage(BufferedImage img, String stem, InputSpec spec) {
    int w = img.getWidth(), h = img.getHeight();
    List<String> notes = new ArrayList<>();
    Raster r = img.getRaster();
    int bands = r.getNumBands();
    int bits = img.getColorModel().getComponentSize(0);
    double scale = bits > 8 ? 65535.0 : 255.0;
    boolean gray = bands <= 2;
    if (img.getColorModel().hasAlpha()) notes.add("alpha channel ignored");
    // planes in [0,1]: 1 plane for gray sources, 3 for colour
    int planes = gray ? 1 : 3;
    float[][] src = new float[planes][w * h];
    int[] px = new int[bands];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        r.getPixel(x, y, px);
        for (int c = 0; c < planes; c++) src[c][y * w + x] = (float) (px[c] / scale);
      }
    }
    if (bits > 8) notes.add(bits + "-bit pixels scaled by 1/65535");
    float[][] chans = new float[spec.channels()][];
    if (spec.channels() == 1) {
      if (gray) chans[0] = src[0];
      else {
        float[] g = new float[w * h];
        for (int i = 0; i < g.length; i++) g[i] = 0.299f * src[0][i] + 0.587f * src[1][i] + 0.114f * src[2][i];
        chans[0] = g;
        notes.add("colour converted to gray (luma)");
      }
    } else {
      for (int c = 0; c < spec.channels(); c++) chans[c] = gray ? src[0] : src[Math.min(c, 2)];
      if (gray) notes.add("gray replicated to " + spec.channels() + " channels");
    }
    int H = spec.height(), W = spec.width();
    if (H != h || W != w) notes.add("resized " + w + "x" + h + " -> " + W + "x" + H + " (per the model's input spec)");
    float[] mean = spec.mean(), std = spec.std();
    float[] out = new float[spec.channels() * H * W];
    for (int c = 0; c < spec.channels(); c++) {
      float[] plane = resample(chans[c], h, w, H, W);
      for (int i = 0; i < plane.length; i++) out[c * H * W + i] = (plane[i] - mean[c]) / std[c];
    }
    return new LoadedImage(stem, Tensor.wrap(out, spec.channels(), H, W), toRgb(img, gray, src, w, h), w, h, notes);
  }

  private static BufferedImage toRgb(BufferedImage img, boolean gray, float[][] src, int w, int h) {
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int i = y * w + x;
        int r = clamp255(src[0][i]), g = gray ? r : clamp255(src[1][i]), b = gray ? r : clamp255(src[2][i]);
        out.setRGB(x, y, (r << 16) | (g << 8) | b);
      }
    }
    return out;
  }

  private static int clamp255(float v) { return Math.max(0, Math.min(255, Math.round(v * 255))); }

  /** Resizes a plane: area averaging when shrinking an axis, half-pixel bilinear otherwise. */
  public static float[] resample(float[] src, int h, int w, int outH, int outW) {
    if (h == outH && w == outW) return src.clone();
    if (outH <= h && outW <= w) return area(src, h, w, outH, outW);
    return org.xcam.api.Heatmap.resizeBilinear(src, h, w, outH, outW);
  }

  private static float[] area(float[] src, int h, int w, int outH, int outW) {
    float[] out = new float[outH * outW];
    double sy = (double) h / outH, sx = (double) w / outW;
    for (int oy = 0; oy < outH; oy++) {
      double y0 = oy * sy, y1 = y0 + sy;
      for (int ox = 0; ox < outW; ox++) {
        double x0 = ox * sx, x1 = x0 + sx, acc = 0, wsum = 0;
        for (int y = (int) Math.floor(y0); y < Math.min(h, Math.ceil(y1)); y++) {
          double wy = Math.min(y + 1, y1) - Math.max(y, y0);
          if (wy <= 0) continue;
          for (int x = (int) Math.floor(x0); x < Math.min(w, Math.ceil(x1)); x++) {
            double wx = Math.min(x + 1, x1) - Math.max(x, x0);
            if (wx <= 0) continue;
            acc += wy * wx * src[y * w + x];
            wsum += wy * wx;
          }
        }
        out[oy * outW + ox] = (float) (acc / wsum);
      }
    }
    return out;
  }

  private static List<LoadedImage> loadNpy(Path path, String stem, InputSpec spec) {
    Tensor t = Tensor.readNpy(path);
    int[] s = t.shape();
    if (t.rank() == 3) t = t.unsqueeze();
    if (t.rank() != 4) {
      throw new InvalidInputException(path + " has shape " + Arrays.toString(s) + "; an image .npy must be [C,H,W] or [N,C,H,W]");
    }
    if (t.dim(1) != spec.channels()) {
      throw new InvalidInputException(path + " has " + t.dim(1) + " channels (shape " + Arrays.toString(s) + ") but the model takes "
          + spec.channels() + "; save the tensor as [" + spec.channels() + ", " + spec.height() + ", " + spec.width() + "]");
    }
    if (t.dim(2) != spec.height() || t.dim(3) != spec.width()) {
      throw new InvalidInputException(path + " is " + t.dim(2) + "x" + t.dim(3) + " but the model takes " + spec.height() + "x"
          + spec.width() + "; a .npy is used as is (already normalised): resize it, or give the PNG instead");
    }
    int bad = t.firstNonFinite();
    if (bad >= 0) {
      throw new InvalidInputException(path + " contains a non-finite value (" + t.get(bad) + ") at flat index " + bad + "; fix the tensor");
    }
    List<LoadedImage> out = new ArrayList<>();
    for (int n = 0; n < t.dim(0); n++) {
      Tensor item = t.item(n);
      String st = t.dim(0) == 1 ? stem : stem + "_" + n;
      out.add(new LoadedImage(st, item, displayOf(item, spec), spec.width(), spec.height(), List.of("npy used as given (already normalised)")));
    }
    return out;
  }

  /** A display picture from a normalised tensor (undoes the normalisation; first channel or RGB). */
  public static BufferedImage displayOf(Tensor chw, InputSpec spec) {
    int c = chw.dim(0), h = chw.dim(1), w = chw.dim(2);
    float[] mean = spec.mean(), std = spec.std();
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int[] rgb = new int[3];
        for (int k = 0; k < 3; k++) {
          int ch = c >= 3 ? k : 0;
          float v = chw.get((ch * h + y) * w + x) * std[ch] + mean[ch];
          rgb[k] = clamp255(v);
        }
        out.setRGB(x, y, (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]);
      }
    }
    return out;
  }
}
