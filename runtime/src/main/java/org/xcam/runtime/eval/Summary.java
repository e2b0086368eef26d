package org.xcam.runtime.eval;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xcam.api.bundle.Json;
import org.xcam.api.spi.MetricProvider;

/**
 * The rules of {@code xcam evaluate}'s summary (summary.csv, summary.json), public so that a runner computing the
 * same summary elsewhere (xcam-spark, with Spark SQL) gets an equal one: which groups a row counts in, the bootstrap
 * seed of each line, how not-scored notes are counted, and the two file formats.
 *
 * <p>A line's values enter {@link Stats#bootstrap} in dataset order (results.csv order for a run that was not
 * resumed), and each value as results.csv writes it ({@link Evaluation#num}), so an equal summary needs the values in
 * that order and that rounding.
 */
public final class Summary {
  private Summary() { }

  /** The pseudo-metric under which summary.csv lists each method's explanation time per image. */
  public static final String SECONDS = "seconds-per-image";

  /**
   * A summary line: method x metric x group (all, correct, wrong, class:&lt;label&gt;).
   *
   * @param notScored rows of the group with no value (their notes say why)
   */
  public record Line(String method, String metric, String group, Stats.Estimate estimate, int notScored) { }

  /** The groups a results.csv row counts in: {@code all}, {@code correct} or {@code wrong}, {@code class:<label>}. */
  public static List<String> groups(String label, String correct) {
    List<String> gs = new ArrayList<>();
    gs.add("all");
    if (correct != null && !correct.isBlank()) gs.add(Boolean.parseBoolean(correct) ? "correct" : "wrong");
    if (label != null && !label.isBlank()) gs.add("class:" + label);
    return gs;
  }

  /** The order of the groups in the files: all, correct, wrong, then the class groups as given (sorted by the caller). */
  public static List<String> groupOrder(Collection<String> classGroups) {
    List<String> order = new ArrayList<>(List.of("all", "correct", "wrong"));
    order.addAll(classGroups);
    return order;
  }

  /** The bootstrap seed of one line. */
  public static long seed(long seed, String method, String metric, String group) {
    return seed ^ (31L * method.hashCode() + metric.hashCode()) ^ group.hashCode();
  }

  /** The bootstrap seed of a method's seconds-per-image line. */
  public static long secondsSeed(long seed, String method) { return seed ^ method.hashCode(); }

  /** The key under which a not-scored row's note is counted (parenthesised details folded). */
  public static String noteKey(String metric, String note) { return metric + ": " + note.replaceAll("\\(.*\\)", "(...)"); }

  private static String f(double d) { return Double.isFinite(d) ? String.format(Locale.ROOT, "%.4f", d) : ""; }

  /**
   * Seconds keep four significant digits, not four decimals: a fast method (tens of microseconds per image) would
   * otherwise print as 0.0000, which reads as "no time at all".
   */
  private static String secs(double d) {
    return Double.isFinite(d) ? new java.math.BigDecimal(d).round(new java.math.MathContext(4)).toPlainString() : "";
  }

  /** summary.csv: the metric lines, then the seconds-per-image lines. */
  public static String csv(List<Line> lines, List<Line> secondLines, Map<String, MetricProvider> providers) {
    StringBuilder b = new StringBuilder("method,metric,group,n,mean,ci_low,ci_high,not_scored,higher_is_better\n");
    List<Line> all = new ArrayList<>(lines);
    all.addAll(secondLines);
    for (Line l : all) {
      boolean timing = l.metric().equals(SECONDS);
      boolean hi = !timing && providers.get(l.metric()).range().higherIsBetter();
      java.util.function.DoubleFunction<String> fmt = timing ? Summary::secs : Summary::f;
      b.append(Csv.line(List.of(l.method(), l.metric(), l.group(), Integer.toString(l.estimate().n()), fmt.apply(l.estimate().mean()),
          fmt.apply(l.estimate().low()), fmt.apply(l.estimate().high()), Integer.toString(l.notScored()), Boolean.toString(hi)))).append('\n');
    }
    return b.toString();
  }

  /**
   * summary.json.
   *
   * @param seconds mean seconds per image per method
   * @param images  images with result rows
   * @param skipped skipped image -> reason
   * @param flagged images whose ground truth was altered (e.g. a box clipped)
   * @param notes   {@link #noteKey} -> rows
   */
  public static String json(List<Line> lines, Map<String, MetricProvider> providers, Map<String, Double> seconds, int images,
                            Map<String, String> skipped, int flagged, Map<String, Integer> notes, String dataset) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dataset", dataset);
    m.put("images", Map.of("evaluated", images, "skipped", skipped.size(), "flagged", flagged));
    m.put("secondsPerImage", seconds);
    List<Object> rows = new ArrayList<>();
    for (Line l : lines) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("method", l.method());
      r.put("metric", l.metric());
      r.put("group", l.group());
      r.put("n", l.estimate().n());
      r.put("mean", l.estimate().mean());
      r.put("ci95", List.of(l.estimate().low(), l.estimate().high()));
      r.put("notScored", l.notScored());
      r.put("higherIsBetter", providers.get(l.metric()).range().higherIsBetter());
      rows.add(r);
    }
    m.put("rows", rows);
    m.put("skipped", skipped);
    m.put("notScoredReasons", notes);
    return Json.write(m);
  }
}
