package org.xcam.cli.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Benchmark IBA: time per image and pass counts (owner: plugins-iba). */
@Command(name = "iba", mixinStandardHelpOptions = true, description = "Benchmark IBA: time per image and pass counts")
public final class IbaBench implements Callable<Integer> {
  @Override public Integer call() {
    System.err.println("xcam iba: not implemented yet");
    return 2;
  }
}
