package org.xcam.cli;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;
import org.xcam.api.Box;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Model;
import org.xcam.api.RegionAttribution;
import org.xcam.api.Target;
import org.xcam.api.XcamException;
import org.xcam.api.bundle.Json;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.runtime.LoadedImage;
import org.xcam.runtime.Overlay;
import org.xcam.runtime.Xcam;

/**
 * Explains images with one or more methods and writes, per image and method, {@code <stem>.<method>.raw.npy},
 * {@code <stem>.<method>.npy}, {@code <stem>.<method>.png}, and one {@code manifest.json}. Everything is written to a
 * staging directory inside the output directory and moved into place only when every image succeeded, so a failure
 * leaves no half-written output.
 */
final class ExplainJob {
  /** One method's configuration. */
  record MethodRun(String name, Map<String, String> options) { }

  /** What was written for one (image, method, objective); {@code regions} is the attribution summary or null. */
  record Written(String stem, String method, String file, Explanation explanation, String regions) { }

  private final Xcam xcam;
  private final Model model;
  private final List<String> layers;
  private final long seed;
  private final int batch;

  ExplainJob(Xcam xcam, Model model, List<String> layers, long seed, int batch) {
    this.xcam = xcam;
    this.model = model;
    this.layers = layers;
    this.seed = seed;
    this.batch = Math.max(1, batch);
  }

  /** Checks that {@code out} is (or can be made) a writable directory; fails with a one-line error otherwise. */
  static void checkWritable(Path out) {
    try {
      if (Files.exists(out) && !Files.isDirectory(out)) {
        throw new InvalidInputException("output path " + out + " is a file, not a directory; choose another --out");
      }
      Files.createDirectories(out);
      Path probe = Files.createTempFile(out, ".xcam-probe", ".tmp");
      Files.delete(probe);
    } catch (IOException | SecurityException e) {
      throw new InvalidInputException("output directory " + out + " is not writable (" + e.getMessage() + "); choose another --out");
    }
  }

  /**
   * Runs every method over every image and writes the files.
   *
   * @param boxes ground-truth boxes per image stem (in model-input pixels) to draw on overlays; may be empty
   * @return what was written, in order
   */
  List<Written> run(List<LoadedImage> images, List<Target> targets, List<MethodRun> methods, Path out,
                    Map<String, List<Box>> boxes, ProgressBar bar, Map<String, Object> manifestExtras,
                    BiConsumer<String, String> onSkip) {
    return run(images, targets, methods, out, boxes, Map.of(), bar, manifestExtras, onSkip);
  }

  /**
   * As above, and attributes every map to anatomical regions: {@code regions} maps an image stem to named boxes in
   * model-input pixels ("78% of the evidence lies in the right lower zone"); recorded in the manifest.
   */
  List<Written> run(List<LoadedImage> images, List<Target> targets, List<MethodRun> methods, Path out,
                    Map<String, List<Box>> boxes, Map<String, Map<String, Box>> regions, ProgressBar bar,
                    Map<String, Object> manifestExtras, BiConsumer<String, String> onSkip) {
    checkWritable(out);
    // Resolve every method before any work: unknown names and options fail here.
    Map<String, Explainer> explainers = new LinkedHashMap<>();
    for (MethodRun m : methods) explainers.put(m.name(), xcam.explainer(m.name(), m.options()));
    Path staging = out.resolve(".xcam-staging-" + UUID.randomUUID());
    List<Written> written = new ArrayList<>();
    List<Map<String, Object>> records = new ArrayList<>();
    try {
      Files.createDirectories(staging);
      long total = (long) images.size() * methods.size(), done = 0;
      for (MethodRun m : methods) {
        Explainer ex = explainers.get(m.name());
        ExplainerProvider provider = xcam.explainerProvider(m.name());
        for (int from = 0; from < images.size(); from += batch) {
          int to = Math.min(images.size(), from + batch);
          List<LoadedImage> chunk = images.subList(from, to);
          List<Target> chunkTargets = targets.size() == 1 ? targets : targets.subList(from, to);
          ExplainRequest req = ExplainRequest.builder(org.xcam.api.Tensor.stack(chunk.stream().map(LoadedImage::tensor).toList()))
              .targets(chunkTargets).layers(layers).seed(seed).build();
          long t0 = System.nanoTime();
          List<Explanation> res;
          try {
            res = ex.explain(model, req);
          } catch (XcamException e) {
            if (onSkip == null) throw e;
            onSkip.accept(m.name(), e.getMessage());
            done += chunk.size();
            bar.progress(done, total, m.name());
            break;
          }
          double ms = (System.nanoTime() - t0) / 1e6;
          Map<Integer, Integer> perImage = new LinkedHashMap<>();
          for (Explanation e : res) perImage.merge(e.index(), 1, Integer::sum);
          for (Explanation e : res) {
            LoadedImage img = chunk.get(e.index());
            String suffix = perImage.get(e.index()) > 1 ? ".c" + e.classIndex() : "";
            String base = img.stem() + "." + m.name() + suffix;
            e.raw().toTensor().writeNpy(staging.resolve(base + ".raw.npy"));
            e.map().toTensor().writeNpy(staging.resolve(base + ".npy"));
            BufferedImage over = Overlay.heatmap(Overlay.atLeast(img.display(), 256), e.map(), 0.5);
            List<Box> gt = boxes.getOrDefault(img.stem(), List.of());
            if (!gt.isEmpty()) {
              Overlay.boxes(over, gt, java.awt.Color.GREEN, (double) over.getWidth() / e.map().width(),
                  (double) over.getHeight() / e.map().height());
            }
            Overlay.writePng(over, staging.resolve(base + ".png"));
            Map<String, Box> zones = regions.getOrDefault(img.stem(), regions.getOrDefault("*", Map.of()));
            RegionAttribution.Shares shares = zones.isEmpty() ? null : RegionAttribution.of(e.map(), zones);
            written.add(new Written(img.stem(), m.name(), base, e, shares == null ? null : shares.describe()));
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("image", img.stem());
            r.put("method", m.name());
            r.put("files", List.of(base + ".raw.npy", base + ".npy", base + ".png"));
            r.put("layer", e.raw().layer());
            r.put("rawShape", List.of(e.raw().height(), e.raw().width()));
            r.put("target", targets.size() == 1 ? targets.get(0).spec() : targets.get(from + e.index()).spec());
            r.put("categoryIndependent", provider.categoryIndependent());
            r.put("targetClass", e.classIndex());
            r.put("targetLabel", e.label());
            r.put("score", e.score());
            r.put("objective", e.objective());
            r.put("millisPerImage", ms / chunk.size());
            r.put("batchPasses", Map.of("forwards", e.passes().forwards(), "heads", e.passes().heads(),
                "tails", e.passes().tails(), "vjps", e.passes().vjps(), "batchSize", chunk.size()));
            if (!e.extras().isEmpty()) r.put("extras", e.extras());
            if (shares != null) {
              Map<String, Object> ra = new LinkedHashMap<>(shares.shares());
              ra.put(RegionAttribution.OUTSIDE, shares.outside());
              r.put("regionAttribution", ra);
              r.put("regionSummary", shares.describe());
            }
            List<String> notes = new ArrayList<>(img.notes());
            notes.addAll(e.notes());
            if (provider.categoryIndependent()) notes.add("category-independent method: the target is ignored");
            r.put("notes", notes);
            records.add(r);
          }
          done += chunk.size();
          bar.progress(done, total, m.name());
        }
      }
      Map<String, Object> manifest = new LinkedHashMap<>();
      manifest.put("xcam", XcamCli.version());
      manifest.put("engine", model.info().engine());
      manifest.put("model", Map.of("name", model.info().name(), "source", model.info().source(), "task", model.info().task().id(),
          "labels", model.info().labels()));
      Map<String, Object> ms = new LinkedHashMap<>();
      for (MethodRun m : methods) {
        ExplainerProvider p = xcam.explainerProvider(m.name());
        Map<String, String> opts = new LinkedHashMap<>();
        p.options().forEach(o -> opts.put(o.name(), o.defaultValue()));
        opts.putAll(m.options());
        ms.put(m.name(), Map.of("options", opts, "cost", p.cost(), "categoryIndependent", p.categoryIndependent()));
      }
      manifest.put("methods", ms);
      manifest.put("layers", layers.isEmpty() ? List.of(model.info().defaultLayer() == null ? "input" : model.info().defaultLayer()) : layers);
      manifest.put("seed", seed);
      manifest.putAll(manifestExtras);
      manifest.put("results", records);
      Files.writeString(staging.resolve("manifest.json"), Json.write(manifest));
      // Everything succeeded: move into place.
      try (var files = Files.list(staging)) {
        for (Path f : files.toList()) Files.move(f, out.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
      return written;
    } catch (IOException e) {
      throw new InvalidInputException("cannot write to " + out + ": " + e.getMessage(), e);
    } finally {
      deleteTree(staging);
    }
  }

  static void deleteTree(Path p) {
    if (!Files.exists(p)) return;
    try (var walk = Files.walk(p)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> {
        try { Files.deleteIfExists(f); } catch (IOException ignored) { }
      });
    } catch (IOException ignored) { }
  }
}
