package org.xcam.runtime.eval;

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
import org.xcam.api.DetectRequest;
import org.xcam.api.Detections;
import org.xcam.api.Detector;
import org.xcam.api.Explainer;
import org.xcam.api.Heatmap;
import org.xcam.api.InputSpec;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Model;
import org.xcam.api.Options;
import org.xcam.api.Tensor;
import org.xcam.api.spi.DetectorProvider;
import org.xcam.runtime.Xcam;
import org.xcam.runtime.phantom.Phantom;
import org.xcam.runtime.phantom.PhantomGenerator;

/**
 * {@code xcam evaluate --task detection}: every installed detector (the {@link DetectorProvider}s found on the class
 * path, e.g. plugins-anatomy's {@code adpd}, {@code adpd-no-wbf} and {@code cam-boxes}) on its models, scored side by
 * side on phantom chest X-rays with the protocol of the ADPD paper's Table 1 (AP at IoU 0.1 ... 0.7, their mean mAP,
 * and loc-acc, see {@link DetectionEvaluator}). The detection counterpart of {@link Evaluation}; it reaches detectors
 * only through the SPI, so a third-party detector jar gets its row by being on the class path.
 *
 * <p><b>Rows.</b> One per (detector, model). A detector that cuts boxes from heatmaps
 * ({@link DetectorProvider#usesExplainer()}) gets one row per CAM method of {@link Settings#camMethods()} on the
 * classifier ({@link Settings#classifier()}, else the detector's sample model). Other detectors run on
 * {@link Settings#models()}, else on their own sample models ({@link DetectorProvider#sampleModels()}: the Loc- and
 * MIL-ADPD fixtures for plugins-anatomy).
 *
 * <p><b>Data.</b> {@code count} phantoms with seeds {@code seed, seed+1, ...} at the first model's (square) input
 * size; ground truth is each phantom's lesion box labelled with its kind (normal phantoms have none). Each model gets
 * the phantoms resized (bilinear) and normalised to its input spec; boxes come back in phantom pixels. Only the
 * classes that every evaluated (detector, model) knows ({@link DetectorProvider#classes}) are scored.
 *
 * <pre>{@code
 * var s = DetectionEvaluation.Settings.defaults().withCount(200);
 * DetectionEvaluation.Result r = DetectionEvaluation.run(Xcam.create(), s, System.err);
 * System.out.println(DetectionEvaluation.markdown(r));
 * }</pre>
 */
public final class DetectionEvaluation {
  private DetectionEvaluation() { }

  /**
   * What to evaluate.
   *
   * @param count            phantoms
   * @param seed             first phantom seed (the anatomy fixtures were trained on seeds from 1,000,000)
   * @param detectors        detector names; null for every installed detector
   * @param models           label -> bundle for detectors that use no explainer; null for each detector's sample models
   * @param classifier       classifier bundle for detectors that cut boxes from heatmaps; null for their sample model
   * @param camMethods       the methods whose heatmaps such detectors use (those not installed are skipped, noted)
   * @param detectorOptions  detector name -> options (defaults for the rest)
   * @param locIou           IoU of loc-acc
   * @param locScore         box-score threshold of loc-acc
   * @param batch            images per detect call
   */
  public record Settings(int count, long seed, List<String> detectors, Map<String, Path> models, Path classifier,
                         List<String> camMethods, Map<String, Map<String, String>> detectorOptions, double locIou,
                         double locScore, int batch) {
    public Settings {
      if (count <= 0) throw new InvalidInputException("phantom count must be positive, got " + count);
      if (batch <= 0) throw new InvalidInputException("batch must be positive, got " + batch);
      detectors = detectors == null ? null : List.copyOf(detectors);
      models = models == null ? null : new LinkedHashMap<>(models);
      camMethods = List.copyOf(camMethods);
      detectorOptions = detectorOptions == null ? Map.of() : new LinkedHashMap<>(detectorOptions);
    }

    public static Settings defaults() {
      return new Settings(500, 0, null, null, null, List.of("gradcam", "gradcam-plusplus", "hirescam", "layercam"),
          Map.of(), 0.1, 0.5, 512);
    }

    public Settings withCount(int c) { return new Settings(c, seed, detectors, models, classifier, camMethods, detectorOptions, locIou, locScore, batch); }
    public Settings withSeed(long s) { return new Settings(count, s, detectors, models, classifier, camMethods, detectorOptions, locIou, locScore, batch); }
    public Settings withDetectors(List<String> d) { return new Settings(count, seed, d, models, classifier, camMethods, detectorOptions, locIou, locScore, batch); }
    public Settings withModels(Map<String, Path> m) { return new Settings(count, seed, detectors, m, classifier, camMethods, detectorOptions, locIou, locScore, batch); }
    public Settings withClassifier(Path p) { return new Settings(count, seed, detectors, models, p, camMethods, detectorOptions, locIou, locScore, batch); }
    public Settings withCamMethods(List<String> m) { return new Settings(count, seed, detectors, models, classifier, m, detectorOptions, locIou, locScore, batch); }
    public Settings withDetectorOptions(Map<String, Map<String, String>> o) { return new Settings(count, seed, detectors, models, classifier, camMethods, o, locIou, locScore, batch); }
    public Settings withBatch(int b) { return new Settings(count, seed, detectors, models, classifier, camMethods, detectorOptions, locIou, locScore, b); }
  }

  /**
   * One detector on one model (one row).
   *
   * @param detector   the detector's name
   * @param method     the explainer for detectors that use one, else null
   * @param modelLabel the model's display label
   * @param model      the model's bundle
   */
  public record Entry(String detector, String method, String modelLabel, Path model) {
    /** {@code adpd}, or {@code cam-boxes (gradcam)}. */
    public String label() { return method == null ? detector : detector + " (" + method + ")"; }
  }

  /**
   * One row of the table.
   *
   * @param method      the detector (with its method, for CAM-derived boxes), e.g. {@code adpd-no-wbf},
   *                    {@code cam-boxes (gradcam)}
   * @param model       the model's label, e.g. {@code Loc-ADPD}
   * @param supervision what the model learned boxes from
   * @param ap          AP at IoU 0.1, 0.2, ..., 0.7 (mean over classes)
   * @param map         mean of {@code ap}
   * @param locAcc      loc-acc at the settings' IoU and box-score threshold
   * @param apPerClass  AP at IoU 0.5 per class
   * @param seconds     wall time of the detector over all images
   */
  public record Row(String method, String model, String supervision, double[] ap, double map, double locAcc,
                    Map<String, Double> apPerClass, double seconds) { }

  /**
   * The full result.
   *
   * @param rows     one per entry that ran
   * @param classes  the classes scored
   * @param images   number of phantoms
   * @param notes    skipped entries and why
   * @param options  per detector that ran, the options it ran with (defaults included)
   * @param settings what was asked
   */
  public record Result(List<Row> rows, List<String> classes, int images, List<String> notes,
                       Map<String, Map<String, String>> options, Settings settings) { }

  /** The (detector, model) pairs {@code s} asks for, from the installed detectors; notes say what was left out. */
  public static List<Entry> entries(Xcam xcam, Settings s, List<String> notes) {
    List<String> names = s.detectors() != null ? s.detectors() : new ArrayList<>(xcam.detectors().keySet());
    if (names.isEmpty()) {
      throw new InvalidInputException("no detector is installed; add a detector plugin jar (e.g. plugins-anatomy) to the "
          + "class path (xcam list shows what is installed)");
    }
    List<Entry> out = new ArrayList<>();
    for (String name : names) {
      DetectorProvider p = xcam.detectorProvider(name);
      if (p.usesExplainer()) {
        if (s.camMethods().isEmpty()) continue;
        Map<String, Path> cls = s.classifier() != null
            ? Map.of(s.classifier().getFileName().toString(), s.classifier()) : p.sampleModels();
        if (cls.isEmpty()) {
          notes.add("detector " + name + " ships no sample classifier and none was given (--classifier): skipped");
          continue;
        }
        Map.Entry<String, Path> c = cls.entrySet().iterator().next();
        for (String m : s.camMethods()) {
          if (!xcam.explainers().containsKey(m)) {
            notes.add("method " + m + " is not installed: skipped");
            continue;
          }
          out.add(new Entry(name, m, c.getKey(), c.getValue()));
        }
      } else {
        Map<String, Path> ms = s.models() != null ? s.models() : p.sampleModels();
        if (ms.isEmpty()) {
          notes.add("detector " + name + " ships no sample model and none was given (--model): skipped");
          continue;
        }
        ms.forEach((label, path) -> out.add(new Entry(name, null, label, path)));
      }
    }
    // rows of one model together, in the order models first appear (Loc-ADPD, its w/o-WBF row, MIL-ADPD, ...)
    List<Path> order = new ArrayList<>();
    for (Entry e : out) if (!order.contains(e.model())) order.add(e.model());
    List<Entry> sorted = new ArrayList<>(out);
    sorted.sort(java.util.Comparator.comparingInt(e -> order.indexOf(e.model())));
    return sorted;
  }

  /** Runs the evaluation; progress lines go to {@code log} (may be null). */
  public static Result run(Xcam xcam, Settings s, PrintStream log) {
    List<String> notes = new ArrayList<>();
    List<Entry> entries = entries(xcam, s, notes);
    if (entries.isEmpty()) throw new InvalidInputException("nothing to evaluate: " + String.join("; ", notes));
    Map<Path, Model> models = new LinkedHashMap<>();
    try {
      // every check before the first expensive pass: models load, detectors accept them, options parse
      Map<String, Detector> detectors = new LinkedHashMap<>();
      Map<String, Map<String, String>> used = new LinkedHashMap<>();
      Set<String> classes = null;
      for (Entry e : entries) {
        Model m = models.computeIfAbsent(e.model(), xcam::load);
        DetectorProvider p = xcam.detectorProvider(e.detector());
        Map<String, String> given = s.detectorOptions().getOrDefault(e.detector(), Map.of());
        detectors.computeIfAbsent(e.detector(), n -> xcam.detector(n, given));
        used.computeIfAbsent(e.detector(), n -> Options.of("detector " + n, p.options(), given).asMap());
        if (!p.tasks().contains(m.info().task())) {
          throw new InvalidInputException("detector '" + e.detector() + "' does not read model '" + m.info().name() + "' (task "
              + m.info().task().id() + "); give a model it reads or choose detectors with --detectors");
        }
        List<String> cs = p.classes(m.info());
        if (classes == null) classes = new LinkedHashSet<>(cs);
        else classes.retainAll(cs);
      }
      if (classes == null || classes.isEmpty()) throw new InvalidInputException("the evaluated models share no class to score");
      InputSpec first = models.get(entries.get(0).model()).info().input();
      int size = first.height();
      if (first.width() != size) {
        throw new InvalidInputException("the phantom evaluation needs square model inputs, got " + first);
      }
      List<String> cls = List.copyOf(classes);

      List<Phantom> phantoms = new ArrayList<>(s.count());
      List<List<Box>> truth = new ArrayList<>(s.count());
      for (int i = 0; i < s.count(); i++) {
        Phantom p = PhantomGenerator.generate(s.seed() + i, size);
        phantoms.add(p);
        truth.add(p.lesions().stream().filter(b -> cls.contains(b.label())).toList());
      }
      log(log, "detection evaluation: " + s.count() + " phantoms (" + size + " px), classes " + cls);

      Map<Path, Tensor> inputs = new LinkedHashMap<>();
      List<Row> rows = new ArrayList<>();
      for (Entry e : entries) {
        Model m = models.get(e.model());
        Tensor x = inputs.computeIfAbsent(e.model(), k -> batch(phantoms, m.info().input(), size));
        Detector d = detectors.get(e.detector());
        Explainer ex = e.method() == null ? null : xcam.explainer(e.method());
        long t0 = System.nanoTime();
        List<Detections> found = new ArrayList<>(phantoms.size());
        for (int from = 0; from < phantoms.size(); from += s.batch()) {
          int to = Math.min(phantoms.size(), from + s.batch());
          DetectRequest r = DetectRequest.builder(from == 0 && to == phantoms.size() ? x : x.slice(from, to))
              .frame(size, size).classes(cls).explainer(ex).build();
          found.addAll(d.detect(m, r));
        }
        double sec = (System.nanoTime() - t0) / 1e9;
        DetectionEvaluator ev = new DetectionEvaluator();
        for (int i = 0; i < phantoms.size(); i++) {
          ev.add(truth.get(i), found.get(i).boxes().stream().filter(b -> cls.contains(b.label())).toList());
        }
        rows.add(row(e, supervision(e, m), ev, s, sec));
        log(log, "  " + e.label() + " on " + e.modelLabel() + ": mAP " + fmt(100 * rows.get(rows.size() - 1).map()));
      }
      return new Result(rows, cls, s.count(), notes, used, s);
    } finally {
      for (Model m : models.values()) m.close();
    }
  }

  private static String supervision(Entry e, Model m) {
    if (e.method() != null) return "image labels (CAM of " + m.info().name() + ")";
    if (m.info().extra().get("anatomy") instanceof Map<?, ?> a && a.get("training") != null) return String.valueOf(a.get("training"));
    return m.info().name() + " (" + m.info().task().id() + ")";
  }

  private static Row row(Entry e, String supervision, DetectionEvaluator ev, Settings s, double sec) {
    double[] ap = new double[DetectionEvaluator.IOU_THRESHOLDS.length];
    for (int t = 0; t < ap.length; t++) ap[t] = ev.meanAp(DetectionEvaluator.IOU_THRESHOLDS[t]);
    return new Row(e.label(), e.modelLabel(), supervision, ap, ev.meanAp(), ev.locAcc(s.locIou(), s.locScore()),
        ev.apPerClass(0.5), sec);
  }

  /** Phantoms as a normalised batch at the model's input size (bilinear resize when it differs), every channel alike. */
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

  /** The table in the shape of the ADPD paper's Table 1 (Markdown). */
  public static String markdown(Result r) {
    StringBuilder b = new StringBuilder();
    b.append("| Detector | Model | Box supervision | AP@0.1 | AP@0.2 | AP@0.3 | AP@0.4 | AP@0.5 | AP@0.6 | AP@0.7 | mAP | loc-acc |\n");
    b.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Row row : r.rows()) {
      b.append("| ").append(row.method()).append(" | ").append(row.model()).append(" | ").append(row.supervision()).append(" |");
      for (double v : row.ap()) b.append(' ').append(fmt(100 * v)).append(" |");
      b.append(' ').append(fmt(100 * row.map())).append(" | ").append(fmt(100 * row.locAcc())).append(" |\n");
    }
    b.append("\nAP@0.5 per class:\n\n| Detector | Model |");
    for (String c : r.classes()) b.append(' ').append(c).append(" |");
    b.append("\n|---|---|");
    for (int i = 0; i < r.classes().size(); i++) b.append("---|");
    b.append('\n');
    for (Row row : r.rows()) {
      b.append("| ").append(row.method()).append(" | ").append(row.model()).append(" |");
      for (String c : r.classes()) b.append(' ').append(fmt(100 * row.apPerClass().getOrDefault(c, 0.0))).append(" |");
      b.append('\n');
    }
    b.append(String.format(Locale.ROOT, "%nphantoms: %d (seeds %d..%d); loc-acc at IoU %.2f and box score %.2f%n",
        r.images(), r.settings().seed(), r.settings().seed() + r.images() - 1, r.settings().locIou(), r.settings().locScore()));
    r.options().forEach((d, o) -> {
      if (!o.isEmpty()) b.append("detector ").append(d).append(": ").append(o).append('\n');
    });
    for (String n : r.notes()) b.append("note: ").append(n).append('\n');
    return b.toString();
  }

  private static String fmt(double v) { return String.format(Locale.ROOT, "%.1f", v); }

  private static void log(PrintStream p, String s) { if (p != null) p.println(s); }

  /**
   * Command-line entry: {@code [--count N] [--seed S] [--detectors a,b] [--model BUNDLE] [--classifier BUNDLE|none]
   * [--methods a,b]}; prints the Markdown table to stdout, progress to stderr.
   */
  public static void main(String[] args) {
    Settings s = Settings.defaults();
    for (int i = 0; i + 1 < args.length; i += 2) {
      String k = args[i], v = args[i + 1];
      switch (k) {
        case "--count" -> s = s.withCount(Integer.parseInt(v));
        case "--seed" -> s = s.withSeed(Long.parseLong(v));
        case "--detectors" -> s = s.withDetectors(List.of(v.split(",")));
        case "--model" -> s = s.withModels(Map.of(Path.of(v).getFileName().toString(), Path.of(v)));
        case "--classifier" -> s = v.equals("none") ? s.withCamMethods(List.of()) : s.withClassifier(Path.of(v));
        case "--methods" -> s = s.withCamMethods(v.isEmpty() ? List.of() : List.of(v.split(",")));
        default -> throw new InvalidInputException("unknown argument " + k
            + "; use --count, --seed, --detectors, --model, --classifier, --methods");
      }
    }
    System.out.println(markdown(run(Xcam.create(), s, System.err)));
  }
}
