package org.xcam.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Anatomy-driven pathology detection: boxes JSON and overlay (owner: plugins-anatomy). */
@Command(name = "detect", mixinStandardHelpOptions = true, description = "Anatomy-driven pathology detection: boxes JSON and overlay")
public final class DetectCommand implements Callable<Integer> {
  @Override public Integer call() {
    System.err.println("xcam detect: not implemented yet");
    return 2;
  }
}
