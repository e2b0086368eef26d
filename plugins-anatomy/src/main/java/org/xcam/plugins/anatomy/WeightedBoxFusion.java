package org.xcam.plugins.anatomy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.xcam.api.Box;
import org.xcam.api.InvalidInputException;

/**
 * Weighted box fusion (Solovyev, Wang and Gabruseva, "Weighted boxes fusion: ensembling boxes from different object
 * detection models", Image and Vision Computing 2021), with the semantics of the authors' {@code ensemble-boxes}
 * package ({@code weighted_boxes_fusion}): a general tool for merging the boxes of several models (or of several
 * regions of one model, as anatomy-driven detection does).
 *
 * <p><b>Algorithm</b>, for the boxes of M models with model weights {@code w_m} (all 1 by default):
 * <ol>
 *   <li>Boxes with {@code score < skipBoxThr} and zero-area boxes are dropped; each kept box gets the weighted score
 *       {@code s = score * w_m}.</li>
 *   <li>Per label, boxes are visited in decreasing {@code s}. A box joins the cluster whose current fused box has the
 *       largest IoU with it, if that IoU is strictly greater than {@code iouThr}; otherwise it starts a new cluster.
 *       The fused box of a cluster is recomputed after each join.</li>
 *   <li>Fused coordinates are score-weighted: {@code c = sum(s_i c_i) / sum(s_i)}.</li>
 *   <li>The fused confidence, with {@code n} boxes in the cluster, {@code W = sum(w_m)} over all models,
 *       {@code sum(w_i)} the weights of the cluster's boxes (a model counted once per box):
 *     <ul>
 *       <li>{@code avg}: {@code sum(s_i) / n * min(M, n) / W}; with {@code allowsOverflow} {@code sum(s_i) / W}</li>
 *       <li>{@code max}: {@code max(s_i) / max(w_m)}</li>
 *       <li>{@code box_and_model_avg}: {@code sum(s_i) / sum(w_i) * (sum of w_m over the distinct models in the
 *           cluster) / W}</li>
 *       <li>{@code absent_model_aware_avg}: {@code sum(s_i) / (sum(w_i) + sum of w_m over the models absent from the
 *           cluster)}</li>
 *     </ul></li>
 *   <li>All fused boxes are returned in decreasing confidence.</li>
 * </ol>
 *
 * <p><b>Known overflow.</b> With {@code avg} and {@code allowsOverflow = false}, confidences can still exceed 1 when a
 * heavily weighted model puts several boxes into one cluster (ensemble-boxes issue #40: weights [2, 1], model 0 gives
 * two identical boxes of score 1, fused confidence 4/3). This class keeps the reference behaviour so that results
 * match the library; use {@code box_and_model_avg} or {@code absent_model_aware_avg} when a confidence must stay in
 * [0, 1].
 *
 * <p><b>Differences from the Python package</b>, all deliberate: coordinates are used as given (any unit, pixels or
 * normalised) instead of being clipped to [0, 1]; a wrong number of weights is an error instead of a warning; ties in
 * score keep input order (model order, then box order) instead of numpy's unspecified order; scores are doubles, not
 * float32.
 *
 * <pre>{@code
 * WeightedBoxFusion wbf = WeightedBoxFusion.builder().iouThr(0.55).confType(ConfType.AVG).weights(2, 1).build();
 * List<Box> fused = wbf.fuse(List.of(boxesOfModelA, boxesOfModelB));
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class WeightedBoxFusion {

  /** How a cluster's confidence is computed (the {@code conf_type} of ensemble-boxes). */
  public enum ConfType {
    AVG, MAX, BOX_AND_MODEL_AVG, ABSENT_MODEL_AWARE_AVG;

    /** The ensemble-boxes spelling: {@code avg}, {@code max}, {@code box_and_model_avg}, {@code absent_model_aware_avg}. */
    public String id() { return name().toLowerCase(Locale.ROOT); }

    /** Parses the ensemble-boxes spelling (dashes accepted for underscores). */
    public static ConfType fromId(String id) {
      String s = id.trim().toLowerCase(Locale.ROOT).replace('-', '_');
      for (ConfType c : values()) if (c.id().equals(s)) return c;
      throw new InvalidInputException("unknown WBF confidence type '" + id
          + "'; use one of avg, max, box_and_model_avg, absent_model_aware_avg");
    }
  }

  /**
   * One fused box with the boxes it was fused from.
   *
   * @param box     the fused box (label of its members, fused confidence as score)
   * @param members the input boxes of the cluster, in the order they joined
   * @param models  the model index of each member
   */
  public record Fused(Box box, List<Box> members, List<Integer> models) {
    public Fused {
      members = List.copyOf(members);
      models = List.copyOf(models);
    }
  }

  private final double iouThr;
  private final double skipBoxThr;
  private final ConfType confType;
  private final double[] weights;
  private final boolean allowsOverflow;

  private WeightedBoxFusion(Builder b) {
    this.iouThr = b.iouThr;
    this.skipBoxThr = b.skipBoxThr;
    this.confType = b.confType;
    this.weights = b.weights == null ? null : b.weights.clone();
    this.allowsOverflow = b.allowsOverflow;
  }

  /** Defaults of ensemble-boxes: {@code iou_thr 0.55, skip_box_thr 0, conf_type avg, weights 1, no overflow}. */
  public static Builder builder() { return new Builder(); }

  public double iouThr() { return iouThr; }
  public double skipBoxThr() { return skipBoxThr; }
  public ConfType confType() { return confType; }
  public boolean allowsOverflow() { return allowsOverflow; }

  /** Fuses the boxes of one model. */
  public List<Box> fuseSingle(List<Box> boxes) { return fuse(List.of(boxes)); }

  /** Fuses the boxes of {@code perModel.size()} models; returns fused boxes in decreasing confidence. */
  public List<Box> fuse(List<List<Box>> perModel) {
    return fuseClusters(perModel).stream().map(Fused::box).toList();
  }

  /** As {@link #fuse}, keeping each cluster's members. */
  public List<Fused> fuseClusters(List<List<Box>> perModel) {
    Objects.requireNonNull(perModel, "perModel");
    int m = perModel.size();
    double[] w = weights;
    if (w == null) {
      w = new double[m];
      Arrays.fill(w, 1.0);
    } else if (w.length != m) {
      throw new InvalidInputException("WBF got " + w.length + " model weights for " + m
          + " models; give one weight per model (or none for all 1)");
    }
    double wSum = 0, wMax = Double.NEGATIVE_INFINITY;
    for (double x : w) { wSum += x; wMax = Math.max(wMax, x); }

    // 1. prefilter, grouped by label in first-seen order
    Map<String, List<Entry>> byLabel = new LinkedHashMap<>();
    int seq = 0;
    for (int t = 0; t < m; t++) {
      for (Box b : perModel.get(t)) {
        if (b.score() < skipBoxThr) continue;
        if (b.area() == 0.0) continue;
        String label = b.label() == null ? "" : b.label();
        byLabel.computeIfAbsent(label, k -> new ArrayList<>()).add(new Entry(b, b.score() * w[t], w[t], t, seq++));
      }
    }

    List<Fused> out = new ArrayList<>();
    for (List<Entry> entries : byLabel.values()) {
      entries.sort(Comparator.comparingDouble((Entry e) -> -e.s).thenComparingInt(e -> e.seq));
      List<Cluster> clusters = new ArrayList<>();
      // 2. clustering against the current fused boxes
      for (Entry e : entries) {
        int best = -1;
        double bestIou = iouThr;
        for (int i = 0; i < clusters.size(); i++) {
          double iou = iou(clusters.get(i).coords, e.coords());
          if (iou > bestIou) { bestIou = iou; best = i; }
        }
        if (best >= 0) clusters.get(best).add(e);
        else clusters.add(new Cluster(e));
      }
      // 3. confidence rescaling
      for (Cluster c : clusters) {
        int n = c.members.size();
        double sumS = 0, maxS = Double.NEGATIVE_INFINITY, sumW = 0;
        Set<Integer> models = new LinkedHashSet<>();
        for (Entry e : c.members) {
          sumS += e.s;
          maxS = Math.max(maxS, e.s);
          sumW += e.w;
          models.add(e.model);
        }
        double conf = switch (confType) {
          case AVG -> allowsOverflow ? sumS / wSum : sumS / n * Math.min(m, n) / wSum;
          case MAX -> maxS / wMax;
          case BOX_AND_MODEL_AVG -> {
            double present = 0;
            for (int t : models) present += w[t];
            yield sumS / sumW * present / wSum;
          }
          case ABSENT_MODEL_AWARE_AVG -> {
            double absent = 0;
            for (int t = 0; t < m; t++) if (!models.contains(t)) absent += w[t];
            yield sumS / (sumW + absent);
          }
        };
        Entry first = c.members.get(0);
        Box fused = new Box(c.coords[0], c.coords[1], c.coords[2], c.coords[3], first.box.label(), conf);
        out.add(new Fused(fused, c.members.stream().map(e -> e.box).toList(),
            c.members.stream().map(e -> e.model).toList()));
      }
    }
    // 4. global order by confidence (stable)
    out.sort(Comparator.comparingDouble((Fused f) -> -f.box().score()));
    return out;
  }

  private static double iou(double[] a, double[] b) {
    double iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
    double ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
    if (iw <= 0 || ih <= 0) return 0.0;
    double inter = iw * ih;
    double ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return inter / ua;
  }

  private record Entry(Box box, double s, double w, int model, int seq) {
    double[] coords() { return new double[] {box.x0(), box.y0(), box.x1(), box.y1()}; }
  }

  private static final class Cluster {
    final List<Entry> members = new ArrayList<>();
    double[] coords;

    Cluster(Entry e) {
      members.add(e);
      coords = e.coords();
    }

    void add(Entry e) {
      members.add(e);
      double[] c = new double[4];
      double sum = 0;
      for (Entry x : members) {
        c[0] += x.s * x.box.x0();
        c[1] += x.s * x.box.y0();
        c[2] += x.s * x.box.x1();
        c[3] += x.s * x.box.y1();
        sum += x.s;
      }
      if (sum > 0) {
        for (int k = 0; k < 4; k++) c[k] /= sum;
        coords = c;
      }
      // sum == 0 only when every member scores 0 (skipBoxThr 0): the reference divides by zero; keep the first box.
    }
  }

  /** Options of a fusion; defaults as in ensemble-boxes. */
  public static final class Builder {
    private double iouThr = 0.55;
    private double skipBoxThr = 0.0;
    private ConfType confType = ConfType.AVG;
    private double[] weights;
    private boolean allowsOverflow;

    private Builder() { }

    /** Boxes join a cluster when IoU with its fused box is strictly greater than this (0.55). */
    public Builder iouThr(double t) {
      if (!(t >= 0 && t <= 1)) throw new InvalidInputException("WBF iou threshold must be in [0, 1], got " + t);
      this.iouThr = t;
      return this;
    }

    /** Boxes scoring below this are dropped (0). */
    public Builder skipBoxThr(double t) {
      if (!Double.isFinite(t)) throw new InvalidInputException("WBF skip-box threshold must be finite, got " + t);
      this.skipBoxThr = t;
      return this;
    }

    public Builder confType(ConfType c) { this.confType = Objects.requireNonNull(c, "confType"); return this; }

    /** One weight per model (default all 1); must be positive. */
    public Builder weights(double... w) {
      if (w != null) {
        for (double x : w) {
          if (!(x > 0) || !Double.isFinite(x)) throw new InvalidInputException("WBF model weights must be positive, got " + Arrays.toString(w));
        }
      }
      this.weights = w == null ? null : w.clone();
      return this;
    }

    /** For {@code avg}: let the confidence exceed the mean (sum of scores over the total weight). */
    public Builder allowsOverflow(boolean a) { this.allowsOverflow = a; return this; }

    public WeightedBoxFusion build() { return new WeightedBoxFusion(this); }
  }
}
