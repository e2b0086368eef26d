package org.xcam.spark.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code xcam bench spark}: rows per second on Spark against single-JVM xcam explain. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "xcam bench spark (see xcam bench spark --help).")
public final class SparkBench implements Callable<Integer> {
  @Override public Integer call() { return 0; }
}
