package org.xcam.metrics;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.xcam.api.Box;
import org.xcam.api.Heatmap;
import org.xcam.api.Metric;
import org.xcam.api.MetricContext;
import org.xcam.api.MetricResult;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;

/**
 * Localisation against ground-truth boxes or masks. Every metric here reads the heatmap at its own resolution and
 * rasterises the truth on the same grid ({@link MapOps} pixel convention). With {@code truth=auto} a mask in the
 * context wins over boxes.
 */
public final class Localisation {
  private Localisation() { }

  /** The energy fractions of the Hessian-CIAM paper's Table 1, in the order the curve is written. */
  static final double[] ENERGIES = {0.95, 0.90, 0.85, 0.80, 0.75};

  static final String NOTE_ZERO = "the map is all zeros (a constant map): no pixel carries energy";

  /**
   * IoU between the smallest pixel set holding {@code X%} of the map's energy and the ground truth. Each image also
   * yields the curve {@code iou-vs-energy} (x = X in percent for 95, 90, 85, 80, 75; y = IoU), from one sort.
   */
  public abstract static class IouEnergy extends AbstractMetricProvider {
    private final double fraction;

    protected IouEnergy(int percent) {
      super("iou-energy-" + percent,
          "IoU of the smallest pixel set holding " + percent + "% of the map's energy with the ground-truth boxes/mask"
              + " (Hessian-CIAM Table 1 protocol)",
          unit(true), EnumSet.of(MetricContext.Need.BOXES), List.of(truthOption()));
      this.fraction = percent / 100.0;
    }

    @Override public Metric create(Options o) {
      String truth = o.getChoice("truth", "auto", "boxes", "mask");
      return ctx -> {
        Heatmap m = ctx.heatmap();
        float[] v = m.values();
        boolean[] gt = MapOps.truth(ctx, truth, m.height(), m.width());
        double[] xs = new double[ENERGIES.length], ys = new double[ENERGIES.length];
        double value = 0;
        int[] order = MapOps.rankDescending(v);
        for (int i = 0; i < ENERGIES.length; i++) {
          xs[i] = ENERGIES[i] * 100;
          ys[i] = MapOps.iou(energyRegion(v, order, ENERGIES[i]), gt);
        }
        value = MapOps.iou(energyRegion(v, order, fraction), gt);
        String note = m.constant() || MapOps.constant(v) ? NOTE_ZERO : "";
        return new MetricResult(value, Map.of("iou-vs-energy", new double[][] {xs, ys}), note);
      };
    }
  }

  /** {@link MapOps#energyRegion} with a precomputed ranking. */
  static boolean[] energyRegion(float[] v, int[] order, double fraction) {
    double total = 0;
    for (float f : v) total += Math.max(0, f);
    boolean[] m = new boolean[v.length];
    if (total <= 0) return m;
    double need = fraction * total * (1 - 1e-12), cum = 0;
    for (int idx : order) {
      if (cum >= need) break;
      m[idx] = true;
      cum += Math.max(0, v[idx]);
    }
    return m;
  }

  public static final class IouEnergy95 extends IouEnergy { public IouEnergy95() { super(95); } }
  public static final class IouEnergy90 extends IouEnergy { public IouEnergy90() { super(90); } }
  public static final class IouEnergy85 extends IouEnergy { public IouEnergy85() { super(85); } }
  public static final class IouEnergy80 extends IouEnergy { public IouEnergy80() { super(80); } }
  public static final class IouEnergy75 extends IouEnergy { public IouEnergy75() { super(75); } }

  /** An overlap score of {@code map >= threshold} with the ground truth (boxes or mask). */
  abstract static class ThresholdOverlap extends AbstractMetricProvider {
    private final java.util.function.BiFunction<boolean[], boolean[], Double> overlap;

    ThresholdOverlap(String name, String description, java.util.function.BiFunction<boolean[], boolean[], Double> overlap) {
      super(name, description, unit(true), EnumSet.of(MetricContext.Need.BOXES),
          List.of(new OptionSpec("threshold", "0.5", "value threshold on the [0,1] map"), truthOption()));
      this.overlap = overlap;
    }

    @Override public Metric create(Options o) {
      double t = o.getDouble("threshold");
      String truth = o.getChoice("truth", "auto", "boxes", "mask");
      return ctx -> {
        Heatmap m = ctx.heatmap();
        float[] v = m.values();
        return result(overlap.apply(MapOps.threshold(v, t), MapOps.truth(ctx, truth, m.height(), m.width())), v);
      };
    }
  }

  /** IoU of {@code map >= threshold} with the ground truth. */
  public static final class IouThreshold extends ThresholdOverlap {
    public IouThreshold() {
      super("iou-threshold", "IoU of the pixels where the normalised map >= threshold with the ground-truth boxes/mask", MapOps::iou);
    }
  }

  /** Dice (F1) of {@code map >= threshold} with the ground truth. */
  public static final class DiceThreshold extends ThresholdOverlap {
    public DiceThreshold() {
      super("dice-threshold", "Dice coefficient of the pixels where the normalised map >= threshold with the ground-truth boxes/mask",
          MapOps::dice);
    }
  }

  private static MetricResult result(double value, float[] v) {
    return new MetricResult(value, Map.of(), MapOps.constant(v) ? "the map is constant" : "");
  }

  /**
   * Pointing game: 1 if the map's maximum (the first in row-major order when tied) lies in a ground-truth box, or
   * within {@code tolerance} pixels of one (Zhang et al.'s 15 px), else 0. Distances are measured from the pixel's
   * centre. A constant map has no maximum: 0, noted.
   */
  public static final class PointingGame extends AbstractMetricProvider {
    public PointingGame() {
      super("pointing-game", "1 if the map's maximum lies in a ground-truth box (or within tolerance pixels of one), else 0",
          unit(true), EnumSet.of(MetricContext.Need.BOXES),
          List.of(new OptionSpec("tolerance", "0", "hit distance in pixels around the truth (15 in Zhang et al.)"), truthOption()));
    }

    @Override public Metric create(Options o) {
      double tol = o.getDouble("tolerance");
      String truth = o.getChoice("truth", "auto", "boxes", "mask");
      return ctx -> {
        Heatmap m = ctx.heatmap();
        float[] v = m.values();
        if (MapOps.constant(v)) return new MetricResult(0, Map.of(), "the map is constant: it points nowhere");
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        int by = best / m.width(), bx = best % m.width();
        boolean useMask = "mask".equals(truth) || ("auto".equals(truth) && ctx.available().contains(MetricContext.Need.MASK));
        if (useMask) {
          boolean[] gt = MapOps.tensorMask(ctx.mask(), m.height(), m.width());
          for (int y = 0; y < m.height(); y++) {
            for (int x = 0; x < m.width(); x++) {
              if (gt[y * m.width() + x] && Math.hypot(x - bx, y - by) <= tol) return MetricResult.of(1);
            }
          }
          return MetricResult.of(0);
        }
        double px = bx + 0.5, py = by + 0.5;
        for (Box b : ctx.boxes()) {
          double dx = Math.max(0, Math.max(b.x0() - px, px - b.x1()));
          double dy = Math.max(0, Math.max(b.y0() - py, py - b.y1()));
          boolean inside = b.contains(px, py);
          if (inside || (tol > 0 && Math.hypot(dx, dy) <= tol)) return MetricResult.of(1);
        }
        return MetricResult.of(0);
      };
    }
  }

  /** Share of the map's total energy (sum of values) that falls inside the ground truth. */
  public static final class EnergyInBox extends AbstractMetricProvider {
    public EnergyInBox() {
      super("energy-in-box", "fraction of the map's total energy inside the ground-truth boxes/mask (energy-based pointing game)",
          unit(true), EnumSet.of(MetricContext.Need.BOXES), List.of(truthOption()));
    }

    @Override public Metric create(Options o) {
      String truth = o.getChoice("truth", "auto", "boxes", "mask");
      return ctx -> {
        Heatmap m = ctx.heatmap();
        float[] v = m.values();
        boolean[] gt = MapOps.truth(ctx, truth, m.height(), m.width());
        double in = 0, all = 0;
        for (int i = 0; i < v.length; i++) {
          double e = Math.max(0, v[i]);
          all += e;
          if (gt[i]) in += e;
        }
        if (all <= 0) return new MetricResult(0, Map.of(), NOTE_ZERO);
        return MetricResult.of(in / all);
      };
    }
  }
}
