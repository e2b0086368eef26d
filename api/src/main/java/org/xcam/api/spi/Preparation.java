package org.xcam.api.spi;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.xcam.api.Model;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.Tensor;

/**
 * Something a method needs computed beforehand from training-like images — IBA's activation statistics, a
 * baseline's mean image, a calibration — declared by the method's provider
 * ({@link ExplainerProvider#preparation()}) and run by {@code xcam estimate}, which streams the images and leaves the
 * computing and the storing to the plugin:
 *
 * <pre>{@code
 * Preparation p = xcam.explainerProvider("iba").preparation().orElseThrow();
 * Preparation.Run run = p.start(model, new Preparation.Request(List.of("features.14"),
 *     Options.defaults("activation-stats", p.options()), Optional.empty(), "phantom:1000"));
 * for (Tensor batch : batches) run.add(batch);     // [B, C, H, W], normalised per the model's input spec
 * Preparation.Result r = run.finish();             // files written beside the model, where the method looks
 * }</pre>
 *
 * <p>{@link #start} checks every precondition (layers, options, output directory) before the first image, so a bad
 * call fails in one line before any expensive pass. Methods that need a preparation fail, when it is missing, with a
 * one-line error naming the {@code xcam estimate} command.
 */
public interface Preparation {
  /** An id, e.g. {@code activation-stats}; methods that share a preparation return equal names. */
  String name();

  /** One line for {@code xcam list} and {@code xcam estimate --help}. */
  String description();

  /** Options with their defaults (e.g. {@code mode=element}). */
  List<OptionSpec> options();

  /** Checks the request against the model and starts a streaming run. */
  Run start(Model model, Request request);

  /**
   * @param layers  the layers to prepare (already checked to exist; non-empty)
   * @param options the preparation's options, checked against {@link #options()}
   * @param out     where to write; empty means where the method looks by default (e.g. beside the model)
   * @param source  where the images came from, in words, for the files' provenance (e.g. {@code "phantom:1000"})
   */
  record Request(List<String> layers, Options options, Optional<Path> out, String source) {
    public Request {
      layers = List.copyOf(layers);
      out = out == null ? Optional.empty() : out;
      source = source == null ? "" : source;
    }
  }

  /** One streaming run: images in, files out. Not thread-safe. */
  interface Run {
    /** Adds a batch of normalised images {@code [B, C, H, W]}. */
    void add(Tensor images);

    /** Computes and writes the result; fails in one line when too few images were added. */
    Result finish();
  }

  /**
   * @param files    the files written
   * @param lines    one summary line per prepared item, for the console
   * @param warnings things the user should know (e.g. fewer images than the method needs for stable results)
   */
  record Result(List<Path> files, List<String> lines, List<String> warnings) {
    public Result {
      files = List.copyOf(files);
      lines = List.copyOf(lines);
      warnings = List.copyOf(warnings);
    }
  }
}
