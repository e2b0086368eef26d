package org.xcam.plugins.iba;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xcam.api.InvalidInputException;
import org.xcam.api.ModelInfo;

/**
 * Where the bottleneck's activation statistics come from.
 *
 * <p>The design choice: statistics are estimated once over data ({@code xcam estimate}) and stored beside the model in
 * {@code xcam-stats/}; an explainer never estimates them on the fly from the images it explains. Estimating from the
 * request would make the prior depend on the very images being explained (one image gives std 0 everywhere, floored
 * to 0.01, and the map then measures the image against itself), and a map would change with the batch it came in,
 * breaking the "batch of N = N single calls" contract. A missing file is therefore a one-line error naming the command
 * to run. Programs and tests that hold statistics in memory pass them with {@link #of(Map)}.
 */
@FunctionalInterface
public interface StatsSource {
  /** The statistics of {@code layer} for {@code model}, or an {@link InvalidInputException} saying how to make them. */
  ActivationStats stats(ModelInfo model, String layer);

  /** The directory beside a model: {@code <bundle dir>/xcam-stats}, or {@code <dir of model file>/xcam-stats}. */
  static Path besideModel(ModelInfo model) {
    try {
      Path p = Path.of(model.source());
      Path base = Files.isDirectory(p) ? p : (p.getParent() == null ? Path.of(".") : p.getParent());
      return base.resolve("xcam-stats");
    } catch (InvalidPathException e) {
      throw new InvalidInputException("model '" + model.name() + "' has no file-system source (" + model.source()
          + ") to find xcam-stats beside; pass the option stats=<dir>");
    }
  }

  /**
   * Reads from {@code dir} (or, when null, from beside the model), caching what it read. A given {@code dir} may hold
   * the files directly or in a sub-directory named after the model ({@code <dir>/<model name>/<layer>.json}), so one
   * {@code stats=} option can serve several models. A missing layer fails with
   * "no activation statistics for layer L of model M (looked in DIR); run: xcam estimate --model SRC --layer L
   * --images DIR".
   */
  static StatsSource directory(Path dir) {
    Map<String, ActivationStats> cache = new ConcurrentHashMap<>();
    return (model, layer) -> {
      Path d = dir != null ? dir : besideModel(model);
      if (dir != null && !ActivationStats.exists(d, layer) && ActivationStats.exists(d.resolve(model.name()), layer)) {
        d = d.resolve(model.name());
      }
      String key = d.toAbsolutePath() + "\u0000" + layer;
      ActivationStats cached = cache.get(key);
      if (cached != null) return cached;
      if (!ActivationStats.exists(d, layer)) {
        throw new InvalidInputException("no activation statistics for layer '" + layer + "' of model '" + model.name()
            + "' (looked in " + d + "); run: xcam estimate --model " + model.source() + " --layer " + layer
            + " --images <dir of training-like images>");
      }
      ActivationStats s = ActivationStats.read(d, layer);
      cache.put(key, s);
      return s;
    };
  }

  /** In-memory statistics by layer name. */
  static StatsSource of(Map<String, ActivationStats> byLayer) {
    Map<String, ActivationStats> copy = Map.copyOf(byLayer);
    return (model, layer) -> {
      ActivationStats s = copy.get(layer);
      if (s == null) {
        throw new InvalidInputException("no activation statistics for layer '" + layer + "' of model '" + model.name()
            + "'; have: " + copy.keySet());
      }
      return s;
    };
  }
}
