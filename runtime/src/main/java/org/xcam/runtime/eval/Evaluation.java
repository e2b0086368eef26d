package org.xcam.runtime.eval;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Metric;
import org.xcam.api.MetricContext;
import org.xcam.api.MetricResult;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.Objective;
import org.xcam.api.Objectives;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.api.XcamException;
import org.xcam.api.bundle.Json;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.api.spi.MetricProvider;
import org.xcam.runtime.Overlay;
import org.xcam.runtime.Xcam;

/**
 * Runs methods x metrics over a labelled dataset and writes {@code results.csv} (one row per image x method x
 * metric), {@code curves.csv}, {@code skipped.csv}, {@code summary.csv}/{@code summary.json}, charts, overlays and
 * {@code index.html} under the output folder, with {@code manifest.json} recording seeds and versions. The engine
 * behind {@code xcam evaluate}.
 *
 * <pre>{@code
 * Evaluation.Outcome o = Evaluation.builder(xcam, model, Datasets.parse("phantom:500", 0), Path.of("eval"))
 *     .methods(List.of("gradcam", "hirescam")).metrics(List.of("iou-energy-90", "pointing-game"))
 *     .target("truth").build().run();
 * }</pre>
 *
 * <p><b>Streaming.</b> Images are read, explained and scored {@code batch} at a time and their rows appended (and
 * flushed) to results.csv at once; no pixels outlive their batch, so memory stays flat in the number of images (the
 * summary keeps one number per row). <b>Resuming.</b> Rows already in results.csv are not computed again: an image
 * whose every method x metric row exists is not even loaded; a killed run restarts where it stopped.
 * <b>Bad input.</b> An image that is missing or unreadable is written to skipped.csv with the reason and counted
 * in the summary; a box outside its image is clipped and the rows flagged; an unknown method, metric or dataset
 * spec fails before any work, listing what exists.
 */
public final class Evaluation {
  /** The columns of results.csv, one row per image x method x metric. */
  public static final List<String> HEADER = List.of("image", "method", "metric", "value", "note", "label", "target", "predicted",
      "correct", "seconds", "flags");

  private final Xcam xcam;
  private final Model model;
  private final Dataset dataset;
  private final Path out;
  private final List<String> methods;
  private final Map<String, Map<String, String>> methodOptions;
  private final List<String> metrics;
  private final Map<String, Map<String, String>> metricOptions;
  private final String target;
  private final int limit;
  private final long seed;
  private final int batch;
  private final int overlays;
  private final int resamples;
  private final PrintStream progress;

  private Evaluation(Builder b) {
    this.xcam = b.xcam;
    this.model = b.model;
    this.dataset = b.dataset;
    this.out = b.out;
    this.methods = List.copyOf(b.methods);
    this.methodOptions = Map.copyOf(b.methodOptions);
    this.metrics = List.copyOf(b.metrics);
    this.metricOptions = Map.copyOf(b.metricOptions);
    this.target = b.target;
    this.limit = b.limit;
    this.seed = b.seed;
    this.batch = b.batch;
    this.overlays = b.overlays;
    this.resamples = b.resamples;
    this.progress = b.progress;
  }

  /**
   * @param dataset the images ({@link #run}); may be null when only {@link #step()} is used
   * @param out     the output folder ({@link #run}); may be null when only {@link #step()} is used
   */
  public static Builder builder(Xcam xcam, Model model, Dataset dataset, Path out) { return new Builder(xcam, model, dataset, out); }

  /** What a run did. */
  public record Outcome(Path out, int images, int evaluated, int resumed, int skipped, long newRows, Path html) { }

  /**
   * One image of a batch.
   *
   * @param ordinal the image's 0-based position in the dataset: the metric on it is seeded with {@code seed + ordinal}
   *                and overlays are drawn for ordinals below {@code overlays}
   */
  public record Item(int ordinal, Sample sample) { }

  /**
   * Where {@link Step#process} puts what one batch gave: results.csv, curves.csv, skipped.csv and overlay PNGs under the
   * output folder in {@link #run}; rows of a table for a runner that distributes the images itself (xcam-spark).
   */
  public interface Sink {
    /**
     * The results.csv rows ({@link #HEADER}) of one image and method, for the metrics not yet done, in metric order.
     *
     * @param explanation the method's map, or null when the method failed on the batch (the rows' notes say why)
     */
    void rows(Item item, String method, Explanation explanation, List<List<String>> rows) throws IOException;

    /** A curves.csv row: image, method, curve, x (';'-joined), y. */
    void curve(List<String> row) throws IOException;

    /** An image that was not scored (e.g. no ground-truth label under {@code --target truth}), with the reason. */
    void skipped(String image, String reason) throws IOException;

    /** An overlay thumbnail; {@code name} is {@code <image>__<method>.png} ({@code __image.png} for the bare image). */
    void overlay(String name, BufferedImage image) throws IOException;

    /** Called after each method of a batch and at the end of the batch. */
    default void flush() throws IOException { }
  }

  // ------------------------------------------------------------------ run

  public Outcome run() {
    if (dataset == null || out == null) throw new IllegalStateException("run() needs a dataset and an output folder");
    Step step = step();
    Map<String, ExplainerProvider> mp = step.mp;
    Map<String, MetricProvider> kp = step.kp;

    Path results = out.resolve("results.csv"), curves = out.resolve("curves.csv"), skippedFile = out.resolve("skipped.csv");
    Set<String> done = new HashSet<>();
    Set<String> skippedBefore = new HashSet<>();
    try {
      Files.createDirectories(out.resolve("overlays"));
      if (Files.isRegularFile(results)) {
        boolean[] first = {true};
        Csv.read(results, r -> {
          if (first[0]) {
            first[0] = false;
            if (!r.equals(HEADER)) {
              throw new InvalidInputException(results + " has columns " + r + ", not those of xcam evaluate " + HEADER
                  + "; give another --out folder");
            }
            return;
          }
          if (r.size() >= 3) done.add(key(r.get(0), r.get(1), r.get(2)));
        });
      }
      if (Files.isRegularFile(skippedFile)) Csv.read(skippedFile, r -> skippedBefore.add(r.get(0)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Instant started = Instant.now();
    writeManifest(mp, kp, started, null, 0);

    int total = dataset.size() < 0 ? limit : limit > 0 ? Math.min(limit, dataset.size()) : dataset.size();
    Progress bar = new Progress(progress, total);
    int seen = 0, evaluated = 0, resumed = 0, skipped = 0;
    long newRows = 0;
    try (BufferedWriter rw = append(results, HEADER); BufferedWriter cw = append(curves, List.of("image", "method", "curve", "x", "y"));
         BufferedWriter sw = append(skippedFile, List.of("image", "reason"))) {
      Sink files = new FileSink(rw, cw, sw, skippedBefore);
      Iterator<Dataset.Entry> it = dataset.entries();
      List<Item> pending = new ArrayList<>();
      while (it.hasNext() && (limit <= 0 || seen < limit)) {
        Dataset.Entry e = it.next();
        int ordinal = seen++;
        if (complete(e.id(), done)) {
          resumed++;
          bar.update(seen, evaluated, skipped, false);
          continue;
        }
        try {
          pending.add(new Item(ordinal, e.load(model.info().input(), model.info().labels())));
        } catch (XcamException | UncheckedIOException ex) {
          skipped++;
          files.skipped(e.id(), oneLine(ex));
          if (progress != null) progress.print("\rskipped " + e.id() + ": " + oneLine(ex) + "\n");
          continue;
        }
        if (pending.size() >= batch) {
          int[] r = step.process(pending, done, files);
          evaluated += r[0];
          skipped += r[1];
          newRows += r[2];
          pending.clear();
          bar.update(seen, evaluated, skipped, false);
        }
      }
      if (!pending.isEmpty()) {
        int[] r = step.process(pending, done, files);
        evaluated += r[0];
        skipped += r[1];
        newRows += r[2];
      }
      bar.finish(seen, skipped);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Report.write(out, kp, methods, metrics, resamples, seed, dataset.spec(), model.info());
    writeManifest(mp, kp, started, Instant.now(), seen);
    return new Outcome(out, seen, evaluated, resumed, skipped, newRows, out.resolve("index.html"));
  }

  /**
   * The step {@link #run} repeats, for runners that hand out the images themselves (xcam-spark runs one per Spark
   * partition): methods and metrics are resolved here, once, so an unknown name, a missing capability or ground truth
   * the dataset cannot give fails before any work; {@link Step#process} then explains and scores one batch.
   */
  public Step step() {
    EvaluationSettings.checkMethodsAndMetrics(methods, metrics);
    Map<String, ExplainerProvider> mp = new LinkedHashMap<>();
    for (String m : methods) mp.put(m, xcam.explainerProvider(m));
    Map<String, MetricProvider> kp = new LinkedHashMap<>();
    for (String k : metrics) kp.put(k, xcam.metricProvider(k));
    for (MetricProvider p : kp.values()) {
      for (MetricContext.Need n : p.needs()) {
        if (n == MetricContext.Need.SALIENCY || n == MetricContext.Need.SEVERITY) {
          throw new InvalidInputException("metric '" + p.name() + "' needs " + (n == MetricContext.Need.SALIENCY
              ? "human saliency maps" : "severity maps") + ", which dataset '" + (dataset == null ? "?" : dataset.spec())
              + "' does not give; drop it from --metrics");
        }
      }
    }
    for (ExplainerProvider p : mp.values()) model.require(p.requires(), p.name());
    Map<String, Explainer> explainers = new LinkedHashMap<>();
    for (String m : methods) explainers.put(m, xcam.explainer(m, methodOptions.getOrDefault(m, Map.of())));
    // every method's own preconditions (e.g. IBA's statistics) before the first pass, not after the first batch
    org.xcam.api.InputSpec in0 = model.info().input();
    ExplainRequest probe = ExplainRequest.builder(Tensor.zeros(1, in0.channels(), in0.height(), in0.width())).seed(seed).build();
    for (Explainer ex : explainers.values()) ex.plan(model, probe);
    Map<String, Metric> scorers = new LinkedHashMap<>();
    for (String k : metrics) scorers.put(k, xcam.metric(k, metricOptions.getOrDefault(k, Map.of())));
    return new Step(mp, kp, explainers, scorers);
  }

  /** Explains and scores batches; see {@link #step()}. Not thread-safe: one per thread. */
  public final class Step {
    private final Map<String, ExplainerProvider> mp;
    private final Map<String, MetricProvider> kp;
    private final Map<String, Explainer> explainers;
    private final Map<String, Metric> scorers;

    private Step(Map<String, ExplainerProvider> mp, Map<String, MetricProvider> kp, Map<String, Explainer> explainers,
                 Map<String, Metric> scorers) {
      this.mp = mp;
      this.kp = kp;
      this.explainers = explainers;
      this.scorers = scorers;
    }

    /**
     * Explains and scores one batch (in order), skipping image x method x metric rows whose {@link #key} is in
     * {@code done} and adding those it writes.
     *
     * @return {images scored, images skipped, rows written}
     */
    public int[] process(List<Item> items, Set<String> done, Sink sink) throws IOException {
      return Evaluation.this.process(items, explainers, scorers, kp, done, sink);
    }
  }

  private boolean complete(String id, Set<String> done) {
    for (String m : methods) for (String k : metrics) if (!done.contains(key(id, m, k))) return false;
    return true;
  }

  /** The identity of a results.csv row: image, method and metric. */
  public static String key(String image, String method, String metric) { return image + '\u0000' + method + '\u0000' + metric; }

  private static String oneLine(Throwable t) {
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return m.replace('\n', ' ').replace('\r', ' ');
  }

  /** Explains and scores one batch; returns {evaluated, skipped, rows written}. */
  private int[] process(List<Item> items, Map<String, Explainer> explainers, Map<String, Metric> scorers,
                        Map<String, MetricProvider> kp, Set<String> done, Sink sink) throws IOException {
    ModelInfo info = model.info();
    List<Tensor> inputs = new ArrayList<>();
    for (Item it : items) inputs.add(it.sample().input());
    Tensor logits = model.forward(Tensor.stack(inputs));
    int k = logits.dim(1);
    List<Item> ok = new ArrayList<>();
    List<float[]> rows = new ArrayList<>();
    List<Target> targets = new ArrayList<>();
    int skipped = 0;
    for (int i = 0; i < items.size(); i++) {
      Sample s = items.get(i).sample();
      float[] row = new float[k];
      logits.copyTo(i * k, row, 0, k);
      if ("truth".equals(target)) {
        if (s.labelIndex() < 0) {
          skipped++;
          String why = s.label() == null ? "no ground-truth label, but --target truth needs one"
              : "label '" + s.label() + "' is not one of the model's labels " + info.labels() + "; use --target predicted";
          sink.skipped(s.id(), why);
          continue;
        }
        targets.add(Target.classIndex(s.labelIndex()));
      } else {
        targets.add(Target.predicted());
      }
      ok.add(items.get(i));
      rows.add(row);
    }
    long written = 0;
    for (String method : methods) {
      List<Integer> need = new ArrayList<>();
      for (int i = 0; i < ok.size(); i++) {
        for (String m : metrics) if (!done.contains(key(ok.get(i).sample().id(), method, m))) { need.add(i); break; }
      }
      if (need.isEmpty()) continue;
      List<Tensor> in = new ArrayList<>();
      List<Target> tg = new ArrayList<>();
      for (int i : need) { in.add(ok.get(i).sample().input()); tg.add(targets.get(i)); }
      ExplainRequest req = ExplainRequest.builder(Tensor.stack(in)).targets(tg).seed(seed).build();
      Explanation[] ex = new Explanation[need.size()];
      String failure = null;
      long t0 = System.nanoTime();
      try {
        for (Explanation e : explainers.get(method).explain(model, req)) if (ex[e.index()] == null) ex[e.index()] = e;
      } catch (XcamException e) {
        failure = "method failed: " + oneLine(e);
        if (progress != null) progress.print("\r" + method + " failed on a batch: " + oneLine(e) + "\n");
      }
      double secs = (System.nanoTime() - t0) / 1e9 / need.size();
      for (int j = 0; j < need.size(); j++) {
        int i = need.get(j);
        Item item = ok.get(i);
        Sample s = item.sample();
        float[] row = rows.get(i);
        int pred = Objectives.argmax(row);
        String correct = s.labelIndex() < 0 ? "" : Boolean.toString(pred == s.labelIndex());
        Explanation e = ex[j];
        Objective objective = targets.get(i).resolve(info, row).get(0);
        Set<String> curvesDone = new HashSet<>();
        List<List<String>> out = new ArrayList<>();
        for (String m : metrics) {
          if (done.contains(key(s.id(), method, m))) continue;
          String value = "", note;
          if (e == null) {
            note = failure != null ? failure : "method gave no map for this image";
          } else {
            try {
              MetricResult r = scorers.get(m).score(context(kp.get(m), s, e, objective, item.ordinal()));
              if (r == null) note = "no result";
              else {
                value = Double.isFinite(r.value()) ? num(r.value()) : "";
                note = r.note();
                for (Map.Entry<String, double[][]> c : r.curves().entrySet()) {
                  if (curvesDone.add(c.getKey())) {
                    sink.curve(List.of(s.id(), method, c.getKey(), join(c.getValue()[0]), join(c.getValue()[1])));
                  }
                }
              }
            } catch (NoTruth nt) {
              note = nt.getMessage();
            } catch (XcamException ex2) {
              note = "metric failed: " + oneLine(ex2);
            }
          }
          out.add(List.of(s.id(), method, m, value, note, s.label() == null ? "" : s.label(),
              e == null ? objective.describe() : e.label(), info.label(pred), correct, num(secs), String.join("; ", s.flags())));
          done.add(key(s.id(), method, m));
          written++;
        }
        sink.rows(item, method, e, out);
        if (e != null && item.ordinal() < overlays) writeOverlay(sink, s, method, e);
      }
      sink.flush();
    }
    for (Item it : ok) if (it.ordinal() < overlays) writeOverlay(sink, it.sample(), "image", null);
    sink.flush();
    return new int[] {ok.size(), skipped, (int) written};
  }

  /** Thrown when a localisation metric meets an image without boxes or mask: the row says so instead of a score. */
  static final class NoTruth extends RuntimeException {
    NoTruth(String m) { super(m, null, false, false); }
  }

  private MetricContext context(MetricProvider p, Sample s, Explanation e, Objective objective, int ordinal) {
    MetricContext.Builder b = MetricContext.builder(e.map()).seed(seed + ordinal);
    boolean hasTruth = !s.boxes().isEmpty() || s.mask() != null;
    Set<MetricContext.Need> needs = p.needs().isEmpty() ? EnumSet.noneOf(MetricContext.Need.class) : EnumSet.copyOf(p.needs());
    if ((needs.contains(MetricContext.Need.BOXES) || needs.contains(MetricContext.Need.MASK)) && !hasTruth) {
      throw new NoTruth("no ground-truth box or mask for this image (" + (s.label() == null ? "unlabelled" : s.label()) + "): not scored");
    }
    if (!s.boxes().isEmpty()) b.boxes(s.boxes());
    if (s.mask() != null) b.mask(s.mask());
    b.model(model, s.input().unsqueeze(), objective);
    return b.build();
  }

  // ------------------------------------------------------------------ files

  private static BufferedWriter append(Path file, List<String> header) throws IOException {
    boolean fresh = !Files.isRegularFile(file) || Files.size(file) == 0;
    BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    if (fresh) writeRow(w, header);
    return w;
  }

  static void writeRow(BufferedWriter w, List<String> fields) throws IOException {
    w.write(Csv.line(fields));
    w.write('\n');
  }

  /** A number as results.csv writes it (integers plainly, else 6 significant digits). */
  public static String num(double d) {
    if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
    return String.format(Locale.ROOT, "%.6g", d);
  }

  private static String join(double[] v) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < v.length; i++) {
      if (i > 0) b.append(';');
      b.append(num(v[i]));
    }
    return b.toString();
  }

  /** Overlay thumbnails: the map over the image (or the image alone) with the ground-truth boxes in green. */
  private void writeOverlay(Sink sink, Sample s, String method, Explanation e) throws IOException {
    BufferedImage thumb = thumbnail(s.display(), 256);
    BufferedImage img = e == null ? thumb : Overlay.heatmap(thumb, e.map(), 0.5);
    int w = s.input().dim(2), h = s.input().dim(1);
    Overlay.boxes(img, s.boxes(), Color.GREEN, (double) img.getWidth() / w, (double) img.getHeight() / h);
    sink.overlay(s.id() + "__" + method + ".png", img);
  }

  /** The sink of {@link #run}: the CSV files and the overlays folder. */
  private final class FileSink implements Sink {
    private final BufferedWriter rw, cw, sw;
    private final Set<String> skippedBefore;

    FileSink(BufferedWriter rw, BufferedWriter cw, BufferedWriter sw, Set<String> skippedBefore) {
      this.rw = rw;
      this.cw = cw;
      this.sw = sw;
      this.skippedBefore = skippedBefore;
    }

    @Override public void rows(Item item, String method, Explanation explanation, List<List<String>> rows) throws IOException {
      for (List<String> r : rows) writeRow(rw, r);
    }

    @Override public void curve(List<String> row) throws IOException { writeRow(cw, row); }

    @Override public void skipped(String image, String reason) throws IOException {
      if (skippedBefore.add(image)) writeRow(sw, List.of(image, reason));
    }

    @Override public void overlay(String name, BufferedImage image) {
      Overlay.writePng(image, out.resolve("overlays").resolve(name));
    }

    @Override public void flush() throws IOException {
      rw.flush();
      cw.flush();
      sw.flush();
    }
  }

  static BufferedImage thumbnail(BufferedImage src, int maxSide) {
    int w = src.getWidth(), h = src.getHeight();
    double f = Math.min(1.0, (double) maxSide / Math.max(w, h));
    if (w < 128 && h < 128) f = 256.0 / Math.max(w, h); // small model inputs are enlarged to be seen
    int tw = Math.max(1, (int) Math.round(w * f)), th = Math.max(1, (int) Math.round(h * f));
    BufferedImage t = new BufferedImage(tw, th, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = t.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
    g.drawImage(src, 0, 0, tw, th, null);
    g.dispose();
    return t;
  }

  private void writeManifest(Map<String, ExplainerProvider> mp, Map<String, MetricProvider> kp, Instant started,
                             Instant finished, int images) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("tool", "xcam evaluate");
    m.put("xcamVersion", version());
    m.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    ModelInfo info = model.info();
    Map<String, Object> mo = new LinkedHashMap<>();
    mo.put("name", info.name());
    mo.put("source", info.source());
    mo.put("engine", info.engine());
    mo.put("task", info.task().id());
    mo.put("labels", info.labels());
    mo.put("input", info.input().toString());
    m.put("model", mo);
    m.put("dataset", dataset.spec());
    m.put("target", target);
    m.put("limit", limit);
    m.put("seed", seed);
    m.put("seeds", "explanations use --seed; metric on image i (0-based, dataset order) uses seed + i; bootstrap uses seed");
    m.put("batch", batch);
    m.put("bootstrapResamples", resamples);
    Map<String, Object> me = new LinkedHashMap<>();
    for (ExplainerProvider p : mp.values()) {
      me.put(p.name(), Map.of("options", optionsOf(p.options(), methodOptions.getOrDefault(p.name(), Map.of())),
          "description", p.description()));
    }
    m.put("methods", me);
    Map<String, Object> mk = new LinkedHashMap<>();
    for (MetricProvider p : kp.values()) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("description", p.description());
      d.put("range", List.of(p.range().min(), p.range().max()));
      d.put("higherIsBetter", p.range().higherIsBetter());
      d.put("options", optionsOf(p.options(), metricOptions.getOrDefault(p.name(), Map.of())));
      mk.put(p.name(), d);
    }
    m.put("metrics", mk);
    m.put("libraries", Map.of("xchart", libVersion(org.knowm.xchart.XYChart.class)));
    m.put("started", started.toString());
    if (finished != null) {
      m.put("finished", finished.toString());
      m.put("imagesSeen", images);
    }
    try {
      Files.writeString(out.resolve("manifest.json"), Json.write(m));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, String> optionsOf(List<org.xcam.api.OptionSpec> specs, Map<String, String> given) {
    Map<String, String> o = new LinkedHashMap<>();
    for (org.xcam.api.OptionSpec s : specs) o.put(s.name(), given.getOrDefault(s.name(), s.defaultValue()));
    return o;
  }

  static String version() {
    String v = Evaluation.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-SNAPSHOT" : v;
  }

  private static String libVersion(Class<?> c) {
    String v = c.getPackage().getImplementationVersion();
    return v == null ? "unknown" : v;
  }

  // ------------------------------------------------------------------ builder

  /** The settings are checked as they are set ({@link EvaluationSettings}, shared with xcam-spark's EvaluateSpec). */
  public static final class Builder extends EvaluationSettings<Builder> {
    private final Xcam xcam;
    private final Model model;
    private final Dataset dataset;
    private final Path out;
    private int limit;
    private PrintStream progress;

    private Builder(Xcam xcam, Model model, Dataset dataset, Path out) {
      this.xcam = xcam;
      this.model = model;
      this.dataset = dataset;
      this.out = out;
    }

    /** At most this many dataset entries (0 = all). */
    public Builder limit(int n) {
      this.limit = checkLimit(n);
      return this;
    }

    /** Where the progress bar and skip reports go (stderr in the CLI); null for none. */
    public Builder progress(PrintStream p) { this.progress = p; return this; }

    public Evaluation build() { return new Evaluation(this); }
  }
}
