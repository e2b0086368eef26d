package org.xcam.cli.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code xcam bench <name>}: the project's benchmarks, reported as ratios to bare engine passes. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmarks: method time as a ratio of bare engine passes; soak tests for native memory.",
    subcommands = {SoakBench.class, OnnxBench.class, GradientBench.class, PerturbationBench.class, IbaBench.class})
public final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override public void run() { spec.commandLine().usage(System.out); }
}
