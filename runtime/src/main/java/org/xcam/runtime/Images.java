package org.xcam.runtime;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.xcam.api.InputSpec;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Tensor;
import org.xcam.api.image.DecodedImage;
import org.xcam.api.image.ImageReadOptions;
import org.xcam.api.image.ImageSource;
import org.xcam.runtime.image.Pixels;

/**
 * The one way images enter xcam: a file or bytes, decoded by an installed {@link org.xcam.api.spi.ImageReader}
 * (PNG, JPEG, {@code .npy} built in; DICOM with the plugins-dicom jar; anything a lab adds), then made into the
 * model's input per the bundle's input spec: display pixels in [0,1] are converted to the model's channels
 * (grayscale replicated to RGB; RGB to gray by luma 0.299 R + 0.587 G + 0.114 B), resized to the model's H x W
 * (area averaging when shrinking, bilinear with half-pixel centres when enlarging), then {@code (x - mean[c]) / std[c]}.
 * A {@code .npy} is taken as already normalised ({@code [C,H,W]} or {@code [N,C,H,W]}) and must match the model's
 * shape.
 *
 * <pre>{@code
 * LoadedImage img = Images.load(Path.of("00013911_000.png"), model.info().input()).get(0);
 * Tensor x = img.tensor();   // [1, 64, 64] for a 1-channel 64x64 model
 *
 * // DICOM with a window, or bytes read from HDFS (Spark):
 * Images.load(Path.of("cxr.dcm"), spec, Map.of("window", "2048,4096"));
 * Images.load("cxr.dcm", bytes, spec, Map.of());
 * }</pre>
 *
 * <p>Reader options: {@code window=C,W} or {@code window=minmax} (DICOM), {@code reader=NAME} (force a reader). Every
 * failure is an {@link InvalidInputException} with one line naming the file, the reason and the fix.
 */
public final class Images {
  /** Overlays are drawn on a display picture no larger than this on its longer side. */
  public static final int MAX_DISPLAY = 2048;

  private Images() { }

  /** Loads one file: one image for PNG/JPEG/DICOM, one or more for a batched {@code .npy}. */
  public static List<LoadedImage> load(Path path, InputSpec spec) { return load(ImageSource.of(path), spec, Map.of()); }

  /** As {@link #load(Path, InputSpec)} with reader options (e.g. {@code window=40,400}). */
  public static List<LoadedImage> load(Path path, InputSpec spec, Map<String, String> readerOptions) {
    return load(ImageSource.of(path), spec, readerOptions);
  }

  /** Bytes with the name of the file they came from (the name chooses the reader when the bytes do not, and the stem). */
  public static List<LoadedImage> load(String name, byte[] bytes, InputSpec spec, Map<String, String> readerOptions) {
    return load(ImageSource.of(name, bytes), spec, readerOptions);
  }

  public static List<LoadedImage> load(ImageSource source, InputSpec spec, Map<String, String> readerOptions) {
    return load(source, spec, readerOptions, ImageReaders.installed());
  }

  /** With an explicit set of readers. */
  public static List<LoadedImage> load(ImageSource source, InputSpec spec, Map<String, String> readerOptions, ImageReaders readers) {
    ImageReadOptions o = new ImageReadOptions(spec.height(), spec.width(), ImageReadOptions.defaultMaxBytes(), readerOptions);
    List<DecodedImage> decoded = readers.read(source, o);
    List<LoadedImage> out = new ArrayList<>(decoded.size());
    for (int i = 0; i < decoded.size(); i++) {
      String stem = decoded.size() == 1 ? source.stem() : source.stem() + "_" + i;
      out.add(fromDecoded(decoded.get(i), stem, spec, source.describe()));
    }
    return out;
  }

  /** Converts a decoded image into a model input; {@code where} names the file in errors. */
  public static LoadedImage fromDecoded(DecodedImage d, String stem, InputSpec spec, String where) {
    Tensor px = d.pixels();
    int bad = px.firstNonFinite();
    if (bad >= 0) {
      throw new InvalidInputException(where + " decoded to a non-finite value (" + px.get(bad) + ") at flat index " + bad
          + "; fix the file" + (d.normalised() ? "" : " or its reader"));
    }
    if (d.normalised()) return fromNormalised(d, stem, spec, where);
    int w = d.width(), h = d.height();
    List<String> notes = new ArrayList<>(d.notes());
    boolean gray = d.channels() == 1;
    float[] all = px.toArray();
    float[][] src = new float[d.channels()][];
    for (int c = 0; c < src.length; c++) src[c] = Arrays.copyOfRange(all, c * w * h, (c + 1) * w * h);
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
    java.util.IdentityHashMap<float[], float[]> resized = new java.util.IdentityHashMap<>();   // gray to RGB: resize once
    for (int c = 0; c < spec.channels(); c++) {
      float[] plane = resized.computeIfAbsent(chans[c], p -> resample(p, h, w, H, W));
      for (int i = 0; i < plane.length; i++) out[c * H * W + i] = (plane[i] - mean[c]) / std[c];
    }
    return new LoadedImage(stem, Tensor.wrap(out, spec.channels(), H, W), display(src, w, h), d.sourceWidth(), d.sourceHeight(),
        notes, d.metadata());
  }

  private static LoadedImage fromNormalised(DecodedImage d, String stem, InputSpec spec, String where) {
    Tensor t = d.pixels();
    int[] s = t.shape();
    if (t.dim(0) != spec.channels()) {
      throw new InvalidInputException(where + " has " + t.dim(0) + " channels (shape " + Arrays.toString(s) + ") but the model takes "
          + spec.channels() + "; save the tensor as [" + spec.channels() + ", " + spec.height() + ", " + spec.width() + "]");
    }
    if (t.dim(1) != spec.height() || t.dim(2) != spec.width()) {
      throw new InvalidInputException(where + " is " + t.dim(1) + "x" + t.dim(2) + " but the model takes " + spec.height() + "x"
          + spec.width() + "; a .npy is used as is (already normalised): resize it, or give the PNG instead");
    }
    return new LoadedImage(stem, t, displayOf(t, spec), spec.width(), spec.height(), d.notes(), d.metadata());
  }

  /** Converts a decoded {@link BufferedImage} into a model input (pixels read through its colour model). */
  public static LoadedImage fromImage(BufferedImage img, String stem, InputSpec spec) {
    List<String> notes = new ArrayList<>();
    Tensor px = Pixels.of(img, notes);
    return fromDecoded(DecodedImage.pixels(px, notes, Map.of()), stem, spec, stem);
  }

  /** The picture overlays are drawn on: RGB, at most {@link #MAX_DISPLAY} pixels on its longer side. */
  private static BufferedImage display(float[][] src, int w, int h) {
    int dw = w, dh = h;
    if (Math.max(w, h) > MAX_DISPLAY) {
      double f = (double) MAX_DISPLAY / Math.max(w, h);
      dw = Math.max(1, (int) Math.round(w * f));
      dh = Math.max(1, (int) Math.round(h * f));
    }
    float[][] planes = new float[src.length][];
    for (int c = 0; c < src.length; c++) planes[c] = dw == w && dh == h ? src[c] : resample(src[c], h, w, dh, dw);
    boolean gray = planes.length == 1;
    BufferedImage out = new BufferedImage(dw, dh, BufferedImage.TYPE_INT_RGB);
    int[] row = new int[dw];
    for (int y = 0; y < dh; y++) {
      for (int x = 0; x < dw; x++) {
        int i = y * dw + x;
        int r = clamp255(planes[0][i]), g = gray ? r : clamp255(planes[1][i]), b = gray ? r : clamp255(planes[2][i]);
        row[x] = (r << 16) | (g << 8) | b;
      }
      out.setRGB(0, y, dw, 1, row, 0, dw);
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
