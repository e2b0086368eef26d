package org.xcam.api.spi;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import org.xcam.api.Model;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;

/**
 * A benchmark a plugin contributes, found with {@link java.util.ServiceLoader} through
 * {@code META-INF/services/org.xcam.api.spi.BenchmarkProvider}, so benchmarks that need a plugin's internals live with
 * the plugin. {@code xcam bench NAME} picks the models (its {@code --model}, {@code --models-dir} and
 * {@code --engine}), offers every option as {@code --<option> VALUE}, calls {@link #run} once per model and writes
 * the rows as CSV with {@code --out}.
 *
 * <pre>{@code
 * public final class IbaBenchmark implements BenchmarkProvider {
 *   public String name() { return "iba"; }
 *   public String description() { return "IBA: time per image and pass counts, as ratios to bare engine passes"; }
 *   public List<OptionSpec> options() { return List.of(new OptionSpec("repeats", "5", "timed calls")); }
 *   public List<Map<String, Object>> run(Model m, Options o, PrintStream out) { ... }
 * }
 * }</pre>
 *
 * <p>Report ratios to bare engine passes on the same engine, model and layer (the project's convention), not bare
 * wall-clock times.
 */
public interface BenchmarkProvider {
  /** The benchmark's id: {@code xcam bench <name>}. */
  String name();

  /** One line for {@code xcam bench --help}. */
  String description();

  /** Options with their defaults; each becomes {@code --<name> VALUE} on the command line. */
  List<OptionSpec> options();

  /**
   * Times one model; prints a human-readable table to {@code out} and returns the same numbers as rows (column ->
   * value, in column order) for the CSV.
   */
  List<Map<String, Object>> run(Model model, Options options, PrintStream out);
}
