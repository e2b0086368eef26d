package org.xcam.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Estimate activation statistics (mean, std) at a layer for IBA (owner: plugins-iba). */
@Command(name = "estimate", mixinStandardHelpOptions = true, description = "Estimate activation statistics (mean, std) at a layer for IBA")
public final class EstimateCommand implements Callable<Integer> {
  @Override public Integer call() {
    System.err.println("xcam estimate: not implemented yet");
    return 2;
  }
}
