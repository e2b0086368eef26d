package org.xcam.plugins.iba;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.xcam.api.Model;
import org.xcam.api.Tensor;
import org.xcam.runtime.phantom.PhantomGenerator;

/**
 * What the TCK kits need for IBA beside the model: activation statistics for every layer of every fixture, estimated
 * once per model from 128 seeded phantoms into {@code <tmp>/<model name>/} (the {@code stats=} option's per-model
 * sub-directory form).
 */
final class IbaKitSupport {
  private static Path dir;

  private IbaKitSupport() { }

  static synchronized Path statsDir() {
    if (dir == null) {
      try {
        dir = Files.createTempDirectory("xcam-iba-kit-stats");
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return dir;
  }

  static synchronized void prepare(Model model) {
    Path d = statsDir().resolve(model.info().name());
    var in = model.info().input();
    for (String l : model.info().layerNames()) {
      if (ActivationStats.exists(d, l)) continue;
      List<Tensor> batches = new ArrayList<>();
      for (int b = 0; b < 4; b++) batches.add(PhantomGenerator.batch(20_000 + 32L * b, 32, in.height(), in.mean()[0], in.std()[0]));
      ActivationStats.estimate(model.layer(l), model.info().layer(l).layout(), batches, ActivationStats.Mode.ELEMENT, "phantom:128:20000").write(d);
    }
  }
}
