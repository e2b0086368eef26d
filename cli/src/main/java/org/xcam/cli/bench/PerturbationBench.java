package org.xcam.cli.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Benchmark perturbation methods: images/s vs bare batched inference (owner: plugins-perturbation). */
@Command(name = "perturbation", mixinStandardHelpOptions = true, description = "Benchmark perturbation methods: images/s vs bare batched inference")
public final class PerturbationBench implements Callable<Integer> {
  @Override public Integer call() {
    System.err.println("xcam perturbation: not implemented yet");
    return 2;
  }
}
