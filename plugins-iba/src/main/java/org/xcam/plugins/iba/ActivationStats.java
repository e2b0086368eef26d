package org.xcam.plugins.iba;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerHook;
import org.xcam.api.Tensor;
import org.xcam.api.XcamException;
import org.xcam.api.bundle.Json;

/**
 * The mean and standard deviation of a layer's activations over data: the prior {@code N(mu, sigma^2)} that IBA's
 * bottleneck injects as noise and measures information against.
 *
 * <h2>Per element or per channel</h2>
 * {@link Mode#ELEMENT} (the default, as in Schulz et al. 2020 and the seed paper) keeps one mean and one std for every
 * element {@code [C, H, W]} of the activation; {@link Mode#CHANNEL} pools each channel over space and keeps
 * {@code [C]} values (broadcast over H x W when used). Per element is sharper but needs more images (every element
 * sees one value per image, so 1000 images give 1000 samples per element; per channel gets {@code H*W} times more).
 *
 * <h2>Estimation</h2>
 * A streaming pass ({@link Estimator}): each batch's mean and sum of squared deviations are merged into the running
 * ones with Chan et al.'s parallel form of Welford's update, in double precision, so any number of images is
 * processed in constant memory and in one pass. The std is the sample std ({@code M2 / (n - 1)}).
 *
 * <h2>Floor</h2>
 * The stored std is the raw estimate. When the bottleneck uses it, it is floored at {@link #MIN_STD} = 0.01 (the
 * reference implementation's {@code min_std}): dead units (always zero after a ReLU) have std 0, and the capacity
 * term divides by sigma.
 *
 * <h2>Files</h2>
 * {@link #write(Path)} stores, in a directory (by convention {@code <model>/xcam-stats/}),
 * {@code <layer>.mean.npy}, {@code <layer>.std.npy} (shape {@code [C,H,W]} or {@code [C]}) and {@code <layer>.json}
 * ({@code {"layer", "mode", "count", "source", "shape"}}). Layer names keep their dots.
 */
public final class ActivationStats {
  /** The floor applied to sigma before use (documented in the class comment). */
  public static final float MIN_STD = 0.01f;
  /** Below this many images the statistics are considered unreliable (a warning / a note on each explanation). */
  public static final long MIN_RELIABLE_COUNT = 100;

  /** How values are pooled. */
  public enum Mode {
    ELEMENT, CHANNEL;

    public String id() { return name().toLowerCase(java.util.Locale.ROOT); }

    public static Mode fromId(String s) {
      for (Mode m : values()) if (m.id().equals(s.trim().toLowerCase(java.util.Locale.ROOT))) return m;
      throw new InvalidInputException("unknown statistics mode '" + s + "'; use element or channel");
    }
  }

  private final String layer;
  private final Mode mode;
  private final int[] shape;
  private final float[] mean;
  private final float[] std;
  private final long count;
  private final String source;

  public ActivationStats(String layer, Mode mode, int[] shape, float[] mean, float[] std, long count, String source) {
    if (shape.length != 3) throw new InvalidInputException("activation statistics need a [C,H,W] layer shape, got " + java.util.Arrays.toString(shape));
    int want = mode == Mode.ELEMENT ? shape[0] * shape[1] * shape[2] : shape[0];
    if (mean.length != want || std.length != want) {
      throw new InvalidInputException("statistics for layer '" + layer + "' (" + mode.id() + ") need " + want + " values, got mean "
          + mean.length + " / std " + std.length);
    }
    this.layer = layer;
    this.mode = mode;
    this.shape = shape.clone();
    this.mean = mean.clone();
    this.std = std.clone();
    this.count = count;
    this.source = source == null ? "" : source;
  }

  public String layer() { return layer; }
  public Mode mode() { return mode; }
  /** The activation shape {@code [C, H, W]} these statistics describe. */
  public int[] shape() { return shape.clone(); }
  public long count() { return count; }
  public String source() { return source; }

  /** The stored mean ({@code C*H*W} or {@code C} values). */
  public float[] mean() { return mean.clone(); }

  /** The stored raw std, not floored. */
  public float[] std() { return std.clone(); }

  /** The mean broadcast to {@code C*H*W} elements. */
  public float[] meanPerElement() { return expand(mean); }

  /** The std broadcast to {@code C*H*W} elements and floored at {@code minStd}. */
  public float[] stdPerElement(float minStd) {
    float[] s = expand(std);
    for (int i = 0; i < s.length; i++) s[i] = Math.max(Float.isFinite(s[i]) ? s[i] : minStd, minStd);
    return s;
  }

  private float[] expand(float[] v) {
    if (mode == Mode.ELEMENT) return v.clone();
    int hw = shape[1] * shape[2];
    float[] out = new float[shape[0] * hw];
    for (int c = 0; c < shape[0]; c++) java.util.Arrays.fill(out, c * hw, (c + 1) * hw, v[c]);
    return out;
  }

  /** Fails with a one-line message when these statistics do not fit an activation of shape {@code [C,H,W]}. */
  public void checkShape(int[] activationShape, String model) {
    if (!java.util.Arrays.equals(activationShape, shape)) {
      throw new InvalidInputException("activation statistics for layer '" + layer + "' have shape " + java.util.Arrays.toString(shape)
          + " but the activation of model '" + model + "' is " + java.util.Arrays.toString(activationShape)
          + "; re-run: xcam estimate --model <model> --layer " + layer);
    }
  }

  // ------------------------------------------------------------------------------------------------ files

  /** {@code <dir>/<layer>.mean.npy}. */
  public static Path meanFile(Path dir, String layer) { return dir.resolve(layer + ".mean.npy"); }
  public static Path stdFile(Path dir, String layer) { return dir.resolve(layer + ".std.npy"); }
  public static Path jsonFile(Path dir, String layer) { return dir.resolve(layer + ".json"); }

  /** True when all three files for {@code layer} exist in {@code dir}. */
  public static boolean exists(Path dir, String layer) {
    return Files.isRegularFile(meanFile(dir, layer)) && Files.isRegularFile(stdFile(dir, layer)) && Files.isRegularFile(jsonFile(dir, layer));
  }

  /** Writes the three files into {@code dir} (created when missing). */
  public void write(Path dir) {
    try {
      Files.createDirectories(dir);
      int[] s = mode == Mode.ELEMENT ? shape : new int[] {shape[0]};
      Tensor.of(mean, s).writeNpy(meanFile(dir, layer));
      Tensor.of(std, s).writeNpy(stdFile(dir, layer));
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("layer", layer);
      j.put("mode", mode.id());
      j.put("count", count);
      j.put("source", source);
      j.put("shape", java.util.List.of(shape[0], shape[1], shape[2]));
      j.put("minStd", 0.01);
      Files.writeString(jsonFile(dir, layer), Json.write(j), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new XcamException("cannot write activation statistics to " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Reads the statistics of {@code layer} from {@code dir}. */
  public static ActivationStats read(Path dir, String layer) {
    if (!exists(dir, layer)) {
      throw new InvalidInputException("no activation statistics for layer '" + layer + "' in " + dir
          + "; run: xcam estimate --model <model> --layer " + layer + " --images <dir>");
    }
    try {
      Object parsed = Json.parse(Files.readString(jsonFile(dir, layer), StandardCharsets.UTF_8));
      if (!(parsed instanceof Map<?, ?> j)) throw new InvalidInputException(jsonFile(dir, layer) + " is not a JSON object");
      Mode mode = Mode.fromId(String.valueOf(j.containsKey("mode") ? j.get("mode") : "element"));
      long count = j.get("count") instanceof Number n ? n.longValue() : 0;
      String source = j.get("source") == null ? "" : String.valueOf(j.get("source"));
      Tensor m = Tensor.readNpy(meanFile(dir, layer));
      Tensor s = Tensor.readNpy(stdFile(dir, layer));
      int[] shape;
      if (j.get("shape") instanceof java.util.List<?> l && l.size() == 3) {
        shape = new int[] {((Number) l.get(0)).intValue(), ((Number) l.get(1)).intValue(), ((Number) l.get(2)).intValue()};
      } else if (m.rank() == 3) {
        shape = m.shape();
      } else {
        throw new InvalidInputException(jsonFile(dir, layer) + " lacks \"shape\": [C, H, W]");
      }
      return new ActivationStats(layer, mode, shape, m.toArray(), s.toArray(), count, source);
    } catch (IOException e) {
      throw new InvalidInputException("cannot read activation statistics for layer '" + layer + "' in " + dir + ": " + e.getMessage(), e);
    }
  }

  // ------------------------------------------------------------------------------------------------ estimation

  /** A streaming estimator: feed activation batches {@code [N, C, H, W]}, then {@link #result}. */
  public static Estimator estimator(Mode mode) { return new Estimator(mode); }

  /**
   * Estimates the statistics of {@code hook}'s layer over image batches: one head pass per batch, nothing else.
   *
   * @param batches normalised image batches {@code [N, C, H, W]}
   */
  public static ActivationStats estimate(LayerHook hook, Iterable<Tensor> batches, Mode mode, String source) {
    return estimate(hook, org.xcam.api.LayerLayout.channelsFirst(), batches, mode, source);
  }

  /** As {@link #estimate(LayerHook, Iterable, Mode, String)} on the layer's spatial view (token layers: the grid tokens). */
  public static ActivationStats estimate(LayerHook hook, org.xcam.api.LayerLayout layout, Iterable<Tensor> batches, Mode mode, String source) {
    Estimator e = estimator(mode);
    for (Tensor b : batches) e.add(layout.toView(hook.activation(b)));
    return e.result(hook.name(), source);
  }

  /**
   * Welford / Chan streaming mean and variance. Each {@link #add} computes the batch's own mean and M2 (two passes over
   * the batch, in double) and merges: {@code delta = mb - m; m += delta * nb / n; M2 += M2b + delta^2 * na * nb / n}.
   */
  public static final class Estimator {
    private final Mode mode;
    private int[] shape;
    private double[] m;
    private double[] m2;
    private long n;
    private long images;

    private Estimator(Mode mode) { this.mode = mode; }

    /** Adds a batch of activations {@code [N, C, H, W]}. */
    public Estimator add(Tensor act) {
      if (act.rank() != 4) throw new InvalidInputException("activations must be [N, C, H, W], got " + java.util.Arrays.toString(act.shape()));
      int[] s = {act.dim(1), act.dim(2), act.dim(3)};
      if (shape == null) {
        shape = s;
        int size = mode == Mode.ELEMENT ? s[0] * s[1] * s[2] : s[0];
        m = new double[size];
        m2 = new double[size];
      } else if (!java.util.Arrays.equals(shape, s)) {
        throw new InvalidInputException("activation shape changed from " + java.util.Arrays.toString(shape) + " to " + java.util.Arrays.toString(s));
      }
      int nb = act.dim(0), c = s[0], hw = s[1] * s[2], chw = c * hw;
      if (nb == 0) return this;
      float[] a = act.toArray();
      int size = m.length;
      double[] bm = new double[size];
      double[] bm2 = new double[size];
      long perBatch;
      if (mode == Mode.ELEMENT) {
        perBatch = nb;
        for (int b = 0; b < nb; b++) for (int i = 0; i < chw; i++) bm[i] += a[b * chw + i];
        for (int i = 0; i < chw; i++) bm[i] /= nb;
        for (int b = 0; b < nb; b++) for (int i = 0; i < chw; i++) { double d = a[b * chw + i] - bm[i]; bm2[i] += d * d; }
      } else {
        perBatch = (long) nb * hw;
        for (int b = 0; b < nb; b++) for (int k = 0; k < c; k++) for (int p = 0; p < hw; p++) bm[k] += a[b * chw + k * hw + p];
        for (int k = 0; k < c; k++) bm[k] /= perBatch;
        for (int b = 0; b < nb; b++) for (int k = 0; k < c; k++) for (int p = 0; p < hw; p++) {
          double d = a[b * chw + k * hw + p] - bm[k];
          bm2[k] += d * d;
        }
      }
      long na = n, nn = na + perBatch;
      for (int i = 0; i < size; i++) {
        double delta = bm[i] - m[i];
        m[i] += delta * perBatch / nn;
        m2[i] += bm2[i] + delta * delta * ((double) na * perBatch / nn);
      }
      n = nn;
      images += nb;
      return this;
    }

    /** Images seen so far. */
    public long images() { return images; }

    /** The statistics so far (count = number of images). Needs at least two samples per value. */
    public ActivationStats result(String layer, String source) {
      if (shape == null || n < 2) {
        throw new InvalidInputException("activation statistics for layer '" + layer + "' need at least 2 images, got " + images);
      }
      float[] mean = new float[m.length], std = new float[m.length];
      for (int i = 0; i < m.length; i++) {
        mean[i] = (float) m[i];
        std[i] = (float) Math.sqrt(Math.max(0, m2[i] / (n - 1)));
      }
      return new ActivationStats(layer, mode, shape, mean, std, images, source);
    }
  }
}
