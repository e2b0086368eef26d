package org.xcam.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Run methods x metrics over a labelled dataset and write results, summary and an HTML report (owner: metrics/evaluate). */
@Command(name = "evaluate", mixinStandardHelpOptions = true, description = "Run methods x metrics over a labelled dataset and write results, summary and an HTML report")
public final class EvaluateCommand implements Callable<Integer> {
  @Override public Integer call() {
    System.err.println("xcam evaluate: not implemented yet");
    return 2;
  }
}
