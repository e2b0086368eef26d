package org.xcam.cli;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.xcam.api.Box;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Model;
import org.xcam.api.Plan;
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
 * {@code <stem>.<method>.npy}, {@code <stem>.<method>.png}, and one {@code manifest.json}, into an {@link OutputDir}'s
 * staging directory (the caller commits it). Before the first pass it checks every method's preconditions
 * ({@link Explainer#plan}: capabilities, layers, e.g. IBA's statistics), the estimated work against the budget, and
 * every output path; it prints the estimate when the run is long or stderr is a terminal. A model output that is not
 * finite stops the run with a one-line error naming the image.
 */
final class ExplainJob {
  /** Runs that need more network evaluations than this in all print their estimate even when stderr is no terminal. */
  static final long LONG_RUN = 10_000;

  /** One method's configuration. */
  record MethodRun(String name, Map<String, String> options) { }

  /** What was written for one (image, method, objective); {@code regions} is the attribution summary or null. */
  record Written(String stem, String method, String file, Explanation explanation, String regions) { }

  private final Xcam xcam;
  private final Model model;
  private final List<String> layers;
  private final long seed;
  private final int batch;
  private long budget = 0;
  private PrintStream err = System.err;

  ExplainJob(Xcam xcam, Model model, List<String> layers, long seed, int batch) {
    this.xcam = xcam;
    this.model = model;
    this.layers = layers;
    this.seed = seed;
    this.batch = Math.max(1, batch);
  }

  /** The most network evaluations per image one method may need (0 = no limit). */
  ExplainJob budget(long evaluationsPerImage) {
    this.budget = evaluationsPerImage;
    return this;
  }

  /** Checks that {@code out} is (or can be made) a writable directory; fails with a one-line error otherwise. */
  static void checkWritable(Path out) {
    OutputDir.validate(out, "--out");
    try {
      Files.createDirectories(out);
      Path probe = Files.createTempFile(out, ".xcam-probe", ".tmp");
      Files.delete(probe);
    } catch (IOException | SecurityException e) {
      throw new InvalidInputException("output directory " + out + " is not writable (" + e.getMessage() + "); choose another --out");
    }
  }

  /**
   * Runs every method over every image and writes the files into {@code out}'s staging directory.
   *
   * @param inputs  per image, the input it came from (a path as given), for the manifest; may be empty
   * @param boxes   ground-truth boxes per image stem (in model-input pixels) to draw on overlays; may be empty
   * @param regions per image stem (or "*" for all), named boxes in model-input pixels for region attribution
   * @param onSkip  when not null, a method that fails (or does not fit the budget) is skipped and reported here
   * @param extraNames other files the caller will write (checked with the outputs before the first pass)
   * @return what was written, in order
   */
  List<Written> run(List<LoadedImage> images, List<String> inputs, List<Target> targets, List<MethodRun> methods, OutputDir out,
                    Map<String, List<Box>> boxes, Map<String, Map<String, Box>> regions, ProgressBar bar,
                    Map<String, Object> manifestExtras, BiConsumer<String, String> onSkip, List<String> extraNames) {
    if (images.isEmpty()) throw new InvalidInputException("no images to explain");
    // 1. Resolve every method (unknown names and options fail), then its preconditions and cost: no pass yet.
    Map<String, Explainer> explainers = new LinkedHashMap<>();
    Map<String, Plan> plans = new LinkedHashMap<>();
    ExplainRequest probe = ExplainRequest.builder(images.get(0).tensor().unsqueeze()).target(targets.get(0)).layers(layers)
        .seed(seed).build();
    for (MethodRun m : methods) {
      try {
        Explainer ex = xcam.explainer(m.name(), m.options());
        Plan plan = ex.plan(model, probe);
        if (budget > 0 && plan.known() && plan.evaluationsPerImage() > budget) {
          throw new InvalidInputException(String.format(Locale.ROOT, "%s needs about %,d network evaluations per image (%s), over the"
              + " budget of %,d (--budget); lower its options or raise --budget (0 = no limit)", m.name(), plan.evaluationsPerImage(),
              plan.detail(), budget));
        }
        explainers.put(m.name(), ex);
        plans.put(m.name(), plan);
      } catch (XcamException e) {
        if (onSkip == null) throw e;
        onSkip.accept(m.name(), e.getMessage());
      }
    }
    // 2. Every output path, before the first pass.
    Set<String> names = new LinkedHashSet<>(extraNames);
    names.add("manifest.json");
    for (LoadedImage img : images) {
      for (String m : explainers.keySet()) {
        for (String ext : List.of(".raw.npy", ".npy", ".png")) names.add(img.stem() + "." + m + ext);
      }
    }
    Set<String> prefixes = new LinkedHashSet<>();
    for (LoadedImage img : images) for (String m : explainers.keySet()) prefixes.add(img.stem() + "." + m + ".c");
    out.checkTargets(names, n -> prefixes.stream().anyMatch(n::startsWith));
    // 3. The estimate, before work.
    estimate(images.size(), plans, bar);

    List<Written> written = new ArrayList<>();
    List<Map<String, Object>> records = new ArrayList<>();
    Path staging = out.staging();
    long total = (long) images.size() * explainers.size(), done = 0;
    for (Map.Entry<String, Explainer> me : explainers.entrySet()) {
      String method = me.getKey();
      Explainer ex = me.getValue();
      ExplainerProvider provider = xcam.explainerProvider(method);
      for (int from = 0; from < images.size(); from += batch) {
        int to = Math.min(images.size(), from + batch);
        List<LoadedImage> chunk = images.subList(from, to);
        List<Target> chunkTargets = targets.size() == 1 ? targets : targets.subList(from, to);
        ExplainRequest req = ExplainRequest.builder(org.xcam.api.Tensor.stack(chunk.stream().map(LoadedImage::tensor).toList()))
            .targets(chunkTargets).layers(layers).seed(seed).progress(bar.within()).cancelled(out::interrupted).build();
        long t0 = System.nanoTime();
        List<Explanation> res;
        try {
          res = ex.explain(model, req);
        } catch (XcamException e) {
          if (onSkip == null || out.interrupted()) throw e;
          onSkip.accept(method, e.getMessage());
          done += chunk.size();
          bar.progress(done, total, method);
          break;
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        for (Explanation e : res) checkFinite(e, chunk.get(e.index()), inputs.isEmpty() ? null : inputs.get(from + e.index()), method);
        Map<Integer, Integer> perImage = new LinkedHashMap<>();
        for (Explanation e : res) perImage.merge(e.index(), 1, Integer::sum);
        for (Explanation e : res) {
          LoadedImage img = chunk.get(e.index());
          String suffix = perImage.get(e.index()) > 1 ? ".c" + e.classIndex() : "";
          String base = img.stem() + "." + method + suffix;
          Map<String, Box> zones = regions.getOrDefault(img.stem(), regions.getOrDefault("*", Map.of()));
          RegionAttribution.Shares shares = zones.isEmpty() ? null : RegionAttribution.of(e.map(), zones);
          try {
            out.write(() -> {
              e.raw().toTensor().writeNpy(staging.resolve(base + ".raw.npy"));
              e.map().toTensor().writeNpy(staging.resolve(base + ".npy"));
              BufferedImage over = Overlay.heatmap(Overlay.atLeast(img.display(), 256), e.map(), 0.5);
              List<Box> gt = boxes.getOrDefault(img.stem(), List.of());
              if (!gt.isEmpty()) {
                Overlay.boxes(over, gt, java.awt.Color.GREEN, (double) over.getWidth() / e.map().width(),
                    (double) over.getHeight() / e.map().height());
              }
              Overlay.writePng(over, staging.resolve(base + ".png"));
            });
          } catch (IOException x) {
            throw new InvalidInputException("cannot write to " + out.path() + ": " + x.getMessage(), x);
          }
          written.add(new Written(img.stem(), method, base, e, shares == null ? null : shares.describe()));
          records.add(record(img, inputs.isEmpty() ? null : inputs.get(from + e.index()), method, provider, base, e, chunk.size(), ms,
              targets.size() == 1 ? targets.get(0) : targets.get(from + e.index()), shares));
        }
        done += chunk.size();
        bar.progress(done, total, method);
      }
    }
    Map<String, Object> manifest = new LinkedHashMap<>();
    manifest.put("xcam", XcamCli.version());
    manifest.put("engine", model.info().engine());
    manifest.put("model", Map.of("name", model.info().name(), "source", model.info().source(), "task", model.info().task().id(),
        "outputs", model.info().outputs().id(), "labels", model.info().labels()));
    Map<String, Object> ms = new LinkedHashMap<>();
    for (String name : explainers.keySet()) {
      MethodRun m = methods.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
      ExplainerProvider p = xcam.explainerProvider(name);
      Map<String, String> opts = new LinkedHashMap<>();
      p.options().forEach(o -> opts.put(o.name(), o.defaultValue()));
      opts.putAll(m.options());
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("options", opts);
      entry.put("cost", p.cost());
      entry.put("categoryIndependent", p.categoryIndependent());
      Plan plan = plans.get(name);
      if (plan.known()) entry.put("estimatedEvaluationsPerImage", plan.evaluationsPerImage());
      ms.put(name, entry);
    }
    manifest.put("methods", ms);
    manifest.put("layers", layers.isEmpty() ? List.of(model.info().defaultLayer() == null ? "input" : model.info().defaultLayer()) : layers);
    manifest.put("seed", seed);
    if (budget > 0) manifest.put("budgetEvaluationsPerImage", budget);
    manifest.putAll(manifestExtras);
    manifest.put("results", records);
    try {
      out.write(() -> Files.writeString(staging.resolve("manifest.json"), Json.write(manifest)));
    } catch (IOException x) {
      throw new InvalidInputException("cannot write to " + out.path() + ": " + x.getMessage(), x);
    }
    return written;
  }

  private Map<String, Object> record(LoadedImage img, String input, String method, ExplainerProvider provider, String base,
                                     Explanation e, int chunkSize, double ms, Target target, RegionAttribution.Shares shares) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("image", img.stem());
    if (input != null) r.put("input", input);
    r.put("method", method);
    r.put("files", List.of(base + ".raw.npy", base + ".npy", base + ".png"));
    r.put("layer", e.raw().layer());
    r.put("rawShape", List.of(e.raw().height(), e.raw().width()));
    r.put("target", target.spec());
    r.put("categoryIndependent", provider.categoryIndependent());
    r.put("targetClass", e.classIndex());
    r.put("targetLabel", e.label());
    r.put("score", e.score());
    r.put("objective", e.objective());
    r.put("millisPerImage", ms / chunkSize);
    r.put("batchPasses", Map.of("forwards", e.passes().forwards(), "heads", e.passes().heads(),
        "tails", e.passes().tails(), "vjps", e.passes().vjps(), "batchSize", chunkSize));
    if (!e.extras().isEmpty()) r.put("extras", e.extras());
    if (shares != null) {
      Map<String, Object> ra = new LinkedHashMap<>(shares.shares());
      ra.put(RegionAttribution.OUTSIDE, shares.outside());
      r.put("regionAttribution", ra);
      r.put("regionSummary", shares.describe());
    }
    if (!img.source().isEmpty()) r.put("source", img.source());
    List<String> notes = new ArrayList<>(img.notes());
    notes.addAll(e.notes());
    if (provider.categoryIndependent()) notes.add("category-independent method: the target is ignored");
    r.put("notes", notes);
    return r;
  }

  /** A score or map that is not finite stops the run, naming the image: never "score NaN" and exit 0. */
  private static void checkFinite(Explanation e, LoadedImage img, String input, String method) {
    boolean scoreOk = Double.isFinite(e.score());
    boolean mapOk = finite(e.map().values()) && finite(e.raw().values());
    if (scoreOk && mapOk) return;
    throw new InvalidInputException("the model's " + (scoreOk ? method + " map" : "output") + " for image " + img.stem()
        + (input == null ? "" : " (" + input + ")") + " is not finite" + (scoreOk ? "" : " (score " + e.score() + ")")
        + ": its values drive the model out of range; check the image (a .npy must hold normalised values)");
  }

  private static boolean finite(float[] v) {
    for (float x : v) if (!Float.isFinite(x)) return false;
    return true;
  }

  /** Prints the work ahead when stderr is a terminal or the run is long. */
  private void estimate(int n, Map<String, Plan> plans, ProgressBar bar) {
    long sum = 0;
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, Plan> p : plans.entrySet()) {
      if (p.getValue().known()) {
        sum += p.getValue().evaluationsPerImage() * n;
        parts.add(String.format(Locale.ROOT, "%s %,d/image", p.getKey(), p.getValue().evaluationsPerImage()));
      } else {
        parts.add(p.getKey() + " not estimated");
      }
    }
    if (!bar.enabled() && sum < LONG_RUN) return;
    err.printf(Locale.ROOT, "xcam: %d image%s x %d method%s, about %,d network evaluations (%s)%s%n", n, n == 1 ? "" : "s", plans.size(),
        plans.size() == 1 ? "" : "s", sum, String.join(", ", parts),
        budget > 0 ? String.format(Locale.ROOT, "; budget %,d per image and method (--budget)", budget) : "");
    err.flush();
  }
}
