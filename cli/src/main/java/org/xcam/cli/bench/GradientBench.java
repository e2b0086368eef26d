package org.xcam.cli.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Benchmark gradient CAMs: time per image / minimal gradient pass (owner: plugins-gradient). */
@Command(name = "gradient", mixinStandardHelpOptions = true, description = "Benchmark gradient CAMs: time per image / minimal gradient pass")
public final class GradientBench implements Callable<Integer> {
  @Override public Integer call() {
    System.err.println("xcam gradient: not implemented yet");
    return 2;
  }
}
