package org.xcam.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.xcam.api.InputSpec;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.Tensor;
import org.xcam.plugins.iba.ActivationStats;
import org.xcam.plugins.iba.StatsSource;
import org.xcam.runtime.Images;
import org.xcam.runtime.LoadedImage;
import org.xcam.runtime.Xcam;
import org.xcam.runtime.phantom.PhantomGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code xcam estimate}: the mean and std of a layer's activations over images, for IBA and its variants. One streaming
 * (Welford/Chan) pass, batched: one head call per batch and nothing else, in constant memory. Writes
 * {@code <layer>.mean.npy}, {@code <layer>.std.npy} and {@code <layer>.json} (count, source, mode) into
 * {@code xcam-stats/} beside the model, where the IBA methods look for them (or {@code --out}).
 *
 * <pre>
 *   xcam estimate --model bundles/densenet121-nih --layer features.denseblock4 --images nih/images --limit 1000
 *   xcam estimate --model fixture --layer features.7 --images phantom:1000        # seeded phantom X-rays
 * </pre>
 * {@code --images}: a directory (PNG, JPEG, .npy; sorted by name, sub-directories not searched), one file, or
 * {@code phantom:N[:SEED]} (the phantom generator, seeds SEED.., default 0). Fewer than 100 images give a warning.
 */
@Command(name = "estimate", mixinStandardHelpOptions = true,
    description = "Estimate activation statistics (mean, std) at a layer for IBA (stored in xcam-stats/ beside the model)")
public final class EstimateCommand implements Callable<Integer> {
  @Mixin ModelOptions modelOptions;

  @Option(names = {"-l", "--layer"}, required = true, description = "Layer(s) to estimate (repeatable); 'all' = every layer of the model.")
  List<String> layers = new ArrayList<>();

  @Option(names = "--images", required = true, description = "A directory of PNG/JPEG/.npy images, one file, or phantom:N[:SEED].")
  String images;

  @Option(names = "--limit", defaultValue = "1000", description = "At most this many images (default: ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--batch-size", defaultValue = "32", description = "Images per head call (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--mode", defaultValue = "element", description = "element (per [C,H,W] element, the paper's choice) or channel (default: ${DEFAULT-VALUE}).")
  String mode;

  @Option(names = "--out", description = "Directory to write to (default: xcam-stats beside the model).")
  Path out;

  @Override public Integer call() {
    if (limit < 2) throw new InvalidInputException("--limit must be at least 2");
    if (batchSize < 1) throw new InvalidInputException("--batch-size must be at least 1");
    ActivationStats.Mode m = ActivationStats.Mode.fromId(mode);
    Xcam xcam = Xcam.create();
    try (Model model = modelOptions.load(xcam)) {
      List<String> ls = layers.size() == 1 && layers.get(0).equals("all") ? model.info().layerNames() : layers;
      for (String l : ls) model.info().layer(l); // unknown names fail here, listing the layers
      Path dir = out != null ? out : StatsSource.besideModel(model.info());
      List<LayerHook> hooks = new ArrayList<>();
      List<ActivationStats.Estimator> est = new ArrayList<>();
      for (String l : ls) {
        hooks.add(model.layer(l));
        est.add(ActivationStats.estimator(m));
      }
      long t0 = System.nanoTime();
      long n = 0;
      Iterator<Tensor> batches = batches(model.info().input());
      while (batches.hasNext()) {
        Tensor b = batches.next();
        for (int i = 0; i < hooks.size(); i++) est.get(i).add(hooks.get(i).activation(b));
        n += b.dim(0);
        System.err.printf(Locale.ROOT, "\restimate: %d images", n);
      }
      System.err.println();
      if (n < ActivationStats.MIN_RELIABLE_COUNT) {
        System.err.println("warning: only " + n + " images; statistics from fewer than " + ActivationStats.MIN_RELIABLE_COUNT
            + " images make IBA maps noisy (use --limit 1000 with more images)");
      }
      for (int i = 0; i < ls.size(); i++) {
        ActivationStats s = est.get(i).result(ls.get(i), source());
        s.write(dir);
        float[] sd = s.std();
        float[] sorted = sd.clone();
        Arrays.sort(sorted);
        long floored = 0;
        for (float v : sd) if (v < ActivationStats.MIN_STD) floored++;
        System.out.printf(Locale.ROOT, "%s: %d images, %s statistics %s, median std %.4g, %d of %d values below the %.2f floor -> %s%n",
            ls.get(i), s.count(), m.id(), Arrays.toString(s.shape()), sorted[sorted.length / 2], floored, sd.length,
            ActivationStats.MIN_STD, ActivationStats.jsonFile(dir, ls.get(i)));
      }
      System.out.printf(Locale.ROOT, "%.1f s%n", (System.nanoTime() - t0) / 1e9);
    }
    return 0;
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
      } catch (RuntimeException e) {
        throw new InvalidInputException("bad --images '" + images + "'; use phantom:N or phantom:N:SEED");
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
        s.filter(f -> {
          String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
          return Files.isRegularFile(f) && (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".npy"));
        }).sorted().forEach(files::add);
      } catch (IOException e) {
        throw new InvalidInputException("cannot list " + path + ": " + e.getMessage(), e);
      }
      if (files.isEmpty()) throw new InvalidInputException("no PNG, JPEG or .npy images in " + path);
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
          for (LoadedImage li : Images.load(files.get(next++), spec)) {
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
