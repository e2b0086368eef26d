package org.xcam.spark;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.xcam.api.Explanation;
import org.xcam.runtime.eval.Evaluation;
import org.xcam.runtime.eval.Sample;

/**
 * One Spark task of {@link XcamSpark#evaluate}: runs {@code xcam evaluate}'s own per-batch step
 * ({@link Evaluation.Step#process}) on its partition, chunk by chunk, and turns what the step hands its sink into
 * rows: one per image x method with the explanation and one column per metric. An image that cannot be read (or has
 * no label under {@code --target truth}) becomes rows with {@code scored = false} and its {@code error}.
 */
final class EvaluateTask implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  /** Images this JVM has evaluated (method x image), for tests. */
  static final AtomicLong EVALUATED = new AtomicLong();

  private final EvaluateSpec spec;
  private final HadoopConf conf;
  private final String overlayDir;

  /** @param overlayDir where overlay PNGs go ({@code <out>/overlays}), or null for none */
  EvaluateTask(EvaluateSpec spec, HadoopConf conf, String overlayDir) {
    this.spec = spec;
    this.conf = conf;
    this.overlayDir = overlayDir;
  }

  /** Builds the evaluation the driver also builds (there, to fail on bad settings before any work). */
  static Evaluation evaluation(EvaluateSpec spec, ModelCache.Loaded loaded, boolean overlays) {
    return Evaluation.builder(loaded.xcam(), loaded.model(), null, null).values(spec.evaluation())
        .overlays(overlays ? spec.overlays() : 0).build();
  }

  @Override public Iterator<Row> call(Iterator<Row> input) {
    ModelCache.Loaded loaded = ModelCache.get(spec.model(), conf.get());
    Evaluation.Step step = evaluation(spec, loaded, overlayDir != null).step();
    return new Chunks(input, chunk -> process(chunk, loaded, step), spec.failure());
  }

  private List<Row> process(List<Row> chunk, ModelCache.Loaded loaded, Evaluation.Step step) {
    List<Row> out = new ArrayList<>();
    Map<String, Row> inputs = new HashMap<>();
    Map<String, List<String>> todo = new HashMap<>();
    List<Evaluation.Item> items = new ArrayList<>();
    Set<String> done = new HashSet<>();
    for (Row in : chunk) {
      String id = in.getAs("id");
      List<String> t = in.getList(in.fieldIndex("todo"));
      inputs.put(id, in);
      todo.put(id, t);
      String error = in.getAs("error");
      if (error == null) {
        try {
          Sample s = ImageSource.sample(in, loaded.model().info().input(), loaded.model().info().labels(), spec.readerOptions(),
              conf.get());
          items.add(new Evaluation.Item((int) in.getLong(in.fieldIndex("ordinal")), s));
          for (String m : spec.methods()) {
            if (!t.contains(m)) for (String k : spec.metrics()) done.add(Evaluation.key(id, m, k));
          }
          continue;
        } catch (RuntimeException e) {
          error = Chunks.oneLine(e);
        }
      }
      for (String m : t) out.add(skippedRow(in, m, error));
    }
    if (items.isEmpty()) return out;
    RowSink sink = new RowSink(inputs, todo, out);
    try {
      step.process(items, done, sink);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out;
  }

  private Row skippedRow(Row in, String method, String error) {
    List<Object> v = new ArrayList<>();
    v.add(in.getAs("id"));
    v.add(in.getAs("path"));
    v.add(in.getAs("ordinal"));
    v.add(method);
    v.add(null);
    v.add(spec.target());
    for (int i = 0; i < 10; i++) v.add(null);
    v.add(error);
    // truth, predicted, correct, flags, seconds, scored, metric_notes, curves
    v.add(null);
    v.add(null);
    v.add(null);
    v.add(null);
    v.add(null);
    v.add(false);
    v.add(null);
    v.add(null);
    for (int i = 0; i < spec.metrics().size(); i++) v.add(null);
    return RowFactory.create(v.toArray());
  }

  /** Collects what the evaluation step hands out as rows of the evaluation table. */
  private final class RowSink implements Evaluation.Sink {
    private final Map<String, Row> inputs;
    private final Map<String, List<String>> todo;
    private final List<Row> out;
    private final Map<String, Map<String, Row>> curves = new HashMap<>();

    RowSink(Map<String, Row> inputs, Map<String, List<String>> todo, List<Row> out) {
      this.inputs = inputs;
      this.todo = todo;
      this.out = out;
    }

    @Override public void rows(Evaluation.Item item, String method, Explanation e, List<List<String>> rows) {
      Sample s = item.sample();
      Row in = inputs.get(s.id());
      Map<String, Double> values = new LinkedHashMap<>();
      Map<String, String> notes = new LinkedHashMap<>();
      String error = null;
      List<String> first = rows.isEmpty() ? null : rows.get(0);
      for (List<String> r : rows) {
        values.put(r.get(2), r.get(3).isBlank() ? null : Double.parseDouble(r.get(3)));
        if (!r.get(4).isBlank()) notes.put(r.get(2), r.get(4));
      }
      if (e == null && first != null) error = first.get(4);
      List<Object> v = new ArrayList<>();
      v.add(s.id());
      v.add(in.getAs("path"));
      v.add((long) item.ordinal());
      v.add(method);
      v.add(e == null ? null : e.raw().layer());
      v.add(spec.target());
      v.add(e == null ? null : e.classIndex());
      v.add(first == null ? null : first.get(6));
      v.add(e == null ? null : e.score());
      v.add(e == null ? null : e.raw().values());
      v.add(e == null ? null : new int[] {e.raw().height(), e.raw().width()});
      v.add(e == null || !spec.maps() ? null : e.map().toTensor().toNpyBytes());
      v.add(e == null ? null : ExplainTask.passes(e, null));
      double secs = first == null || first.get(9).isBlank() ? Double.NaN : Double.parseDouble(first.get(9));
      v.add(Double.isNaN(secs) ? null : secs * 1000);
      v.add(e == null ? null : e.notes().toArray(new String[0]));
      v.add(null);
      v.add(error);
      v.add(s.label());
      v.add(first == null ? null : first.get(7));
      v.add(first == null || first.get(8).isBlank() ? null : Boolean.parseBoolean(first.get(8)));
      v.add(s.flags().toArray(new String[0]));
      v.add(Double.isNaN(secs) ? null : secs);
      v.add(true);
      v.add(Schemas.map(notes));
      v.add(Schemas.map(curves.getOrDefault(s.id() + '\u0000' + method, Map.of())));
      for (String k : spec.metrics()) v.add(values.get(k));
      out.add(RowFactory.create(v.toArray()));
      EVALUATED.incrementAndGet();
    }

    @Override public void curve(List<String> row) {
      curves.computeIfAbsent(row.get(0) + '\u0000' + row.get(1), k -> new LinkedHashMap<>())
          .put(row.get(2), RowFactory.create(parse(row.get(3)), parse(row.get(4))));
    }

    @Override public void skipped(String image, String reason) {
      Row in = inputs.get(image);
      for (String m : todo.get(image)) out.add(skippedRow(in, m, reason));
    }

    @Override public void overlay(String name, BufferedImage image) {
      if (overlayDir != null) ImageSource.write(conf.get(), overlayDir, name, ImageSource.png(image));
    }
  }

  private static double[] parse(String joined) {
    if (joined.isEmpty()) return new double[0];
    String[] p = joined.split(";");
    double[] d = new double[p.length];
    for (int i = 0; i < p.length; i++) d[i] = Double.parseDouble(p[i]);
    return d;
  }
}
