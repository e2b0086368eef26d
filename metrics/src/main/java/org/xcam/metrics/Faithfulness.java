package org.xcam.metrics;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Metric;
import org.xcam.api.MetricContext;
import org.xcam.api.MetricResult;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;

/**
 * Faithfulness metrics: they perturb the explained input along the heatmap and watch the model's score
 * ({@link Scoring}). Every perturbed copy goes through the model in batches of {@code batch-size}.
 */
public final class Faithfulness {
  private Faithfulness() { }

  private static final EnumSet<MetricContext.Need> MODEL = EnumSet.of(MetricContext.Need.MODEL);

  // ------------------------------------------------------------------ insertion / deletion (RISE)

  /**
   * Insertion and deletion (Petsiuk et al., RISE): pixels are ranked by the heatmap (largest first, ties in row-major
   * order); step {@code i} of {@code steps} has the first {@code round(i·HW/steps)} pixels inserted into the baseline
   * (insertion) or replaced by it (deletion). The curve is x = i/steps, y = score; the value is its area by the
   * trapezoid rule. Defaults follow RISE: insertion starts from a blurred copy, deletion removes to zeros.
   */
  public abstract static class InsertionDeletion extends AbstractMetricProvider {
    private final boolean insertion;

    protected InsertionDeletion(boolean insertion) {
      super(insertion ? "insertion" : "deletion",
          insertion ? "area under the score curve as the most salient pixels are inserted into a baseline (RISE insertion; probability scores)"
              : "area under the score curve as the most salient pixels are removed to a baseline (RISE deletion; probability scores)",
          unit(insertion), MODEL,
          List.of(new OptionSpec("steps", "100", "number of steps (the curve has steps+1 points)"),
              new OptionSpec("baseline", insertion ? "blur" : "zeros", "blur (Gaussian, sigma) or zeros (black)"),
              new OptionSpec("sigma", "5", "standard deviation of the blur baseline in pixels"),
              Scoring.scoreOption("auto"), Scoring.batchOption()));
      this.insertion = insertion;
    }

    @Override public Metric create(Options o) {
      int steps = o.getInt("steps");
      if (steps < 1) throw new InvalidInputException("option steps of " + name() + " must be >= 1, got " + steps);
      String baseline = o.getChoice("baseline", "blur", "zeros");
      double sigma = o.getDouble("sigma");
      return ctx -> {
        Scoring s = new Scoring(ctx, o);
        double[][] curve = curve(s, s.heatmap(ctx), steps, baseline, sigma, insertion);
        String key = insertion ? "insertion" : "deletion";
        return new MetricResult(MapOps.trapezoid(curve[0], curve[1]), Map.of(key, curve), "");
      };
    }
  }

  static double[][] curve(Scoring s, float[] heat, int steps, String baseline, double sigma, boolean insertion) {
    int[] order = MapOps.rankDescending(heat);
    float[] base = s.baseline(baseline, sigma);
    int hw = s.pixels();
    double[] x = new double[steps + 1];
    for (int i = 0; i <= steps; i++) x[i] = (double) i / steps;
    double[] y = s.scores(steps + 1, i -> {
      int count = (int) Math.round((double) i * hw / steps);
      return insertion ? s.replace(base, s.input, order, count) : s.replace(s.input, base, order, count);
    });
    return new double[][] {x, y};
  }

  public static final class Insertion extends InsertionDeletion { public Insertion() { super(true); } }
  public static final class Deletion extends InsertionDeletion { public Deletion() { super(false); } }

  // ------------------------------------------------------------------ confidence drop / increase

  /**
   * Change of confidence when the model sees only one zone of the image (Chattopadhyay et al., Grad-CAM++; the four
   * zone scores of the global-guidance paper). With Y the score on the image and O the score on the zone image:
   * drop = 100 · max(0, Y − O) / Y, increase = 100 if O > Y else 0 (their means over a data set are the papers'
   * percentages). The saliency zone is {@code x ⊙ M}, the context zone {@code x ⊙ (1 − M)}, M the [0,1] map.
   */
  public abstract static class ConfidenceChange extends AbstractMetricProvider {
    private final boolean context;
    private final boolean drop;

    protected ConfidenceChange(String name, boolean context, boolean drop) {
      super(name, (drop ? "drop" : "increase") + " in confidence (percent) when the model sees only the "
              + (context ? "context zone x*(1-M)" : "saliency zone x*M"),
          new Range(0, 100, context == drop), MODEL, List.of(Scoring.scoreOption("auto"), Scoring.batchOption()));
      this.context = context;
      this.drop = drop;
    }

    @Override public Metric create(Options o) {
      return ctx -> {
        Scoring s = new Scoring(ctx, o);
        float[] m = s.heatmap(ctx);
        if (context) for (int i = 0; i < m.length; i++) m[i] = 1 - m[i];
        float[] zone = s.masked(m);
        double[] sc = s.scores(2, i -> i == 0 ? s.input : zone);
        double y = sc[0], z = sc[1];
        if (drop) {
          if (!(y > 0)) return MetricResult.undefined("the score on the image is " + y + "; a relative drop needs a positive score (use score=softmax or sigmoid)");
          return MetricResult.of(100 * Math.max(0, y - z) / y);
        }
        return MetricResult.of(z > y ? 100 : 0);
      };
    }
  }

  public static final class AverageDrop extends ConfidenceChange { public AverageDrop() { super("average-drop", false, true); } }
  public static final class AverageIncrease extends ConfidenceChange { public AverageIncrease() { super("average-increase", false, false); } }
  public static final class SaliencyZoneDrop extends ConfidenceChange { public SaliencyZoneDrop() { super("saliency-zone-drop", false, true); } }
  public static final class SaliencyZoneIncrease extends ConfidenceChange { public SaliencyZoneIncrease() { super("saliency-zone-increase", false, false); } }
  public static final class ContextZoneDrop extends ConfidenceChange { public ContextZoneDrop() { super("context-zone-drop", true, true); } }
  public static final class ContextZoneIncrease extends ConfidenceChange { public ContextZoneIncrease() { super("context-zone-increase", true, false); } }

  // ------------------------------------------------------------------ sensitivity-n

  /**
   * Sensitivity-n (Ancona et al., ICLR 2018): {@code samples} random sets of n pixels are removed (set to the
   * baseline); the Pearson correlation over the samples between the sum of the map over each set and the score's
   * drop f(x) − f(x with the set removed). Seeded by the context seed and the {@code seed} option.
   */
  public static final class SensitivityN extends AbstractMetricProvider {
    public SensitivityN() {
      super("sensitivity-n", "Pearson correlation between the map's sum over random pixel sets and the score drop when they are removed",
          new Range(-1, 1, true), MODEL,
          List.of(new OptionSpec("n", "0.1", "pixels per set: a count (>= 1) or a fraction of the image (< 1)"),
              new OptionSpec("samples", "64", "random sets per image"),
              new OptionSpec("baseline", "zeros", "what removed pixels become: zeros (black) or blur"),
              new OptionSpec("sigma", "5", "blur standard deviation"),
              new OptionSpec("seed", "0", "added to the evaluation seed"),
              Scoring.scoreOption("logit"), Scoring.batchOption()));
    }

    @Override public Metric create(Options o) {
      double nOpt = o.getDouble("n");
      int samples = o.getInt("samples");
      if (samples < 2) throw new InvalidInputException("option samples of sensitivity-n must be >= 2, got " + samples);
      if (!(nOpt > 0)) throw new InvalidInputException("option n of sensitivity-n must be > 0, got " + nOpt);
      String baseline = o.getChoice("baseline", "zeros", "blur");
      double sigma = o.getDouble("sigma");
      long seed = o.getLong("seed");
      return ctx -> {
        Scoring s = new Scoring(ctx, o);
        int hw = s.pixels();
        int n = (int) Math.max(1, Math.min(hw, nOpt < 1 ? Math.round(nOpt * hw) : Math.round(nOpt)));
        float[] heat = s.heatmap(ctx);
        float[] base = s.baseline(baseline, sigma);
        SplittableRandom rnd = new SplittableRandom(ctx.seed() * 0x9E3779B97F4A7C15L + seed);
        int[][] sets = new int[samples][];
        double[] attr = new double[samples];
        for (int k = 0; k < samples; k++) {
          sets[k] = sample(rnd, hw, n);
          for (int p : sets[k]) attr[k] += heat[p];
        }
        double[] sc = s.scores(samples + 1, i -> i == 0 ? s.input : s.replace(s.input, base, sets[i - 1], n));
        double[] delta = new double[samples];
        for (int k = 0; k < samples; k++) delta[k] = sc[0] - sc[k + 1];
        String note = MapOps.constant(toFloat(attr)) || MapOps.constant(toFloat(delta)) ? "no variation across sets: correlation set to 0" : "";
        return new MetricResult(MapOps.pearson(attr, delta), Map.of(), note);
      };
    }
  }

  private static float[] toFloat(double[] d) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
    return f;
  }

  /** {@code n} distinct indices from {@code [0, hw)} (partial Fisher-Yates). */
  static int[] sample(SplittableRandom rnd, int hw, int n) {
    int[] all = new int[hw];
    for (int i = 0; i < hw; i++) all[i] = i;
    for (int i = 0; i < n; i++) {
      int j = i + rnd.nextInt(hw - i);
      int t = all[i]; all[i] = all[j]; all[j] = t;
    }
    return java.util.Arrays.copyOf(all, n);
  }

  // ------------------------------------------------------------------ ROAD

  /**
   * ROAD (Rong et al., ICML 2022): remove a percentage of pixels, most relevant first (MoRF) or least relevant first
   * (LeRF), fill them by noisy linear imputation (each removed pixel the weighted mean of its 8 neighbours, weights
   * 1/6 direct and 1/12 diagonal, solved jointly as a sparse linear system per channel, plus Gaussian noise of
   * standard deviation {@code noise} in the normalised input space), and score. Curve x = percentage, y = score;
   * the value is the mean score over the percentages. MoRF: lower is better; LeRF: higher is better.
   */
  public abstract static class Road extends AbstractMetricProvider {
    private final boolean morf;

    protected Road(boolean morf) {
      super(morf ? "road-morf" : "road-lerf",
          "mean score after removing the " + (morf ? "most" : "least") + " relevant pixels with noisy linear imputation (ROAD "
              + (morf ? "MoRF" : "LeRF") + "; probability scores)",
          unit(!morf), MODEL,
          List.of(new OptionSpec("percentages", "10,20,30,40,50,60,70,80,90", "percent of pixels removed at each step"),
              new OptionSpec("noise", "0.01", "standard deviation of the imputation noise (normalised input units)"),
              new OptionSpec("seed", "0", "added to the evaluation seed"),
              Scoring.scoreOption("auto"), Scoring.batchOption()));
      this.morf = morf;
    }

    @Override public Metric create(Options o) {
      List<Double> pct = new ArrayList<>();
      for (String p : o.getString("percentages").split(",")) {
        try {
          double v = Double.parseDouble(p.trim());
          if (v < 0 || v > 100) throw new NumberFormatException();
          pct.add(v);
        } catch (NumberFormatException e) {
          throw new InvalidInputException("option percentages of " + name() + " must be numbers in 0..100 separated by commas, got '" + p + "'");
        }
      }
      double noise = o.getDouble("noise");
      long seed = o.getLong("seed");
      return ctx -> {
        Scoring s = new Scoring(ctx, o);
        float[] heat = s.heatmap(ctx);
        int[] order = MapOps.rankDescending(heat);
        if (!morf) order = reverse(order);
        int hw = s.pixels();
        SplittableRandom rnd = new SplittableRandom(ctx.seed() * 0x9E3779B97F4A7C15L + seed + (morf ? 1 : 2));
        float[][] images = new float[pct.size()][];
        for (int k = 0; k < pct.size(); k++) {
          int count = (int) Math.round(pct.get(k) / 100 * hw);
          boolean[] removed = new boolean[hw];
          for (int j = 0; j < count; j++) removed[order[j]] = true;
          images[k] = Imputation.noisyLinear(s.input, s.c, s.h, s.w, removed, noise, rnd);
        }
        double[] y = s.scores(images.length, i -> images[i]);
        double[] x = new double[pct.size()];
        double mean = 0;
        for (int k = 0; k < x.length; k++) { x[k] = pct.get(k); mean += y[k]; }
        return new MetricResult(mean / x.length, Map.of(name(), new double[][] {x, y}), "");
      };
    }
  }

  static int[] reverse(int[] a) {
    int[] r = new int[a.length];
    for (int i = 0; i < a.length; i++) r[i] = a[a.length - 1 - i];
    return r;
  }

  public static final class RoadMorf extends Road { public RoadMorf() { super(true); } }
  public static final class RoadLerf extends Road { public RoadLerf() { super(false); } }

  // ------------------------------------------------------------------ Feature-CAM explanation map

  /**
   * The Feature-CAM paper's explanation map: the image times a binary mask of the pixels at or above the map's
   * {@code percentile}-th percentile (80 by default). {@code explanation-map-right}: 1 if the model's top-1 on the
   * explanation map is the explained class (its mean is the right-classification rate);
   * {@code explanation-map-confidence}: the explained class's score on it.
   */
  public abstract static class ExplanationMap extends AbstractMetricProvider {
    private final boolean confidence;

    protected ExplanationMap(boolean confidence) {
      super(confidence ? "explanation-map-confidence" : "explanation-map-right",
          confidence ? "score of the explained class on the image masked to the map's top 20% (Feature-CAM explanation map)"
              : "1 if the model still predicts the explained class on the image masked to the map's top 20% (Feature-CAM)",
          unit(true), MODEL,
          List.of(new OptionSpec("percentile", "80", "pixels at or above this percentile of the map are kept"),
              Scoring.scoreOption("auto"), Scoring.batchOption()));
      this.confidence = confidence;
    }

    @Override public Metric create(Options o) {
      double pct = o.getDouble("percentile");
      if (pct < 0 || pct > 100) throw new InvalidInputException("option percentile of " + name() + " must be in 0..100, got " + pct);
      return ctx -> {
        Scoring s = new Scoring(ctx, o);
        float[] heat = s.heatmap(ctx);
        double t = MapOps.percentile(heat, pct);
        float[] mask = new float[heat.length];
        for (int i = 0; i < heat.length; i++) mask[i] = heat[i] >= t ? 1f : 0f;
        float[] img = s.masked(mask);
        float[][] rows = new float[2][];
        s.forEachOutput(2, i -> i == 0 ? s.input : img, (i, row) -> rows[i] = row);
        int k = s.explainedClass(rows[0]);
        if (confidence) return MetricResult.of(s.score(rows[1]));
        return MetricResult.of(org.xcam.api.Objectives.argmax(rows[1]) == k ? 1 : 0);
      };
    }
  }

  public static final class ExplanationMapRight extends ExplanationMap { public ExplanationMapRight() { super(false); } }
  public static final class ExplanationMapConfidence extends ExplanationMap { public ExplanationMapConfidence() { super(true); } }
}
