package org.xcam.cli.bench;

import org.xcam.api.spi.BenchmarkProvider;
import org.xcam.runtime.Xcam;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code xcam bench <name>}: the project's benchmarks, reported as ratios to bare engine passes. The built-in ones are
 * below; plugins add more through {@link org.xcam.api.spi.BenchmarkProvider} (e.g. {@code iba}, from plugins-iba), which
 * {@link #addPluginBenchmarks} turns into sub-commands at start-up.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmarks: method time as a ratio of bare engine passes; soak tests for native memory.",
    subcommands = {SoakBench.class, OnnxBench.class, GradientBench.class, PerturbationBench.class,
        FuzzBench.class, CompileBench.class,
        org.xcam.cli.SparkStubCommand.Bench.class})
public final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override public void run() { spec.commandLine().usage(System.out); }

  /** Adds one sub-command per plugin benchmark found on the class path; a name taken by a built-in one is skipped. */
  public static void addPluginBenchmarks(CommandLine bench, Xcam xcam) {
    for (BenchmarkProvider p : xcam.benchmarks().values()) {
      if (bench.getSubcommands().containsKey(p.name())) {
        System.err.println("xcam: benchmark '" + p.name() + "' from " + p.getClass().getName() + " is skipped: a built-in benchmark has that name");
        continue;
      }
      bench.addSubcommand(p.name(), PluginBench.command(xcam, p));
    }
  }
}
