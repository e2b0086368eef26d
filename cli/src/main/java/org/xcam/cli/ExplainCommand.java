package org.xcam.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Model;
import org.xcam.api.Target;
import org.xcam.cli.options.ExplainOptions;
import org.xcam.runtime.Images;
import org.xcam.runtime.LoadedImage;
import org.xcam.runtime.Xcam;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code xcam explain}: heatmaps for images, one set of files per image and method, plus a manifest. */
@Command(name = "explain", mixinStandardHelpOptions = true,
    description = {"Explain images with one or more methods.",
        "Writes DIR/<stem>.<method>.raw.npy (native resolution), DIR/<stem>.<method>.npy ([0,1], input HxW),",
        "DIR/<stem>.<method>.png (jet overlay, alpha 0.5) and DIR/manifest.json, all at once when the run succeeded.",
        "Two inputs with one stem: the first keeps it, the next get <stem>-2, <stem>-3, ... in argument order."})
public final class ExplainCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Mixin ExplainOptions explain;

  @Option(names = "--target", defaultValue = "predicted",
      description = "N (class index), predicted, all[:P] (labels above probability P, default 0.5), none, regression[:i]; "
          + "one value for all images or a comma-separated list with one per image. Default: ${DEFAULT-VALUE}.")
  String target;

  @Option(names = "--seed", defaultValue = "0", description = "Seed for noise and masks. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--regions", description = "CSV of anatomical regions (name,x0,y0,x1,y1 in model-input pixels): each map's energy share per region goes to the manifest.")
  Path regions;

  @Option(names = "--window", description = "DICOM only: the VOI window, C,W (centre,width in modality units, e.g. 2048,4096), "
      + "minmax (the image's own range) or full (the stored bits' range). Default: the file's first window, else full.")
  String window;

  @Option(names = "--budget", defaultValue = "100000",
      description = "The most network evaluations per image one method may need; a run that needs more is refused before it "
          + "starts (0 = no limit). Default: ${DEFAULT-VALUE}.")
  long budget;

  @Option(names = "--out", required = true, description = "Output directory (created if missing; locked while a run writes it).")
  Path out;

  @Parameters(arity = "1..*", paramLabel = "IMAGE",
      description = "PNG/JPEG (any bit depth, palette, CMYK), DICOM (.dcm or none: uncompressed grayscale), or .npy "
          + "([C,H,W] or [N,C,H,W], normalised); more formats with reader plugins (xcam list).")
  List<Path> images;

  @Override public Integer call() throws java.io.IOException {
    if (budget < 0) throw new InvalidInputException("--budget must be >= 0 (0 = no limit), got " + budget);
    if (explain.batch < 1) throw new InvalidInputException("--batch must be >= 1, got " + explain.batch);
    List<String> unique = new ArrayList<>(new LinkedHashSet<>(explain.methods));   // --method gradcam,gradcam computes once
    if (unique.isEmpty() || unique.stream().anyMatch(String::isBlank)) {
      throw new InvalidInputException("--method needs method names separated by commas, e.g. --method gradcam,scorecam (see: xcam list)");
    }
    try (OutputDir dir = OutputDir.open(out, "--out")) {
      Xcam xcam = Xcam.create();
      for (String m : unique) xcam.explainerProvider(m); // unknown methods fail before the model loads
      Map<String, String> opts = explain.optionPairs();
      var regionBoxes = regions == null ? null : org.xcam.api.RegionAttribution.readCsv(regions);
      try (Model m = model.load(xcam)) {
        List<LoadedImage> loaded = new ArrayList<>();
        List<String> inputs = new ArrayList<>();
        List<Integer> perFile = new ArrayList<>();
        for (Path p : images) {
          List<LoadedImage> l = Images.load(p, m.info().input(), readerOptions(window));
          loaded.addAll(l);
          for (int i = 0; i < l.size(); i++) inputs.add(p.toString());
          perFile.add(l.size());
        }
        loaded = uniqueStems(loaded);
        List<Target> targets = parseTargets(target, images.size(), loaded.size(), perFile);
        for (Target t : targets) checkTarget(t, m);
        List<ExplainJob.MethodRun> runs = new ArrayList<>();
        ExplainOptions.perMethod(xcam, unique, opts).forEach((name, own) -> runs.add(new ExplainJob.MethodRun(name, own)));
        List<ExplainJob.Written> w;
        try (ProgressBar bar = new ProgressBar(System.err, "explain")) {
          w = new ExplainJob(xcam, m, explain.layers, seed, explain.batch).budget(budget)
              .run(loaded, inputs, targets, runs, dir, Map.of(), regionBoxes == null ? Map.of() : Map.of("*", regionBoxes), bar,
                  Map.of("images", images.stream().map(Path::toString).toList()), null, List.of());
        }
        dir.commit();
        for (ExplainJob.Written x : w) {
          System.out.printf("%s  %-22s class %d (%s) score %.4f -> %s%s%n", x.stem(), x.method(), x.explanation().classIndex(),
              x.explanation().label(), x.explanation().score(), out.resolve(x.file() + ".png"),
              x.regions() == null ? "" : "  (" + x.regions() + ")");
        }
      }
    }
    return 0;
  }

  /** Reader options from the command line ({@code --window}); empty when none. */
  static Map<String, String> readerOptions(String window) {
    return window == null ? Map.of() : Map.of("window", window);
  }

  /**
   * Output names must not collide: of several images with one stem (e.g. {@code a/cxr.png} and {@code b/cxr.png}),
   * the first keeps it and the next get {@code -2}, {@code -3}, ... in argument order (the manifest's {@code input}
   * says which file each came from).
   */
  static List<LoadedImage> uniqueStems(List<LoadedImage> images) {
    Map<String, Integer> seen = new HashMap<>();
    for (LoadedImage li : images) seen.merge(li.stem(), 0, (a, b) -> a);
    Map<String, Integer> count = new HashMap<>();
    List<LoadedImage> out = new ArrayList<>(images.size());
    java.util.Set<String> taken = new java.util.HashSet<>();
    for (LoadedImage li : images) {
      String stem = li.stem();
      if (!taken.add(stem)) {
        int k = count.getOrDefault(li.stem(), 1);
        do {
          k++;
          stem = li.stem() + "-" + k;
        } while (seen.containsKey(stem) || !taken.add(stem));
        count.put(li.stem(), k);
        out.add(li.withStem(stem));
      } else {
        out.add(li);
      }
    }
    return out;
  }

  /** A class index the model does not have fails before any pass. */
  static void checkTarget(Target t, Model m) {
    if (t instanceof Target.ClassIndex c && (c.index() < 0 || c.index() >= m.info().numOutputs())) {
      throw new InvalidInputException("target index " + c.index() + " out of range; model '" + m.info().name() + "' has "
          + m.info().numOutputs() + " outputs: 0.." + (m.info().numOutputs() - 1) + " " + m.info().labels());
    }
  }

  /** One target for all images, or one per IMAGE argument (expanded over batched .npy files). */
  static List<Target> parseTargets(String spec, int files, int images, List<Integer> perFile) {
    String[] parts = spec.split(",");
    if (parts.length == 1) return List.of(Target.parse(parts[0]));
    if (parts.length != files && parts.length != images) {
      throw new InvalidInputException("--target has " + parts.length + " values for " + files
          + " images; give one value for all or one per image");
    }
    List<Target> out = new ArrayList<>();
    if (parts.length == images) {
      for (String p : parts) out.add(Target.parse(p));
    } else {
      for (int f = 0; f < files; f++) for (int k = 0; k < perFile.get(f); k++) out.add(Target.parse(parts[f]));
    }
    return out;
  }
}
