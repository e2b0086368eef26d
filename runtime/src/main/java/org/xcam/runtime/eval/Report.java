package org.xcam.runtime.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.xcam.api.ModelInfo;
import org.xcam.api.spi.MetricProvider;
import org.xcam.runtime.eval.Summary.Line;

/**
 * Turns the run's files (results.csv, curves.csv, skipped.csv) into summary.csv, summary.json, PNG charts (XChart)
 * and index.html. Reads the files in one streaming pass each, keeping one number per result row, so a resumed run's
 * report covers every row ever written.
 */
final class Report {
  private Report() { }

  static final class Acc {
    final List<Double> values = new ArrayList<>();
    int notScored;

    double[] array() {
      double[] a = new double[values.size()];
      for (int i = 0; i < a.length; i++) a[i] = values.get(i);
      return a;
    }
  }

  static final class CurveAcc {
    double[] x;
    double[] sum;
    int n;
  }

  static void write(Path out, Map<String, MetricProvider> providers, List<String> methods, List<String> metrics,
                    int resamples, long seed, String datasetSpec, ModelInfo model) {
    // ---- results.csv -> groups
    Map<String, Acc> acc = new LinkedHashMap<>();
    Map<String, Map<String, Double>> seconds = new LinkedHashMap<>();
    Set<String> images = new LinkedHashSet<>(), flagged = new LinkedHashSet<>();
    Set<String> classGroups = new java.util.TreeSet<>();
    Map<String, Integer> notes = new TreeMap<>();
    boolean[] header = {true};
    Csv.read(out.resolve("results.csv"), r -> {
      if (header[0]) { header[0] = false; return; }
      if (r.size() < Evaluation.HEADER.size()) return;
      String img = r.get(0), method = r.get(1), metric = r.get(2), value = r.get(3), note = r.get(4), label = r.get(5);
      String correct = r.get(8), secs = r.get(9), flags = r.get(10);
      if (!methods.contains(method) || !metrics.contains(metric)) return;
      images.add(img);
      if (!flags.isBlank()) flagged.add(img);
      if (!secs.isBlank()) seconds.computeIfAbsent(method, k -> new LinkedHashMap<>()).putIfAbsent(img, Double.parseDouble(secs));
      List<String> gs = Summary.groups(label, correct);
      if (!label.isBlank()) classGroups.add("class:" + label);
      for (String g : gs) {
        Acc a = acc.computeIfAbsent(method + '\u0000' + metric + '\u0000' + g, k -> new Acc());
        if (value.isBlank()) a.notScored++;
        else a.values.add(Double.parseDouble(value));
      }
      if (value.isBlank() && !note.isBlank()) notes.merge(Summary.noteKey(metric, note), 1, Integer::sum);
    });
    List<String> groupOrder = Summary.groupOrder(classGroups);
    List<Line> lines = new ArrayList<>();
    for (String g : groupOrder) {
      for (String m : methods) {
        for (String k : metrics) {
          Acc a = acc.get(m + '\u0000' + k + '\u0000' + g);
          if (a == null) continue;
          lines.add(new Line(m, k, g, Stats.bootstrap(a.array(), resamples, Summary.seed(seed, m, k, g)), a.notScored));
        }
      }
    }
    Map<String, Double> meanSeconds = new LinkedHashMap<>();
    List<Line> secondLines = new ArrayList<>();
    for (String m : methods) {
      Map<String, Double> s = seconds.get(m);
      if (s == null || s.isEmpty()) continue;
      double[] v = s.values().stream().mapToDouble(Double::doubleValue).toArray();
      Stats.Estimate est = Stats.bootstrap(v, resamples, Summary.secondsSeed(seed, m));
      meanSeconds.put(m, est.mean());
      secondLines.add(new Line(m, Summary.SECONDS, "all", est, 0));
    }
    // ---- skipped.csv
    Map<String, String> skipped = new LinkedHashMap<>();
    if (Files.isRegularFile(out.resolve("skipped.csv"))) {
      boolean[] h = {true};
      Csv.read(out.resolve("skipped.csv"), r -> {
        if (h[0]) { h[0] = false; return; }
        skipped.putIfAbsent(r.get(0), r.size() > 1 ? r.get(1) : "");
      });
    }
    // ---- curves.csv -> mean curves per curve name and method
    Map<String, Map<String, CurveAcc>> curves = new LinkedHashMap<>();
    if (Files.isRegularFile(out.resolve("curves.csv"))) {
      boolean[] h = {true};
      Csv.read(out.resolve("curves.csv"), r -> {
        if (h[0]) { h[0] = false; return; }
        if (r.size() < 5 || !methods.contains(r.get(1))) return;
        double[] x = parse(r.get(3)), y = parse(r.get(4));
        CurveAcc c = curves.computeIfAbsent(r.get(2), k -> new LinkedHashMap<>()).computeIfAbsent(r.get(1), k -> new CurveAcc());
        if (c.x == null) { c.x = x; c.sum = new double[y.length]; }
        if (y.length != c.sum.length) return;
        for (int i = 0; i < y.length; i++) c.sum[i] += y[i];
        c.n++;
      });
    }
    try {
      Files.writeString(out.resolve("summary.csv"), Summary.csv(lines, secondLines, providers));
      Files.writeString(out.resolve("summary.json"),
          Summary.json(lines, providers, meanSeconds, images.size(), skipped, flagged.size(), notes, datasetSpec));
      List<String> charts = charts(out, curves, meanSeconds);
      writeHtml(out, lines, providers, methods, metrics, groupOrder, meanSeconds, images.size(), skipped, flagged.size(),
          notes, charts, datasetSpec, model);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static double[] parse(String s) {
    String[] p = s.split(";");
    double[] d = new double[p.length];
    for (int i = 0; i < p.length; i++) d[i] = Double.parseDouble(p[i]);
    return d;
  }

  private static String[] titles(String curve) {
    return switch (curve) {
      case "iou-vs-energy" -> new String[] {"IoU vs energy threshold", "energy kept (%)", "mean IoU"};
      case "insertion" -> new String[] {"Insertion curve", "fraction of pixels inserted", "mean score"};
      case "deletion" -> new String[] {"Deletion curve", "fraction of pixels deleted", "mean score"};
      case "road-morf" -> new String[] {"ROAD, most relevant first", "pixels removed (%)", "mean score"};
      case "road-lerf" -> new String[] {"ROAD, least relevant first", "pixels removed (%)", "mean score"};
      default -> new String[] {curve, "x", "mean y"};
    };
  }

  /** One PNG per curve name (a line per method) and a bar chart of seconds per image; returns the file names. */
  static List<String> charts(Path out, Map<String, Map<String, CurveAcc>> curves, Map<String, Double> seconds) throws IOException {
    Path dir = out.resolve("charts");
    Files.createDirectories(dir);
    List<String> names = new ArrayList<>();
    for (Map.Entry<String, Map<String, CurveAcc>> e : curves.entrySet()) {
      String[] t = titles(e.getKey());
      XYChart c = new XYChartBuilder().width(640).height(420).title(t[0]).xAxisTitle(t[1]).yAxisTitle(t[2]).build();
      c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
      c.getStyler().setMarkerSize(e.getValue().values().iterator().next().x.length > 20 ? 0 : 6);
      c.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
      for (Map.Entry<String, CurveAcc> s : e.getValue().entrySet()) {
        CurveAcc a = s.getValue();
        if (a.n == 0) continue;
        double[] y = new double[a.sum.length];
        for (int i = 0; i < y.length; i++) y[i] = a.sum[i] / a.n;
        c.addSeries(s.getKey() + " (n=" + a.n + ")", a.x, y);
      }
      String file = e.getKey().replaceAll("[^a-z0-9-]", "_") + ".png";
      BitmapEncoder.saveBitmap(c, dir.resolve(file).toString(), BitmapEncoder.BitmapFormat.PNG);
      names.add(file);
    }
    if (!seconds.isEmpty()) {
      CategoryChart c = new CategoryChartBuilder().width(640).height(360).title("Run time per method")
          .xAxisTitle("method").yAxisTitle("seconds per image").build();
      c.getStyler().setLegendVisible(false);
      c.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
      c.addSeries("seconds per image", new ArrayList<>(seconds.keySet()), new ArrayList<Number>(seconds.values()));
      BitmapEncoder.saveBitmap(c, dir.resolve("seconds.png").toString(), BitmapEncoder.BitmapFormat.PNG);
      names.add("seconds.png");
    }
    return names;
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static void writeHtml(Path out, List<Line> lines, Map<String, MetricProvider> providers, List<String> methods,
                                List<String> metrics, List<String> groups, Map<String, Double> seconds, int images,
                                Map<String, String> skipped, int flagged, Map<String, Integer> notes, List<String> charts,
                                String dataset, ModelInfo model) throws IOException {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>xcam evaluate: ").append(esc(dataset)).append("</title>\n")
        .append("<style>body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;margin:1em 0}"
            + "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}"
            + ".ci{color:#777;font-size:85%}.best{font-weight:bold;background:#eaf7ea}img.o{width:192px;height:192px}"
            + "figure{display:inline-block;margin:4px}</style></head><body>\n");
    h.append("<h1>xcam evaluate</h1>\n<p>Model <b>").append(esc(model.name())).append("</b> (").append(esc(model.task().id()))
        .append(", engine ").append(esc(model.engine())).append(") on <b>").append(esc(dataset)).append("</b>: ")
        .append(images).append(" images scored, ").append(skipped.size()).append(" skipped, ").append(flagged)
        .append(" with ground truth flagged (e.g. boxes clipped). Values are means with a 95% bootstrap interval; "
            + "&uarr; higher is better, &darr; lower is better; the best method per metric is highlighted. "
            + "Files: <a href=\"results.csv\">results.csv</a>, <a href=\"summary.csv\">summary.csv</a>, "
            + "<a href=\"summary.json\">summary.json</a>, <a href=\"manifest.json\">manifest.json</a>.</p>\n");
    for (String g : groups) {
      List<Line> gl = lines.stream().filter(l -> l.group().equals(g)).toList();
      if (gl.isEmpty()) continue;
      String title = switch (g) {
        case "all" -> "Summary (all images)";
        case "correct" -> "Correctly classified images";
        case "wrong" -> "Misclassified images";
        default -> "Class " + g.substring(6);
      };
      h.append(g.equals("all") ? "<h2>" : "<h3>").append(esc(title)).append(g.equals("all") ? "</h2>" : "</h3>").append('\n');
      h.append("<table><tr><th class=l>method</th>");
      for (String k : metrics) {
        MetricProvider p = providers.get(k);
        h.append("<th title=\"").append(esc(p.description())).append("\">").append(esc(k))
            .append(p.range().higherIsBetter() ? " &uarr;" : " &darr;").append("</th>");
      }
      h.append("<th>n</th></tr>\n");
      Map<String, Double> best = new LinkedHashMap<>();
      for (Line l : gl) {
        boolean hi = providers.get(l.metric()).range().higherIsBetter();
        double v = l.estimate().mean();
        if (!Double.isFinite(v)) continue;
        best.merge(l.metric(), v, (a, b) -> hi ? Math.max(a, b) : Math.min(a, b));
      }
      for (String m : methods) {
        h.append("<tr><td class=l>").append(esc(m)).append("</td>");
        int n = 0;
        for (String k : metrics) {
          Line l = gl.stream().filter(x -> x.method().equals(m) && x.metric().equals(k)).findFirst().orElse(null);
          if (l == null || l.estimate().n() == 0) { h.append("<td>&ndash;</td>"); continue; }
          n = Math.max(n, l.estimate().n());
          boolean isBest = methods.size() > 1 && best.containsKey(k) && best.get(k) == l.estimate().mean();
          h.append(isBest ? "<td class=best>" : "<td>").append(f3(l.estimate().mean())).append("<br><span class=ci>[")
              .append(f3(l.estimate().low())).append(", ").append(f3(l.estimate().high())).append("]</span></td>");
        }
        h.append("<td>").append(n).append("</td></tr>\n");
      }
      h.append("</table>\n");
    }
    if (!seconds.isEmpty()) {
      h.append("<h2>Run time per method</h2>\n<table><tr><th class=l>method</th><th>seconds per image</th></tr>\n");
      for (Map.Entry<String, Double> e : seconds.entrySet()) {
        h.append("<tr><td class=l>").append(esc(e.getKey())).append("</td><td>")
            .append(String.format(Locale.ROOT, "%.4f", e.getValue())).append("</td></tr>\n");
      }
      h.append("</table>\n");
    }
    if (!charts.isEmpty()) {
      h.append("<h2>Curves</h2>\n");
      for (String c : charts) h.append("<img src=\"charts/").append(esc(c)).append("\" alt=\"").append(esc(c)).append("\">\n");
    }
    // overlay grid: rows = images, columns = image + methods
    List<String> ids = new ArrayList<>();
    Path od = out.resolve("overlays");
    if (Files.isDirectory(od)) {
      try (Stream<Path> s = Files.list(od)) {
        s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith("__image.png")).sorted()
            .forEach(n -> ids.add(n.substring(0, n.length() - "__image.png".length())));
      }
    }
    if (!ids.isEmpty()) {
      h.append("<h2>Overlays</h2>\n<p>Ground-truth boxes in green; maps blended with the jet colour map.</p>\n<table><tr><th class=l>image</th>");
      for (String m : methods) h.append("<th>").append(esc(m)).append("</th>");
      h.append("</tr>\n");
      for (String id : ids) {
        h.append("<tr><td class=l><img class=o src=\"overlays/").append(esc(id)).append("__image.png\"><br>").append(esc(id)).append("</td>");
        for (String m : methods) {
          String f = id + "__" + m + ".png";
          h.append(Files.isRegularFile(od.resolve(f)) ? "<td><img class=o src=\"overlays/" + esc(f) + "\"></td>" : "<td>&ndash;</td>");
        }
        h.append("</tr>\n");
      }
      h.append("</table>\n");
    }
    if (!notes.isEmpty()) {
      h.append("<h2>Rows not scored</h2>\n<table><tr><th class=l>reason</th><th>rows</th></tr>\n");
      for (Map.Entry<String, Integer> e : notes.entrySet()) {
        h.append("<tr><td class=l>").append(esc(e.getKey())).append("</td><td>").append(e.getValue()).append("</td></tr>\n");
      }
      h.append("</table>\n");
    }
    if (!skipped.isEmpty()) {
      h.append("<h2>Skipped images</h2>\n<table><tr><th class=l>image</th><th class=l>reason</th></tr>\n");
      int k = 0;
      for (Map.Entry<String, String> e : skipped.entrySet()) {
        if (k++ >= 200) { h.append("<tr><td class=l colspan=2>... see skipped.csv</td></tr>\n"); break; }
        h.append("<tr><td class=l>").append(esc(e.getKey())).append("</td><td class=l>").append(esc(e.getValue())).append("</td></tr>\n");
      }
      h.append("</table>\n");
    }
    h.append("</body></html>\n");
    Files.writeString(out.resolve("index.html"), h.toString());
  }

  private static String f3(double d) { return Double.isFinite(d) ? String.format(Locale.ROOT, "%.3f", d) : ""; }
}
