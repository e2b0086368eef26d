package org.xcam.plugins.iba;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.OptionSpec;
import org.xcam.api.Tensor;
import org.xcam.api.spi.Preparation;

/**
 * {@code activation-stats}: the preparation every IBA method declares ({@code ExplainerProvider#preparation()}) —
 * the mean and std of each layer's activations over training-like images ({@link ActivationStats}), one head pass per
 * batch, streamed (Welford/Chan) in constant memory, written to {@code xcam-stats/} beside the model where the IBA
 * methods look (or to the request's directory, which they read with {@code --option stats=DIR}).
 *
 * <pre>
 *   xcam estimate --model bundles/densenet121-nih --layer features.denseblock4 --images nih/images --limit 1000
 *   xcam estimate --method iba --model fixture --layer features.14 --images phantom:1000 --option mode=channel
 * </pre>
 */
public final class ActivationStatsPreparation implements Preparation {
  /** The shared instance the IBA providers return. */
  static final ActivationStatsPreparation INSTANCE = new ActivationStatsPreparation();

  @Override public String name() { return "activation-stats"; }

  @Override public String description() {
    return "mean and std of a layer's activations over training-like images (IBA's prior), stored in xcam-stats/ beside the model";
  }

  @Override public List<OptionSpec> options() {
    return List.of(new OptionSpec("mode", "element", "element (one value per [C,H,W] element, the paper's choice) or channel"));
  }

  @Override public Run start(Model model, Request request) {
    ActivationStats.Mode mode = ActivationStats.Mode.fromId(request.options().getString("mode"));
    if (request.layers().isEmpty()) throw new InvalidInputException("name at least one layer to estimate statistics at");
    for (String l : request.layers()) {
      int[] shape = model.info().layer(l).shape();   // unknown layers fail here, listing the model's layers (the view [D, h, w] for tokens)
      if (shape.length != 3 || !model.info().layer(l).layout().spatial()) {
        throw new InvalidInputException("layer '" + l + "' has activation shape " + Arrays.toString(shape)
            + "; IBA statistics need a [C, H, W] layer");
      }
    }
    Path dir = request.out().orElseGet(() -> StatsSource.besideModel(model.info()));
    List<LayerHook> hooks = new ArrayList<>();
    List<org.xcam.api.LayerLayout> layouts = new ArrayList<>();
    List<ActivationStats.Estimator> est = new ArrayList<>();
    for (String l : request.layers()) {
      hooks.add(model.layer(l));
      layouts.add(model.info().layer(l).layout());   // statistics of the spatial view: the grid tokens
      est.add(ActivationStats.estimator(mode));
    }
    return new Run() {
      @Override public void add(Tensor images) {
        for (int i = 0; i < hooks.size(); i++) est.get(i).add(layouts.get(i).toView(hooks.get(i).activation(images)));
      }

      @Override public Result finish() {
        List<Path> files = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        long n = est.isEmpty() ? 0 : est.get(0).images();
        if (n < ActivationStats.MIN_RELIABLE_COUNT) {
          warnings.add("only " + n + " images; statistics from fewer than " + ActivationStats.MIN_RELIABLE_COUNT
              + " images make IBA maps noisy (use --limit 1000 with more images)");
        }
        for (int i = 0; i < hooks.size(); i++) {
          String l = request.layers().get(i);
          ActivationStats s = est.get(i).result(l, request.source());
          s.write(dir);
          files.addAll(List.of(ActivationStats.meanFile(dir, l), ActivationStats.stdFile(dir, l), ActivationStats.jsonFile(dir, l)));
          float[] sd = s.std();
          float[] sorted = sd.clone();
          Arrays.sort(sorted);
          long floored = 0;
          for (float v : sd) if (v < ActivationStats.MIN_STD) floored++;
          lines.add(String.format(Locale.ROOT, "%s: %d images, %s statistics %s, median std %.4g, %d of %d values below the %.2f floor -> %s",
              l, s.count(), mode.id(), Arrays.toString(s.shape()), sorted[sorted.length / 2], floored, sd.length,
              ActivationStats.MIN_STD, ActivationStats.jsonFile(dir, l)));
        }
        return new Result(files, lines, warnings);
      }
    };
  }
}
