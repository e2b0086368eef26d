package org.xcam.spark;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.xcam.api.Box;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Model;
import org.xcam.api.RegionAttribution;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.runtime.LoadedImage;
import org.xcam.runtime.Overlay;

/**
 * One Spark task of {@link XcamSpark#explain}: explains its partition's images chunk by chunk (a chunk is one batch, as
 * {@code xcam explain} forms them: {@code batch} images in input order), every method the row still needs, with the
 * JVM's cached model ({@link ModelCache}). A row that cannot be read, or a batch a method fails on, becomes rows with
 * their {@code error}; nothing here fails the task.
 */
final class ExplainTask implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  /** Images this JVM has explained (method x image), for tests and the benchmark. */
  static final AtomicLong EXPLAINED = new AtomicLong();

  private final ExplainSpec spec;
  private final HadoopConf conf;
  private final String filesDir;

  /** @param filesDir where to write xcam explain's per-image files (raw .npy, .npy, overlay .png), or null */
  ExplainTask(ExplainSpec spec, HadoopConf conf, String filesDir) {
    this.spec = spec;
    this.conf = conf;
    this.filesDir = filesDir;
  }

  private record Img(Row in, LoadedImage image, List<String> todo) { }

  @Override public Iterator<Row> call(Iterator<Row> input) {
    ModelCache.Loaded loaded = ModelCache.get(spec.model(), conf.get());
    Map<String, Explainer> explainers = new LinkedHashMap<>();
    for (String m : spec.methods()) explainers.put(m, loaded.xcam().explainer(m, spec.options(m)));
    Map<String, Box> regions = spec.regions();
    return new Chunks(input, chunk -> process(chunk, loaded.model(), explainers, regions), spec.failure());
  }

  private List<Row> process(List<Row> chunk, Model model, Map<String, Explainer> explainers, Map<String, Box> regions) {
    List<Row> out = new ArrayList<>();
    List<Img> imgs = new ArrayList<>();
    for (Row in : chunk) {
      List<String> todo = in.getList(in.fieldIndex("todo"));
      String error = in.getAs("error");
      if (error == null) {
        try {
          for (LoadedImage li : ImageSource.images(in, model.info().input(), model.info().labels(), spec.readerOptions(), conf.get())) {
            imgs.add(new Img(in, li, todo));
          }
          continue;
        } catch (RuntimeException e) {
          error = Chunks.oneLine(e);
        }
      }
      for (String m : todo) out.add(errorRow(in, in.getAs("id"), m, error));
    }
    for (String m : spec.methods()) {
      List<Img> need = new ArrayList<>();
      for (Img i : imgs) if (i.todo().contains(m)) need.add(i);
      for (int from = 0; from < need.size(); from += spec.batch()) {
        List<Img> b = need.subList(from, Math.min(need.size(), from + spec.batch()));
        explain(m, explainers.get(m), model, b, regions, out);
      }
    }
    return out;
  }

  private void explain(String method, Explainer ex, Model model, List<Img> batch, Map<String, Box> regions, List<Row> out) {
    List<Target> targets = new ArrayList<>();
    List<Tensor> inputs = new ArrayList<>();
    for (Img i : batch) {
      targets.add(Target.parse(spec.target(i.in().getLong(i.in().fieldIndex("ordinal")))));
      inputs.add(i.image().tensor());
    }
    boolean same = targets.stream().map(Target::spec).distinct().count() == 1;
    List<Explanation> res;
    long t0 = System.nanoTime();
    try {
      ExplainRequest req = ExplainRequest.builder(Tensor.stack(inputs)).targets(same ? List.of(targets.get(0)) : targets)
          .layers(spec.layers()).seed(spec.seed()).build();
      res = ex.explain(model, req);
    } catch (RuntimeException e) {
      for (Img i : batch) out.add(errorRow(i.in(), i.image().stem(), method, "method failed: " + Chunks.oneLine(e)));
      return;
    }
    double ms = (System.nanoTime() - t0) / 1e6 / batch.size();
    Map<Integer, Integer> perImage = new LinkedHashMap<>();
    for (Explanation e : res) perImage.merge(e.index(), 1, Integer::sum);
    for (Explanation e : res) {
      Img img = batch.get(e.index());
      Row in = img.in();
      String stem = img.image().stem();
      Map<String, Double> shares = null;
      if (!regions.isEmpty()) {
        RegionAttribution.Shares s = RegionAttribution.of(e.map(), regions);
        shares = new LinkedHashMap<>(s.shares());
        shares.put(RegionAttribution.OUTSIDE, s.outside());
      }
      byte[] npy = e.map().toTensor().toNpyBytes();
      if (filesDir != null) {
        String base = stem + "." + method + (perImage.get(e.index()) > 1 ? ".c" + e.classIndex() : "");
        ImageSource.write(conf.get(), filesDir, base + ".raw.npy", e.raw().toTensor().toNpyBytes());
        ImageSource.write(conf.get(), filesDir, base + ".npy", npy);
        BufferedImage over = Overlay.heatmap(Overlay.atLeast(img.image().display(), 256), e.map(), 0.5);
        ImageSource.write(conf.get(), filesDir, base + ".png", ImageSource.png(over));
      }
      List<String> notes = new ArrayList<>(img.image().notes());
      notes.addAll(e.notes());
      out.add(RowFactory.create(stem, in.getAs("path"), in.getAs("ordinal"), method, e.raw().layer(),
          spec.target(in.getLong(in.fieldIndex("ordinal"))), e.classIndex(), e.label(), e.score(), e.raw().values(),
          new int[] {e.raw().height(), e.raw().width()}, spec.maps() ? npy : null, passes(e, batch.size()), ms,
          notes.toArray(new String[0]), shares == null ? null : Schemas.map(shares), null));
    }
    EXPLAINED.addAndGet(batch.size());
  }

  static Row passes(Explanation e, Integer batchSize) {
    return RowFactory.create(e.passes().forwards(), e.passes().heads(), e.passes().tails(), e.passes().vjps(), batchSize);
  }

  private Row errorRow(Row in, String id, String method, String error) {
    return RowFactory.create(id, in.getAs("path"), in.getAs("ordinal"), method, null,
        spec.target(in.getLong(in.fieldIndex("ordinal"))), null, null, null, null, null, null, null, null, null, null, error);
  }
}
