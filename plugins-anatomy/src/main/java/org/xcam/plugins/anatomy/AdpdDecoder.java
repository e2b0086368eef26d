package org.xcam.plugins.anatomy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xcam.api.Box;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Model;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.Tensor;

/**
 * Inference of anatomy-driven pathology detection (Müller et al., "Anatomy-Driven Pathology Detection on Chest
 * X-rays", MICCAI 2023) on the flat outputs of an ADPD model (layout in {@link AnatomySpec}).
 *
 * <p>For each image:
 * <ol>
 *   <li>Region boxes are converted from normalised {@code cxcywh}/{@code xyxy} to pixels of a {@code width x height}
 *       image and clipped to it. Regions whose presence probability is below {@code presence-threshold} (default
 *       0.5) are not used as pathology boxes.</li>
 *   <li>Class probabilities per region: the mean of the training pathologies the class maps to (many-to-one
 *       mapping of the manifest; identity by default).</li>
 *   <li>Every (region, class) with probability strictly above {@code threshold} (default 0.5) yields the region's box
 *       as a box of that class, scored with that probability.</li>
 *   <li>Optionally ({@code wbf}, default on) the boxes of each class are merged by {@link WeightedBoxFusion} with IoU
 *       threshold {@code wbf-iou} (default 0.03) and confidence type {@code max}: the choice of the paper's code, so
 *       that adjacent regions positive for one pathology become one box scored by the most confident region.</li>
 *   <li>Optionally ({@code top1}, default off) only the highest-scoring box per class is kept (the NIH ChestX-ray8
 *       boxes have at most one box per pathology and image).</li>
 *   <li>Image-level probability per class (MIL-ADPD): {@code sigmoid(LSE_r(logit(q_1c), ..., logit(q_Rc)))} over all
 *       regions, i.e. LSE pooling of the region logits as in training, with sharpness {@code lse-r} (default
 *       {@value LsePooling#DEFAULT_R}); r -> infinity gives the most positive region, r -> 0 the mean logit.</li>
 * </ol>
 *
 * <pre>{@code
 * AdpdDecoder d = new AdpdDecoder(AnatomySpec.of(model.info()), AdpdDecoder.Config.defaults());
 * List<AdpdResult> r = d.detect(model, batch, 1024, 1024);
 * }</pre>
 */
public final class AdpdDecoder {

  /** Decoder settings; {@link #defaults()} are the paper's. */
  public record Config(double threshold, double presenceThreshold, boolean wbf, double wbfIou, boolean top1, double lseR) {
    public Config {
      if (!(threshold >= 0 && threshold <= 1)) throw new InvalidInputException("ADPD threshold must be in [0, 1], got " + threshold);
      if (!(presenceThreshold >= 0 && presenceThreshold <= 1)) {
        throw new InvalidInputException("ADPD presence-threshold must be in [0, 1], got " + presenceThreshold);
      }
      if (!(wbfIou >= 0 && wbfIou <= 1)) throw new InvalidInputException("ADPD wbf-iou must be in [0, 1], got " + wbfIou);
      if (!(lseR >= 0)) throw new InvalidInputException("ADPD lse-r must be >= 0, got " + lseR);
    }

    public static Config defaults() { return new Config(0.5, 0.5, true, 0.03, false, LsePooling.DEFAULT_R); }

    public Config withWbf(boolean on) { return new Config(threshold, presenceThreshold, on, wbfIou, top1, lseR); }
    public Config withTop1(boolean on) { return new Config(threshold, presenceThreshold, wbf, wbfIou, on, lseR); }
    public Config withThreshold(double t) { return new Config(t, presenceThreshold, wbf, wbfIou, top1, lseR); }
    public Config withLseR(double r) { return new Config(threshold, presenceThreshold, wbf, wbfIou, top1, r); }

    /** The options a command line offers. */
    public static List<OptionSpec> options() {
      return List.of(
          new OptionSpec("threshold", "0.5", "a region is a pathology box when its class probability is above this"),
          new OptionSpec("presence-threshold", "0.5", "regions with presence probability below this are ignored"),
          new OptionSpec("wbf", "true", "merge each class's boxes by weighted box fusion (IoU 0.03, conf max)"),
          new OptionSpec("wbf-iou", "0.03", "IoU threshold of the fusion"),
          new OptionSpec("top1", "false", "keep only the best box per class"),
          new OptionSpec("lse-r", String.valueOf(LsePooling.DEFAULT_R), "LSE pooling sharpness for image-level probabilities"));
    }

    public static Config of(Options o) {
      return new Config(o.getDouble("threshold"), o.getDouble("presence-threshold"), o.getBoolean("wbf"),
          o.getDouble("wbf-iou"), o.getBoolean("top1"), o.getDouble("lse-r"));
    }
  }

  private final AnatomySpec spec;
  private final Config config;
  private final WeightedBoxFusion fusion;

  public AdpdDecoder(AnatomySpec spec, Config config) {
    this.spec = spec;
    this.config = config;
    this.fusion = WeightedBoxFusion.builder().iouThr(config.wbfIou()).confType(WeightedBoxFusion.ConfType.MAX).build();
  }

  public AnatomySpec spec() { return spec; }
  public Config config() { return config; }

  /** Runs the model on {@code batch [N,C,H,W]} and decodes each image with boxes in a {@code width x height} frame. */
  public List<AdpdResult> detect(Model model, Tensor batch, int width, int height) {
    return decode(model.forward(batch), width, height);
  }

  /** Decodes every row of {@code outputs [N, K]}. */
  public List<AdpdResult> decode(Tensor outputs, int width, int height) {
    if (outputs.rank() != 2 || outputs.dim(1) != spec.outputSize()) {
      throw new InvalidInputException("ADPD outputs must be [N, " + spec.outputSize() + "] (R*4 + R + R*P for "
          + spec.numRegions() + " regions, " + spec.numPathologies() + " pathologies), got " + outputs);
    }
    int n = outputs.dim(0), k = outputs.dim(1);
    List<AdpdResult> out = new ArrayList<>(n);
    float[] row = new float[k];
    for (int i = 0; i < n; i++) {
      outputs.copyTo(i * k, row, 0, k);
      out.add(decode(row, width, height));
    }
    return out;
  }

  /** Decodes one flat row {@code [boxes R*4 | presence R | probs R*P]}. */
  public AdpdResult decode(float[] row, int width, int height) {
    int r = spec.numRegions(), p = spec.numPathologies();
    if (row.length != spec.outputSize()) {
      throw new InvalidInputException("ADPD output row has " + row.length + " values, expected " + spec.outputSize());
    }
    if (width <= 0 || height <= 0) throw new InvalidInputException("image size must be positive, got " + width + "x" + height);
    List<Box> regions = new ArrayList<>(r);
    for (int j = 0; j < r; j++) {
      double a = row[4 * j], b = row[4 * j + 1], c = row[4 * j + 2], d = row[4 * j + 3];
      double x0, y0, x1, y1;
      if (spec.boxFormat() == AnatomySpec.BoxFormat.CXCYWH) {
        x0 = a - Math.abs(c) / 2; x1 = a + Math.abs(c) / 2;
        y0 = b - Math.abs(d) / 2; y1 = b + Math.abs(d) / 2;
      } else {
        x0 = Math.min(a, c); x1 = Math.max(a, c);
        y0 = Math.min(b, d); y1 = Math.max(b, d);
      }
      double presence = row[4 * r + j];
      regions.add(new Box(x0 * width, y0 * height, x1 * width, y1 * height, spec.regions().get(j), presence)
          .clipped(width, height));
    }
    List<String> classes = spec.classNames();
    double[][] q = new double[r][classes.size()];
    int base = 5 * r;
    for (int j = 0; j < r; j++) {
      int ci = 0;
      for (int[] members : spec.classes().values()) {
        double s = 0;
        for (int m : members) s += row[base + j * p + m];
        q[j][ci++] = s / members.length;
      }
    }
    List<Box> candidates = new ArrayList<>();
    Map<Box, String> regionOf = new java.util.IdentityHashMap<>();
    for (int ci = 0; ci < classes.size(); ci++) {
      for (int j = 0; j < r; j++) {
        if (regions.get(j).score() < config.presenceThreshold()) continue;
        if (q[j][ci] > config.threshold()) {
          Box reg = regions.get(j);
          Box cand = new Box(reg.x0(), reg.y0(), reg.x1(), reg.y1(), classes.get(ci), q[j][ci]);
          candidates.add(cand);
          regionOf.put(cand, reg.label());
        }
      }
    }
    // each detection with the regions it was made from (its provenance), highest score first
    List<Map.Entry<Box, List<String>>> found = new ArrayList<>();
    if (config.wbf()) {
      for (WeightedBoxFusion.Fused f : fusion.fuseClusters(List.of(candidates))) {
        found.add(Map.entry(f.box(), f.members().stream().map(regionOf::get).toList()));
      }
    } else {
      for (Box c : candidates) found.add(Map.entry(c, List.of(regionOf.get(c))));
      found.sort(Comparator.comparingDouble((Map.Entry<Box, List<String>> x) -> -x.getKey().score()));
    }
    if (config.top1()) {
      Map<String, Map.Entry<Box, List<String>>> best = new LinkedHashMap<>();
      for (Map.Entry<Box, List<String>> x : found) best.putIfAbsent(x.getKey().label(), x);   // sorted by score
      found = new ArrayList<>(best.values());
    }
    List<Box> detections = found.stream().map(Map.Entry::getKey).toList();
    List<List<String>> sources = found.stream().map(Map.Entry::getValue).toList();
    Map<String, Double> image = new LinkedHashMap<>();
    double[] logits = new double[r];
    for (int ci = 0; ci < classes.size(); ci++) {
      for (int j = 0; j < r; j++) logits[j] = logit(q[j][ci]);
      image.put(classes.get(ci), sigmoid(LsePooling.pool(logits, config.lseR())));
    }
    return new AdpdResult(regions, candidates, detections, sources, image, q);
  }

  private static final double EPS = 1e-6;

  static double logit(double p) {
    double c = Math.min(1 - EPS, Math.max(EPS, p));
    return Math.log(c / (1 - c));
  }

  static double sigmoid(double z) { return 1 / (1 + Math.exp(-z)); }
}
