package org.xcam.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.xcam.api.InputSpec;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Model;
import org.xcam.api.Options;
import org.xcam.api.Tensor;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.api.spi.Preparation;
import org.xcam.cli.options.KeyValues;
import org.xcam.runtime.Images;
import org.xcam.runtime.LoadedImage;
import org.xcam.runtime.Xcam;
import org.xcam.runtime.phantom.PhantomGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code xcam estimate}: runs the preparation a method declares ({@link ExplainerProvider#preparation()}) — today IBA's
 * activation statistics — over training-like images. The CLI streams the images in batches; the method's plugin
 * computes and stores the result (for IBA: {@code <layer>.mean.npy}, {@code <layer>.std.npy} and {@code <layer>.json}
 * in {@code xcam-stats/} beside the model, where the IBA methods look, or in {@code --out}), so any plugin whose method
 * needs a preparation works here without the CLI knowing it.
 *
 * <pre>
 *   xcam estimate --model bundles/densenet121-nih --layer features.denseblock4 --images nih/images --limit 1000
 *   xcam estimate --method iba --model fixture --layer features.7 --images phantom:1000   # seeded phantom X-rays
 * </pre>
 * {@code --images}: a directory (PNG, JPEG, .npy; sorted by name, sub-directories not searched), one file, or
 * {@code phantom:N[:SEED]} (the phantom generator, seeds SEED.., default 0). Without {@code --method}: the one
 * preparation the installed methods declare (an error lists them when there are several).
 */
@Command(name = "estimate", mixinStandardHelpOptions = true,
    description = {"Run what a method needs computed beforehand from training-like images (e.g. IBA's activation",
        "statistics, stored in xcam-stats/ beside the model). xcam list shows which methods need it."})
public final class EstimateCommand implements Callable<Integer> {
  @Mixin ModelOptions modelOptions;

  @Option(names = "--method", description = "The method to prepare for (default: the one preparation the installed methods declare).")
  String method;

  @Option(names = {"-l", "--layer"}, required = true, description = "Layer(s) to estimate (repeatable); 'all' = every layer of the model.")
  List<String> layers = new ArrayList<>();

  @Option(names = "--images", required = true, description = "A directory of PNG/JPEG/.npy images, one file, or phantom:N[:SEED].")
  String images;

  @Option(names = "--limit", defaultValue = "1000", description = "At most this many images (default: ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--batch-size", defaultValue = "32", description = "Images per head call (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--mode", description = "Shorthand for --option mode=M (IBA: element, the paper's choice and the default, or channel).")
  String mode;

  @Option(names = "--option", description = "Preparation option name=value (repeatable); xcam list --options shows them.")
  List<String> options = new ArrayList<>();

  @Option(names = "--out", description = "Directory to write to (default: where the method looks, e.g. xcam-stats beside the model).")
  Path out;

  @Option(names = "--window", description = "DICOM images: the VOI window, C,W or minmax or full (see xcam explain --help).")
  String window;

  @Override public Integer call() {
    if (limit < 2) throw new InvalidInputException("--limit must be at least 2");
    if (batchSize < 1) throw new InvalidInputException("--batch-size must be at least 1");
    Xcam xcam = Xcam.create();
    Preparation prep = preparation(xcam);
    Map<String, String> given = KeyValues.pairs(options, "--option");
    if (mode != null) given.put("mode", mode);
    Options o = Options.of("preparation " + prep.name(), prep.options(), given);   // bad options fail before the model loads
    try (Model model = modelOptions.load(xcam)) {
      List<String> ls = layers.size() == 1 && layers.get(0).equals("all") ? model.info().layerNames() : layers;
      for (String l : ls) model.info().layer(l); // unknown names fail here, listing the layers
      Iterator<Tensor> batches = batches(model.info().input());   // a bad --images spec fails before the first pass
      Preparation.Run run = prep.start(model, new Preparation.Request(ls, o, Optional.ofNullable(out), source()));
      long t0 = System.nanoTime();
      long n = 0;
      boolean tty = Terminal.stderrIsTerminal();
      while (batches.hasNext()) {
        Tensor b = batches.next();
        run.add(b);
        n += b.dim(0);
        if (tty) System.err.printf(Locale.ROOT, "\r%s: %d images", prep.name(), n);
      }
      if (tty) System.err.println();
      Preparation.Result r = run.finish();
      for (String w : r.warnings()) System.err.println("warning: " + w);
      for (String line : r.lines()) System.out.println(line);
      System.out.printf(Locale.ROOT, "%.1f s%n", (System.nanoTime() - t0) / 1e9);
    }
    return 0;
  }

  /** The method's preparation, or the single one the installed methods declare. */
  private Preparation preparation(Xcam xcam) {
    if (method != null) {
      ExplainerProvider p = xcam.explainerProvider(method);
      return p.preparation().orElseThrow(() -> new InvalidInputException("method '" + method
          + "' needs no preparation; nothing to estimate (xcam list shows which methods need one)"));
    }
    Map<String, Preparation> byName = new LinkedHashMap<>();
    Map<String, List<String>> users = new LinkedHashMap<>();
    for (ExplainerProvider p : xcam.explainers().values()) {
      p.preparation().ifPresent(prep -> {
        byName.putIfAbsent(prep.name(), prep);
        users.computeIfAbsent(prep.name(), k -> new ArrayList<>()).add(p.name());
      });
    }
    if (byName.isEmpty()) {
      throw new InvalidInputException("no installed method needs a preparation; nothing to estimate (add e.g. the plugins-iba jar)");
    }
    if (byName.size() > 1) {
      throw new InvalidInputException("several preparations are installed (" + users + "); choose one with --method NAME");
    }
    return byName.values().iterator().next();
  }

  private String source() {
    return images + " (limit " + limit + ")";
  }

  /** Batches of normalised images {@code [B, C, H, W]} from the --images spec, at most --limit images in all. */
  Iterator<Tensor> batches(InputSpec spec) {
    if (images.startsWith("phantom:")) {
      String[] p = images.split(":");
      int count;
      long seed;
      try {
        count = Integer.parseInt(p[1]);
        seed = p.length > 2 ? Long.parseLong(p[2]) : 0;
        if (count < 1 || p.length > 3) throw new NumberFormatException();
      } catch (RuntimeException e) {
        throw new InvalidInputException("bad --images '" + images + "'; use phantom:N or phantom:N:SEED with N >= 1");
      }
      if (spec.channels() != 1 || spec.height() != spec.width()) {
        throw new InvalidInputException("phantom images are 1-channel squares; this model takes " + spec.channels() + "x"
            + spec.height() + "x" + spec.width() + "; give --images DIR");
      }
      int total = Math.min(count, limit);
      return new Iterator<>() {
        int done = 0;
        @Override public boolean hasNext() { return done < total; }
        @Override public Tensor next() {
          if (!hasNext()) throw new NoSuchElementException();
          int b = Math.min(batchSize, total - done);
          Tensor t = PhantomGenerator.batch(seed + done, b, spec.height(), spec.mean()[0], spec.std()[0]);
          done += b;
          return t;
        }
      };
    }
    Path path = Path.of(images);
    List<Path> files = new ArrayList<>();
    if (Files.isDirectory(path)) {
      try (Stream<Path> s = Files.list(path)) {
        // every file an installed reader reads: PNG, JPEG, .npy, DICOM (with or without .dcm), reader plugins' formats
        s.filter(f -> Files.isRegularFile(f) && !f.getFileName().toString().startsWith(".") && org.xcam.runtime.ImageReaders.installed()
            .find(org.xcam.api.image.ImageSource.of(f), org.xcam.api.image.ImageReadOptions.defaults()).isPresent())
            .sorted().forEach(files::add);
      } catch (IOException e) {
        throw new InvalidInputException("cannot list " + path + ": " + e.getMessage(), e);
      }
      if (files.isEmpty()) throw new InvalidInputException("no images (PNG, JPEG, DICOM, .npy) in " + path);
    } else if (Files.isRegularFile(path)) {
      files.add(path);
    } else {
      throw new InvalidInputException("--images " + images + " is neither a directory, a file nor phantom:N");
    }
    return new Iterator<>() {
      int next = 0;
      int done = 0;
      final List<Tensor> pending = new ArrayList<>();

      private void fill() {
        while (pending.size() < batchSize && next < files.size() && done + pending.size() < limit) {
          for (LoadedImage li : Images.load(files.get(next++), spec, ExplainCommand.readerOptions(window))) {
            if (done + pending.size() < limit) pending.add(li.tensor());
          }
        }
      }

      @Override public boolean hasNext() {
        fill();
        return !pending.isEmpty();
      }

      @Override public Tensor next() {
        if (!hasNext()) throw new NoSuchElementException();
        List<Tensor> b = new ArrayList<>(pending.subList(0, Math.min(batchSize, pending.size())));
        pending.subList(0, b.size()).clear();
        done += b.size();
        return Tensor.stack(b);
      }
    };
  }
}
