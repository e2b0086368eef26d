package org.xcam.cli.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.xcam.api.Model;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.spi.BenchmarkProvider;
import org.xcam.runtime.Xcam;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code xcam bench <name>} for a benchmark a plugin contributes ({@link BenchmarkProvider}, e.g. plugins-iba's
 * {@code iba}): the command is built at run time from the provider, so the CLI needs no compile-time knowledge of it.
 * Common options: {@code --model} (repeatable; default the reference bundle, the phantom fixture and the bundles in
 * {@code --models-dir}), {@code --engine}, {@code --out} (CSV); each provider option is {@code --<name> VALUE}.
 */
final class PluginBench implements Callable<Integer> {
  private final Xcam xcam;
  private final BenchmarkProvider provider;
  private CommandSpec spec;

  private PluginBench(Xcam xcam, BenchmarkProvider provider) {
    this.xcam = xcam;
    this.provider = provider;
  }

  /** The picocli command for {@code provider}. */
  static CommandLine command(Xcam xcam, BenchmarkProvider provider) {
    PluginBench b = new PluginBench(xcam, provider);
    CommandSpec s = CommandSpec.wrapWithoutInspection(b);
    s.name(provider.name());
    s.mixinStandardHelpOptions(true);
    s.usageMessage().description(provider.description() + " (contributed by a plugin)");
    s.addOption(CommandLine.Model.OptionSpec.builder("-m", "--model").type(List.class).auxiliaryTypes(Path.class)
        .paramLabel("PATH").description("Bundle directories (repeatable). Default: the reference bundle and --models-dir.").build());
    s.addOption(CommandLine.Model.OptionSpec.builder("--models-dir").type(Path.class).defaultValue("bench-models")
        .description("Directory searched for more bundles (default: ${DEFAULT-VALUE}).").build());
    s.addOption(CommandLine.Model.OptionSpec.builder("--engine").type(String.class).defaultValue("djl")
        .description("Engine (default: ${DEFAULT-VALUE}).").build());
    s.addOption(CommandLine.Model.OptionSpec.builder("--out").type(Path.class).paramLabel("CSV")
        .description("Also write the table as CSV to this file.").build());
    for (OptionSpec o : provider.options()) {
      s.addOption(CommandLine.Model.OptionSpec.builder("--" + o.name()).type(String.class).paramLabel("VALUE")
          .defaultValue(o.defaultValue())
          .description(o.description() + (o.defaultValue().isEmpty() ? "" : " (default: ${DEFAULT-VALUE})")).build());
    }
    b.spec = s;
    return new CommandLine(s);
  }

  @SuppressWarnings("unchecked")
  @Override public Integer call() {
    Map<String, String> given = new LinkedHashMap<>();
    for (OptionSpec o : provider.options()) given.put(o.name(), spec.findOption("--" + o.name()).getValue());
    Options options = Options.of("benchmark " + provider.name(), provider.options(), given);
    List<Path> models = spec.findOption("--model").getValue();
    Path dir = spec.findOption("--models-dir").getValue();
    String engine = spec.findOption("--engine").getValue();
    Path out = spec.findOption("--out").getValue();
    List<Path> targets = BenchModels.targets(models == null ? List.of() : models, List.of(dir), true);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Path bundle : targets) {
      try (Model model = xcam.load(bundle, engine, Map.of())) {
        rows.addAll(provider.run(model, options, System.out));
      }
    }
    if (out != null) {
      try {
        Files.writeString(out, csv(rows));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return 0;
  }

  /** The rows as CSV, columns of the first row (every row of one provider has the same columns). */
  static String csv(List<Map<String, Object>> rows) {
    if (rows.isEmpty()) return "";
    StringBuilder b = new StringBuilder(String.join(",", rows.get(0).keySet())).append('\n');
    for (Map<String, Object> r : rows) {
      List<String> cells = new ArrayList<>();
      for (String k : rows.get(0).keySet()) cells.add(String.valueOf(r.getOrDefault(k, "")));
      b.append(String.join(",", cells)).append('\n');
    }
    return b.toString();
  }
}
