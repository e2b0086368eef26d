package org.xcam.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Run the compatibility kits against a plugin jar and print a conformance report (owner: tck). */
@Command(name = "tck", mixinStandardHelpOptions = true, description = "Run the compatibility kits against a plugin jar and print a conformance report")
public final class TckCommand implements Callable<Integer> {
  @Override public Integer call() {
    System.err.println("xcam tck: not implemented yet");
    return 2;
  }
}
