package org.xcam.cli.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Soak: 10 000 engine calls, resident memory must stay flat (owner: engine-djl). */
@Command(name = "soak", mixinStandardHelpOptions = true, description = "Soak: 10 000 engine calls, resident memory must stay flat")
public final class SoakBench implements Callable<Integer> {
  @Override public Integer call() {
    System.err.println("xcam soak: not implemented yet");
    return 2;
  }
}
