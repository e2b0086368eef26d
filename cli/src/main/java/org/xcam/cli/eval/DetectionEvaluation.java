package org.xcam.cli.eval;

import org.xcam.plugins.anatomy.AdpdDecoder;
import org.xcam.plugins.anatomy.AdpdFixtures;
import org.xcam.plugins.anatomy.AdpdResult;
import org.xcam.plugins.anatomy.AnatomySpec;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.xcam.api.Box;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.InputSpec;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Model;
import org.xcam.api.Target;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.metrics.detection.DetectionEvaluator;
import org.xcam.metrics.detection.HeatmapBox;
import org.xcam.runtime.Xcam;
import org.xcam.runtime.phantom.Phantom;
import org.xcam.runtime.phantom.PhantomGenerator;

/**
 * {@code xcam evaluate --task detection}: anatomy-driven detection with and without box fusion, and boxes derived
 * from CAM heatmaps of a classifier, scored side by side on phantom chest X-rays with the protocol of the ADPD paper's
 * Table 1 (AP at IoU 0.1 ... 0.7, their mean mAP, and loc-acc).
 *
 * <p><b>Data.</b> {@code count} phantoms with seeds {@code seed, seed+1, ...} at the ADPD model's input size; ground
 * truth is each phantom's lesion box labelled with its kind (normal phantoms have none). Only the pathologies that
 * every evaluated model knows are scored (the classes of {@link DetectionEvaluator}).
 *
 * <p><b>ADPD rows.</b> {@link AdpdDecoder} with its defaults (threshold 0.5, WBF IoU 0.03 conf max), and the same
 * without WBF (every positive region is a box). <b>CAM rows.</b> For every image and every evaluated class the
 * method's map for that class becomes one box ({@link HeatmapBox}: pixels at least {@code camThreshold} of the max,
 * largest 8-connected component) scored with the classifier's probability of the class (softmax or sigmoid per its
 * task) — the weakly supervised baseline of the paper.
 *
 * <pre>{@code
 * var s = DetectionEvaluation.Settings.defaults().withCount(200);
 * List<DetectionEvaluation.Row> rows = DetectionEvaluation.run(Xcam.create(), s, System.err);
 * System.out.println(DetectionEvaluation.markdown(rows));
 * }</pre>
 */
public final class DetectionEvaluation {
  private DetectionEvaluation() { }

  /**
   * What to evaluate.
   *
   * @param count        phantoms
   * @param seed         first phantom seed (the fixtures were trained on seeds from 1,000,000)
   * @param adpdBundles  method name -> ADPD bundle directory (default: the shipped Loc- and MIL-ADPD fixtures)
   * @param classifier   classifier bundle for CAM rows; null for the shipped phantom pathology classifier
 *                     ({@link AdpdFixtures#bundle(String) classifier}, trained on the same phantoms with image labels)
   * @param camMethods   CAM methods to run on the classifier (those not installed are skipped with a note)
   * @param camThreshold relative threshold of the heatmap box
   * @param locIou       IoU of loc-acc
   * @param locScore     box-score threshold of loc-acc
   */
  public record Settings(int count, long seed, Map<String, Path> adpdBundles, Path classifier, List<String> camMethods,
                         double camThreshold, double locIou, double locScore) {
    public Settings {
      if (count <= 0) throw new InvalidInputException("phantom count must be positive, got " + count);
      adpdBundles = adpdBundles == null ? null : new LinkedHashMap<>(adpdBundles);
      camMethods = List.copyOf(camMethods);
    }

    public static Settings defaults() {
      return new Settings(500, 0, null, null, List.of("gradcam", "gradcam-plusplus", "hirescam", "layercam"),
          HeatmapBox.DEFAULT_THRESHOLD, 0.1, 0.5);
    }

    public Settings withCount(int c) { return new Settings(c, seed, adpdBundles, classifier, camMethods, camThreshold, locIou, locScore); }
    public Settings withSeed(long s) { return new Settings(count, s, adpdBundles, classifier, camMethods, camThreshold, locIou, locScore); }
    public Settings withClassifier(Path p) { return new Settings(count, seed, adpdBundles, p, camMethods, camThreshold, locIou, locScore); }
    public Settings withCamMethods(List<String> m) { return new Settings(count, seed, adpdBundles, classifier, m, camThreshold, locIou, locScore); }
    public Settings withAdpdBundles(Map<String, Path> b) { return new Settings(count, seed, b, classifier, camMethods, camThreshold, locIou, locScore); }

    Map<String, Path> bundles() {
      if (adpdBundles != null) return adpdBundles;
      Map<String, Path> m = new LinkedHashMap<>();
      m.put("Loc-ADPD", AdpdFixtures.bundle("loc"));
      m.put("MIL-ADPD", AdpdFixtures.bundle("mil"));
      return m;
    }
  }

  /**
   * One row of the table.
   *
   * @param method      e.g. {@code Loc-ADPD}, {@code Loc-ADPD w/o WBF}, {@code gradcam}
   * @param supervision what the method learned boxes from
   * @param ap          AP at IoU 0.1, 0.2, ..., 0.7 (mean over classes)
   * @param map         mean of {@code ap}
   * @param locAcc      loc-acc at the settings' IoU and box-score threshold
   * @param apPerClass  AP at IoU 0.5 per class
   * @param seconds     wall time of the method's inference over all images
   */
  public record Row(String method, String supervision, double[] ap, double map, double locAcc,
                    Map<String, Double> apPerClass, double seconds) { }

  /** The full result: rows, the classes scored, the number of images, notes (e.g. skipped methods). */
  public record Result(List<Row> rows, List<String> classes, int images, List<String> notes, Settings settings) { }

  /** Runs the evaluation; progress lines go to {@code log} (may be null). */
  public static Result run(Xcam xcam, Settings s, PrintStream log) {
    List<String> notes = new ArrayList<>();
    Map<String, Model> adpd = new LinkedHashMap<>();
    Model classifier = null;
    try {
      for (Map.Entry<String, Path> e : s.bundles().entrySet()) adpd.put(e.getKey(), xcam.load(e.getValue()));
      if (adpd.isEmpty()) throw new InvalidInputException("no ADPD model to evaluate");
      Model first = adpd.values().iterator().next();
      InputSpec in = first.info().input();
      int size = in.height();
      if (in.width() != size || in.channels() != 1) {
        throw new InvalidInputException("the phantom evaluation needs a square 1-channel ADPD model, got " + in);
      }
      Set<String> classes = new LinkedHashSet<>(AnatomySpec.of(first.info()).classNames());
      for (Model m : adpd.values()) classes.retainAll(AnatomySpec.of(m.info()).classNames());
      Path cls = s.classifier();
      if (cls == null && !s.camMethods().isEmpty()) cls = AdpdFixtures.bundle("classifier");
      if (cls != null && !s.camMethods().isEmpty()) {
        classifier = xcam.load(cls);
        classes.retainAll(classifier.info().labels());
      }
      if (classes.isEmpty()) throw new InvalidInputException("the models share no pathology class to score");

      // data
      List<Phantom> phantoms = new ArrayList<>(s.count());
      List<List<Box>> truth = new ArrayList<>(s.count());
      for (int i = 0; i < s.count(); i++) {
        Phantom p = PhantomGenerator.generate(s.seed() + i, size);
        phantoms.add(p);
        truth.add(p.lesions().stream().filter(b -> classes.contains(b.label())).toList());
      }
      log(log, "detection evaluation: " + s.count() + " phantoms (" + size + " px), classes " + classes);

      List<Row> rows = new ArrayList<>();
      for (Map.Entry<String, Model> e : adpd.entrySet()) {
        Model m = e.getValue();
        Tensor x = batch(phantoms, m.info().input(), size);
        long t0 = System.nanoTime();
        Tensor out = m.forward(x);
        double fwd = (System.nanoTime() - t0) / 1e9;
        String sup = String.valueOf(m.info().extra().get("anatomy") instanceof Map<?, ?> a ? a.get("training") : "anatomy");
        for (boolean wbf : new boolean[] {true, false}) {
          AdpdDecoder d = new AdpdDecoder(AnatomySpec.of(m.info()), AdpdDecoder.Config.defaults().withWbf(wbf));
          long t1 = System.nanoTime();
          List<AdpdResult> rs = d.decode(out, size, size);
          double sec = fwd + (System.nanoTime() - t1) / 1e9;
          DetectionEvaluator ev = new DetectionEvaluator();
          for (int i = 0; i < rs.size(); i++) {
            ev.add(truth.get(i), rs.get(i).detections().stream().filter(b -> classes.contains(b.label())).toList());
          }
          rows.add(row(e.getKey() + (wbf ? "" : " w/o WBF"), sup, ev, s, sec));
          log(log, "  " + rows.get(rows.size() - 1).method() + ": mAP " + fmt(100 * rows.get(rows.size() - 1).map()));
        }
      }
      if (classifier != null) {
        Tensor x = batch(phantoms, classifier.info().input(), size);
        float[] probs = probabilities(classifier, x);
        int k = classifier.info().numOutputs();
        for (String method : s.camMethods()) {
          if (!xcam.explainers().containsKey(method)) {
            notes.add("method " + method + " is not installed: skipped");
            continue;
          }
          long t0 = System.nanoTime();
          List<List<Box>> preds = new ArrayList<>();
          for (int i = 0; i < phantoms.size(); i++) preds.add(new ArrayList<>());
          for (String c : classes) {
            int ci = classifier.info().labels().indexOf(c);
            List<Explanation> ex = xcam.explain(classifier, method, Map.of(),
                ExplainRequest.builder(x).target(Target.classIndex(ci)).build());
            for (int i = 0; i < ex.size(); i++) {
              Heatmap map = ex.get(i).map();
              double sx = size / (double) map.width(), sy = size / (double) map.height();
              int idx = i;
              HeatmapBox.largestComponent(map, s.camThreshold(), c, probs[i * k + ci])
                  .ifPresent(b -> preds.get(idx).add(b.scaled(sx, sy)));
            }
          }
          double sec = (System.nanoTime() - t0) / 1e9;
          DetectionEvaluator ev = new DetectionEvaluator();
          for (int i = 0; i < phantoms.size(); i++) ev.add(truth.get(i), preds.get(i));
          rows.add(row(method, "image labels (CAM of " + classifier.info().name() + ")", ev, s, sec));
          log(log, "  " + method + ": mAP " + fmt(100 * rows.get(rows.size() - 1).map()));
        }
      }
      return new Result(rows, List.copyOf(classes), s.count(), notes, s);
    } finally {
      for (Model m : adpd.values()) m.close();
      if (classifier != null) classifier.close();
    }
  }

  private static Row row(String method, String supervision, DetectionEvaluator ev, Settings s, double sec) {
    double[] ap = new double[DetectionEvaluator.IOU_THRESHOLDS.length];
    for (int t = 0; t < ap.length; t++) ap[t] = ev.meanAp(DetectionEvaluator.IOU_THRESHOLDS[t]);
    return new Row(method, supervision, ap, ev.meanAp(), ev.locAcc(s.locIou(), s.locScore()), ev.apPerClass(0.5), sec);
  }

  /** Phantoms as a normalised batch at the model's input size (bilinear resize when it differs). */
  static Tensor batch(List<Phantom> ps, InputSpec in, int size) {
    int h = in.height(), w = in.width(), c = in.channels();
    float[] mean = in.mean(), std = in.std();
    float[] data = new float[ps.size() * c * h * w];
    for (int i = 0; i < ps.size(); i++) {
      float[] img = ps.get(i).image().toArray();
      if (h != size || w != size) img = Heatmap.resizeBilinear(img, size, size, h, w);
      for (int ch = 0; ch < c; ch++) {
        int off = (i * c + ch) * h * w;
        for (int j = 0; j < h * w; j++) data[off + j] = (img[j] - mean[ch]) / std[ch];
      }
    }
    return Tensor.wrap(data, ps.size(), c, h, w);
  }

  /** Softmax (multiclass) or sigmoid (otherwise) of the classifier's outputs, flat [N*K]. */
  static float[] probabilities(Model m, Tensor x) {
    float[] y = m.forward(x).toArray();
    int k = m.info().numOutputs(), n = y.length / k;
    if (m.info().task() == Task.MULTICLASS) {
      for (int i = 0; i < n; i++) {
        double mx = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < k; j++) mx = Math.max(mx, y[i * k + j]);
        for (int j = 0; j < k; j++) sum += Math.exp(y[i * k + j] - mx);
        for (int j = 0; j < k; j++) y[i * k + j] = (float) (Math.exp(y[i * k + j] - mx) / sum);
      }
    } else {
      for (int i = 0; i < y.length; i++) y[i] = (float) (1 / (1 + Math.exp(-y[i])));
    }
    return y;
  }

  /** The table in the shape of the ADPD paper's Table 1 (Markdown). */
  public static String markdown(Result r) {
    StringBuilder b = new StringBuilder();
    b.append("| Method | Box supervision | AP@0.1 | AP@0.2 | AP@0.3 | AP@0.4 | AP@0.5 | AP@0.6 | AP@0.7 | mAP | loc-acc |\n");
    b.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Row row : r.rows()) {
      b.append("| ").append(row.method()).append(" | ").append(row.supervision()).append(" |");
      for (double v : row.ap()) b.append(' ').append(fmt(100 * v)).append(" |");
      b.append(' ').append(fmt(100 * row.map())).append(" | ").append(fmt(100 * row.locAcc())).append(" |\n");
    }
    b.append("\nAP@0.5 per class:\n\n| Method |");
    for (String c : r.classes()) b.append(' ').append(c).append(" |");
    b.append("\n|---|");
    for (int i = 0; i < r.classes().size(); i++) b.append("---|");
    b.append('\n');
    for (Row row : r.rows()) {
      b.append("| ").append(row.method()).append(" |");
      for (String c : r.classes()) b.append(' ').append(fmt(100 * row.apPerClass().getOrDefault(c, 0.0))).append(" |");
      b.append('\n');
    }
    b.append(String.format(Locale.ROOT, "%nphantoms: %d (seeds %d..%d); loc-acc at IoU %.2f and box score %.2f; CAM box threshold %.2f of the max%n",
        r.images(), r.settings().seed(), r.settings().seed() + r.images() - 1, r.settings().locIou(), r.settings().locScore(),
        r.settings().camThreshold()));
    for (String n : r.notes()) b.append("note: ").append(n).append('\n');
    return b.toString();
  }

  private static String fmt(double v) { return String.format(Locale.ROOT, "%.1f", v); }

  private static void log(PrintStream p, String s) { if (p != null) p.println(s); }

  /**
   * Command-line entry: {@code [--count N] [--seed S] [--classifier BUNDLE|none] [--methods a,b] [--adpd loc,mil]
   * [--cam-threshold T]}; prints the Markdown table to stdout, progress to stderr.
   */
  public static void main(String[] args) {
    Settings s = Settings.defaults();
    for (int i = 0; i + 1 < args.length; i += 2) {
      String k = args[i], v = args[i + 1];
      switch (k) {
        case "--count" -> s = s.withCount(Integer.parseInt(v));
        case "--seed" -> s = s.withSeed(Long.parseLong(v));
        case "--classifier" -> s = v.equals("none") ? s.withCamMethods(List.of()) : s.withClassifier(Path.of(v));
        case "--methods" -> s = s.withCamMethods(v.isEmpty() ? List.of() : List.of(v.split(",")));
        case "--cam-threshold" -> s = new Settings(s.count(), s.seed(), s.adpdBundles(), s.classifier(), s.camMethods(),
            Double.parseDouble(v), s.locIou(), s.locScore());
        case "--adpd" -> {
          Map<String, Path> b = new LinkedHashMap<>();
          for (String f : v.split(",")) b.put(f.equals("loc") ? "Loc-ADPD" : f.equals("mil") ? "MIL-ADPD" : f, AdpdFixtures.bundle(f));
          s = s.withAdpdBundles(b);
        }
        default -> throw new InvalidInputException("unknown argument " + k
            + "; use --count, --seed, --classifier, --methods, --adpd, --cam-threshold");
      }
    }
    System.out.println(markdown(run(Xcam.create(), s, System.err)));
  }
}
