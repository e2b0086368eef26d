package org.xcam.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Model;
import org.xcam.api.Target;
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
        "DIR/<stem>.<method>.png (jet overlay, alpha 0.5) and DIR/manifest.json."})
public final class ExplainCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Option(names = "--method", required = true, split = ",", description = "Method name(s), comma-separated (see: xcam list).")
  List<String> methods;

  @Option(names = "--layer", description = "Layer to explain at (repeat for several: maps are averaged). Default: the model's default layer.")
  List<String> layers = new ArrayList<>();

  @Option(names = "--target", defaultValue = "predicted",
      description = "N (class index), predicted, all[:P] (labels above probability P, default 0.5), none, regression[:i]; "
          + "one value for all images or a comma-separated list with one per image. Default: ${DEFAULT-VALUE}.")
  String target;

  @Option(names = "--option", description = "Method option name=value (repeatable), e.g. --option batch-size=16.")
  List<String> options = new ArrayList<>();

  @Option(names = "--seed", defaultValue = "0", description = "Seed for noise and masks. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--batch", defaultValue = "16", description = "Images per batch. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(names = "--regions", description = "CSV of anatomical regions (name,x0,y0,x1,y1 in model-input pixels): each map's energy share per region goes to the manifest.")
  Path regions;

  @Option(names = "--out", required = true, description = "Output directory (created if missing).")
  Path out;

  @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "PNG/JPEG (8/16-bit gray, RGB, RGBA) or .npy ([C,H,W] or [N,C,H,W], normalised).")
  List<Path> images;

  @Override public Integer call() {
    ExplainJob.checkWritable(out);
    Xcam xcam = Xcam.create();
    for (String m : methods) xcam.explainerProvider(m); // unknown methods fail before the model loads
    Map<String, String> opts = ListCommand.parseKv(options, "--option");
    try (Model m = model.load(xcam)) {
      List<LoadedImage> loaded = new ArrayList<>();
      List<Integer> perFile = new ArrayList<>();
      for (Path p : images) {
        List<LoadedImage> l = Images.load(p, m.info().input());
        loaded.addAll(l);
        perFile.add(l.size());
      }
      List<Target> targets = parseTargets(target, images.size(), loaded.size(), perFile);
      List<ExplainJob.MethodRun> runs = new ArrayList<>();
      for (String name : methods) {
        Map<String, String> own = new java.util.LinkedHashMap<>();
        var known = xcam.explainerProvider(name).options().stream().map(org.xcam.api.OptionSpec::name).toList();
        for (var e : opts.entrySet()) if (known.contains(e.getKey()) || methods.size() == 1) own.put(e.getKey(), e.getValue());
        runs.add(new ExplainJob.MethodRun(name, own));
      }
      try (ProgressBar bar = new ProgressBar(System.err, "explain")) {
        List<ExplainJob.Written> w = new ExplainJob(xcam, m, layers, seed, batch)
            .run(loaded, targets, runs, out, Map.of(),
                regions == null ? Map.of() : Map.of("*", org.xcam.api.RegionAttribution.readCsv(regions)), bar,
                Map.of("images", images.stream().map(Path::toString).toList()), null);
        for (ExplainJob.Written x : w) {
          System.out.printf("%s  %-22s class %d (%s) score %.4f -> %s%s%n", x.stem(), x.method(), x.explanation().classIndex(),
              x.explanation().label(), x.explanation().score(), out.resolve(x.file() + ".png"),
              x.regions() == null ? "" : "  (" + x.regions() + ")");
        }
      }
    }
    return 0;
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
