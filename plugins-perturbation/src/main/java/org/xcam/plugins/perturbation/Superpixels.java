package org.xcam.plugins.perturbation;

import boofcv.abst.segmentation.ImageSuperpixels;
import boofcv.factory.segmentation.ConfigSlic;
import boofcv.factory.segmentation.FactoryImageSegmentation;
import boofcv.struct.image.GrayF32;
import boofcv.struct.image.GrayS32;
import boofcv.struct.image.ImageType;
import org.xcam.api.InvalidInputException;

/**
 * The features of LIME and KernelSHAP on images: a label per pixel, {@code 0 .. M-1}.
 *
 * <ul>
 *   <li>{@code grid}: {@code n x n} rectangular cells (cell {@code (y * n / H) * n + x * n / W}); M = n^2.</li>
 *   <li>{@code slic}: SLIC superpixels (Achanta et al. 2012) from BoofCV ({@code FactoryImageSegmentation.slic},
 *       {@code ConfigSlic(n)}: about n regions, BoofCV's default spatial weight and connectivity) on the channel mean
 *       of the image, min-max scaled to [0, 255] (the intensity range BoofCV's spatial weight is tuned for); M is what
 *       SLIC returns after merging small regions.</li>
 * </ul>
 *
 * <p>Deterministic: the same image gives the same labels.
 */
final class Superpixels {
  private Superpixels() { }

  /** Labels of one image {@code [C, H, W]} (values of {@code x[off .. off + C*H*W)}). */
  static int[] segment(float[] x, int off, int c, int h, int w, String kind, int n) {
    return switch (kind) {
      case "grid" -> grid(h, w, n);
      case "slic" -> slic(Filters.gray(x, off, c, h * w), h, w, n);
      default -> throw new InvalidInputException("unknown superpixels '" + kind + "'; use grid or slic");
    };
  }

  static int[] grid(int h, int w, int n) {
    int[] l = new int[h * w];
    for (int y = 0; y < h; y++)
      for (int q = 0; q < w; q++) l[y * w + q] = (y * n / h) * n + q * n / w;
    return l;
  }

  static int[] slic(float[] gray, int h, int w, int n) {
    float[] g = Filters.minMax(gray);
    GrayF32 img = new GrayF32(w, h);
    for (int p = 0; p < g.length; p++) img.data[p] = g[p] * 255f;
    ImageSuperpixels<GrayF32> alg = FactoryImageSegmentation.slic(new ConfigSlic(n), ImageType.single(GrayF32.class));
    GrayS32 out = new GrayS32(w, h);
    alg.segment(img, out);
    int[] l = new int[h * w];
    for (int y = 0; y < h; y++) System.arraycopy(out.data, out.startIndex + y * out.stride, l, y * w, w);
    return compact(l);
  }

  /** Relabels to {@code 0 .. M-1} in order of first appearance (row-major). */
  static int[] compact(int[] l) {
    java.util.Map<Integer, Integer> ids = new java.util.HashMap<>();
    int[] out = new int[l.length];
    for (int p = 0; p < l.length; p++) out[p] = ids.computeIfAbsent(l[p], k -> ids.size());
    return out;
  }

  static int count(int[] labels) {
    int m = 0;
    for (int v : labels) m = Math.max(m, v + 1);
    return m;
  }
}
