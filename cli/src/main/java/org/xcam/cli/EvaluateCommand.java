package org.xcam.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Model;
import org.xcam.cli.options.EvaluateOptions;
import org.xcam.cli.options.KeyValues;
import org.xcam.runtime.Xcam;
import org.xcam.runtime.eval.Dataset;
import org.xcam.runtime.eval.Datasets;
import org.xcam.runtime.eval.DetectionEvaluation;
import org.xcam.runtime.eval.Evaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Run methods x metrics over a labelled dataset and write results, summary and an HTML report (owner: metrics/evaluate). */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = {"Run methods x metrics over a labelled dataset and write results, summary and an HTML report.",
        "Datasets: nih:<BBox_List csv>:<image dir>, phantom:<count>[:<seed>], csv:<file>[:<image dir>] (image,label,x,y,w,h),",
        "masks:<image dir>:<mask dir>[:<labels csv>], dicom:<dir>[:<boxes csv>] (DICOM files; boxes in file pixels).",
        "Writes DIR/results.csv (image x method x metric), summary.csv/summary.json (mean, 95% bootstrap CI, by",
        "correct/wrong prediction and class, seconds per image), index.html (tables, curves, overlays), manifest.json.",
        "Rows already in DIR/results.csv are kept and not computed again (resume by rerunning the same command).",
        "--task detection: AP at IoU 0.1..0.7, mAP and loc-acc of every installed detector (--detectors, default all;",
        "e.g. adpd and adpd-no-wbf on --model or their sample models, the Loc- and MIL-ADPD fixtures) and of detectors that",
        "cut boxes from the --methods' heatmaps on a classifier (cam-boxes; --classifier, default its sample model), on",
        "--dataset phantom:N[:seed]; writes DIR/detection.md (a table shaped like Table 1 of Mueller et al. 2023) and",
        "DIR/detection.json."})
public final class EvaluateCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Mixin EvaluateOptions evaluate;

  @Option(names = "--task", defaultValue = "classification",
      description = "classification (methods x metrics, the default) or detection (see above).")
  String task;

  @Option(names = "--classifier", description = "--task detection: the classifier bundle whose heatmaps give CAM boxes.")
  Path classifier;

  @Option(names = "--detectors", split = ",", description = "--task detection: detector names (default: every installed detector).")
  List<String> detectors;

  @Option(names = "--detector-option", description = "--task detection: detector.option=value (repeatable), e.g. --detector-option adpd.threshold=0.4.")
  List<String> detectorOptions = new ArrayList<>();

  @Option(names = "--metrics", split = ",",
      description = "Metric names, comma-separated (see: xcam list), or 'all' for every metric the dataset can feed.")
  List<String> metrics;

  @Option(names = "--out", required = true, description = "Output directory (created if missing; reused to resume).")
  Path out;

  @Option(names = "--no-progress", description = "No progress bar on stderr.")
  boolean noProgress;

  @Option(names = "--window", description = "DICOM images: the VOI window, C,W or minmax or full (see xcam explain --help).")
  String window;

  @Override public Integer call() throws java.io.IOException {
    if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    Xcam xcam = Xcam.create();
    if (task.equals("detection")) return detection(xcam);
    if (!task.equals("classification")) {
      throw new InvalidInputException("unknown --task '" + task + "'; use classification or detection");
    }
    if (metrics == null || metrics.isEmpty()) throw new InvalidInputException("missing --metrics m1,m2 (or all; see: xcam list)");
    Dataset data = Datasets.parse(evaluate.dataset, evaluate.seed, ExplainCommand.readerOptions(window)); // a bad spec fails before the model loads
    List<String> metricNames = EvaluateOptions.metricNames(xcam, metrics);
    for (String k : metricNames) xcam.metricProvider(k);
    if (!evaluate.methods.contains("all")) for (String m : evaluate.methods) xcam.explainerProvider(m);
    try (OutputDir lock = OutputDir.lockOnly(out, "--out"); Model m = model.load(xcam)) {
      List<String> methodNames = evaluate.methodNames(xcam, () -> m);
      Evaluation.Outcome o = evaluate.applyTo(Evaluation.builder(xcam, m, data, out).methods(methodNames).metrics(metricNames))
          .limit(evaluate.limit).seed(evaluate.seed).batch(evaluate.batch).overlays(evaluate.overlays)
          .progress(noProgress || !Terminal.stderrIsTerminal() ? null : System.err)
          .build().run();
      System.out.printf("%d images (%d computed, %d already in results.csv, %d skipped), %d new rows -> %s%n",
          o.images(), o.evaluated(), o.resumed(), o.skipped(), o.newRows(), o.html());
    }
    return 0;
  }

  /** {@code --task detection}: the installed detectors scored on phantoms ({@link DetectionEvaluation}). */
  private int detection(Xcam xcam) throws java.io.IOException {
    String dataset = evaluate.dataset;
    List<String> methods = evaluate.methods;
    String[] p = dataset.split(":");
    if (!p[0].equals("phantom") || p.length < 2) {
      throw new InvalidInputException("--task detection needs --dataset phantom:N[:seed] (phantoms carry zone and lesion boxes); got " + dataset);
    }
    int count;
    long dseed;
    try {
      count = Integer.parseInt(p[1]);
      dseed = p.length > 2 ? Long.parseLong(p[2]) : evaluate.seed;
    } catch (NumberFormatException e) {
      throw new InvalidInputException("bad dataset spec '" + dataset + "'; use phantom:N[:seed]");
    }
    if (evaluate.limit > 0) count = Math.min(count, evaluate.limit);
    var s = DetectionEvaluation.Settings.defaults().withCount(count).withSeed(dseed)
        .withCamMethods(methods.contains("all") || methods.contains("none") ? (methods.contains("none") ? List.of()
            : DetectionEvaluation.Settings.defaults().camMethods()) : methods)
        .withDetectorOptions(KeyValues.scoped(detectorOptions, "--detector-option"));
    if (detectors != null) s = s.withDetectors(detectors);
    if (classifier != null) s = s.withClassifier(classifier);
    if (model.model != null) s = s.withModels(Map.of(model.model.getFileName().toString(), model.model));
    ExplainJob.checkWritable(out);
    var r = DetectionEvaluation.run(xcam, s, noProgress || !Terminal.stderrIsTerminal() ? null : System.err);
    String md = DetectionEvaluation.markdown(r);
    java.nio.file.Files.writeString(out.resolve("detection.md"), md);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("images", r.images());
    json.put("classes", r.classes());
    json.put("detectorOptions", r.options());
    json.put("notes", r.notes());
    List<Object> rows = new ArrayList<>();
    for (var row : r.rows()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("method", row.method());
      m.put("model", row.model());
      m.put("supervision", row.supervision());
      m.put("apAtIou0.1to0.7", row.ap());
      m.put("mAP", row.map());
      m.put("locAcc", row.locAcc());
      m.put("ap50PerClass", row.apPerClass());
      m.put("seconds", row.seconds());
      rows.add(m);
    }
    json.put("rows", rows);
    java.nio.file.Files.writeString(out.resolve("detection.json"), org.xcam.api.bundle.Json.write(json));
    System.out.println(md);
    return 0;
  }
}
