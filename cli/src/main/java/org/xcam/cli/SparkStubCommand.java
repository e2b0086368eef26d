package org.xcam.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.xcam.api.InvalidInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code xcam spark} and {@code xcam bench spark} as the CLI jar sees them: Spark is kept out of that jar (the spark
 * module brings it), so these only say how to run them. The {@code ./xcam} launcher never gets here: it sends
 * {@code spark} and {@code bench spark} to the spark module's jar with Spark's jars on the class path.
 */
@Command(name = "spark", description = "explain / evaluate a whole archive on Apache Spark (run it as ./xcam spark ... or with spark-submit)")
public final class SparkStubCommand implements Callable<Integer> {
  @Unmatched List<String> rest = new ArrayList<>();

  static final String HOW = "xcam spark needs Apache Spark, which the CLI jar leaves out: run ./xcam spark ... or ./xcam bench spark "
      + "(the launcher puts spark/target/xcam-spark-app.jar and spark/target/spark-libs on the class path), or spark-submit "
      + "--class org.xcam.spark.cli.SparkCli spark/target/xcam-spark-app.jar explain|evaluate ... (README: Scale out on Apache Spark)";

  @Override public Integer call() { throw new InvalidInputException(HOW); }

  /** {@code xcam bench spark}. */
  @Command(name = "spark", description = "rows/s on Apache Spark vs single-JVM xcam explain (run it as ./xcam bench spark)")
  public static final class Bench implements Callable<Integer> {
    @Unmatched List<String> rest = new ArrayList<>();

    @Override public Integer call() { throw new InvalidInputException(HOW); }
  }
}
