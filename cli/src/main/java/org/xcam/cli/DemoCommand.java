package org.xcam.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.xcam.api.Box;
import org.xcam.api.Model;
import org.xcam.api.Target;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.runtime.DemoSamples;
import org.xcam.runtime.Fixtures;
import org.xcam.runtime.LoadedImage;
import org.xcam.runtime.Xcam;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code xcam demo}: the main job on the embedded phantom model. Explains bundled phantom chest X-rays with every
 * installed method the model's engine supports, writes the usual files and an {@code index.html} that shows them
 * side by side with the ground-truth lesion boxes.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Explain bundled phantom chest X-rays with every installed method; writes DIR/index.html.")
public final class DemoCommand implements Callable<Integer> {
  @Option(names = "--out", defaultValue = "xcam-demo", description = "Output directory. Default: ${DEFAULT-VALUE}.")
  Path out;

  @Option(names = "--methods", split = ",", description = "Methods to run (default: every installed method that applies).")
  List<String> methods;

  @Option(names = "--engine", description = "Engine (djl or onnx). Default: the best that can load the bundle.")
  String engine;

  @Option(names = "--model", defaultValue = "phantom-cxr",
      description = "Embedded model: phantom-cxr (CNN), phantom-vit (tiny ViT) or phantom-swin (tiny Swin), all trained on the same phantoms. Default: ${DEFAULT-VALUE}.")
  String model;

  @Override public Integer call() throws Exception {
    Path bundle = Fixtures.bundle(model);   // an unknown name fails before the output directory is touched
    try (OutputDir dir = OutputDir.open(out, "--out")) {
      Xcam xcam = Xcam.create();
      try (Model m = xcam.load(bundle, engine, Map.of())) {
        // the samples (PNG and DICOM phantoms with their boxes) live with the CNN; every embedded model reads them
        DemoSamples samples = DemoSamples.load(Fixtures.phantomBundle(), m.info().input());
        List<String> chosen = methods != null ? new ArrayList<>(new java.util.LinkedHashSet<>(methods)) : xcam.explainers().values().stream()
            .filter(p -> m.capabilities().containsAll(p.requires())).map(ExplainerProvider::name).toList();
        List<ExplainJob.MethodRun> runs = chosen.stream().map(n -> new ExplainJob.MethodRun(n, Map.<String, String>of())).toList();
        Map<String, List<Box>> boxes = new LinkedHashMap<>();
        Map<String, Map<String, Box>> zones = new LinkedHashMap<>();
        for (int i = 0; i < samples.images().size(); i++) {
          boxes.put(samples.images().get(i).stem(), samples.boxes().get(i));
          zones.put(samples.images().get(i).stem(), samples.zones().get(i));
        }
        Map<String, String> skipped = new LinkedHashMap<>();
        System.err.printf("xcam demo: %d phantom images x %d methods on model %s (engine %s)%n", samples.images().size(), runs.size(),
            m.info().name(), m.info().engine());
        for (String f : samples.unreadable()) System.err.println("xcam demo: left out " + f + " (no installed reader for its format)");
        List<ExplainJob.Written> written;
        try (ProgressBar bar = new ProgressBar(System.err, "demo")) {
          written = new ExplainJob(xcam, m, List.of(), 0, 16).run(samples.images(), List.of(), List.of(Target.predicted()), runs, dir,
              boxes, zones, bar, Map.of("demo", true), skipped::put, List.of("index.html"));
        }
        skipped.forEach((k, v) -> System.err.println("skipped " + k + ": " + v));
        String page = html(m, samples, written, skipped);
        dir.write(() -> Files.writeString(dir.staging().resolve("index.html"), page));
        dir.commit();
        System.out.println("wrote " + written.size() + " heatmaps; open " + out.resolve("index.html").toAbsolutePath());
      }
    }
    return 0;
  }

  private static String html(Model m, DemoSamples samples, List<ExplainJob.Written> written, Map<String, String> skipped) {
    List<String> methodNames = new ArrayList<>();
    for (ExplainJob.Written w : written) if (!methodNames.contains(w.method())) methodNames.add(w.method());
    StringBuilder b = new StringBuilder();
    b.append("<!doctype html><html><head><meta charset='utf-8'><title>xcam demo</title><style>")
        .append("body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}td,th{padding:4px;text-align:center;")
        .append("font-size:12px;vertical-align:top}img{width:128px;height:128px;image-rendering:pixelated}</style></head><body>")
        .append("<h1>xcam demo</h1><p>Model <b>").append(esc(m.info().name())).append("</b> (").append(esc(m.info().task().id()))
        .append(", labels ").append(esc(String.valueOf(m.info().labels()))).append(", engine ").append(esc(m.info().engine()))
        .append("). Green boxes: ground-truth lesions of the phantom. Target: the predicted class. Under each map: where its energy lies")
        .append(" among the phantom's anatomical zones.</p><table><tr><th>image</th>");
    for (String mn : methodNames) b.append("<th>").append(esc(mn)).append("</th>");
    b.append("</tr>");
    for (int i = 0; i < samples.images().size(); i++) {
      LoadedImage img = samples.images().get(i);
      b.append("<tr><td>").append(esc(img.stem())).append("<br>truth: ").append(esc(samples.truth().get(i))).append("</td>");
      for (String mn : methodNames) {
        ExplainJob.Written w = written.stream().filter(x -> x.stem().equals(img.stem()) && x.method().equals(mn)).findFirst().orElse(null);
        if (w == null) { b.append("<td>-</td>"); continue; }
        b.append("<td><img src='").append(esc(w.file())).append(".png' title='").append(esc(w.regions() == null ? "" : w.regions()))
            .append("'><br>").append(esc(w.explanation().label())).append(String.format(" %.2f", w.explanation().score()));
        if (w.regions() != null) b.append("<br><small>").append(esc(w.regions())).append("</small>");
        b.append("</td>");
      }
      b.append("</tr>");
    }
    b.append("</table>");
    if (!skipped.isEmpty()) {
      b.append("<h2>Skipped methods</h2><ul>");
      skipped.forEach((k, v) -> b.append("<li><b>").append(esc(k)).append("</b>: ").append(esc(v)).append("</li>"));
      b.append("</ul>");
    }
    return b.append("</body></html>\n").toString();
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
  }
}
