package org.xcam.spark.cli;

import java.io.PrintWriter;
import org.xcam.api.XcamException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code xcam spark}: {@code explain} and {@code evaluate} on Apache Spark, and {@code bench} ({@code xcam bench spark}).
 * The main class of {@code xcam-spark-app.jar} for {@code spark-submit}, and what the {@code ./xcam} launcher runs for
 * {@code xcam spark ...} (with Spark's jars from {@code spark/target/spark-libs} on the class path). Errors that are the
 * user's print one line and exit with code 2, as in {@code xcam}.
 */
@Command(name = "xcam spark", mixinStandardHelpOptions = true, versionProvider = SparkCli.Version.class,
    description = {"xcam explain / xcam evaluate over a whole archive on Apache Spark (4.0, Scala 2.13).",
        "On one machine: ./xcam spark explain --master local[*] ...; on a cluster: spark-submit --class "
            + "org.xcam.spark.cli.SparkCli spark/target/xcam-spark-app.jar explain ..."},
    subcommands = {SparkExplainCommand.class, SparkEvaluateCommand.class, SparkBench.class, CommandLine.HelpCommand.class})
public final class SparkCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override public void run() { spec.commandLine().usage(System.out); }

  public static void main(String[] args) {
    int rc = run(args);
    if (rc != 0) System.exit(rc);
  }

  /** Runs the command line and returns the exit code (for tests). */
  public static int run(String... args) {
    if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    CommandLine cl = new CommandLine(new SparkCli());
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> handle(ex, cmd.getErr()));
    cl.setParameterExceptionHandler((ex, a) -> {
      ex.getCommandLine().getErr().println("xcam: " + ex.getMessage() + " (see: xcam spark " + ex.getCommandLine().getCommandName() + " --help)");
      return 2;
    });
    return cl.execute(args);
  }

  static int handle(Exception ex, PrintWriter err) {
    Throwable t = ex;
    while (!(t instanceof XcamException) && t.getCause() != null && t.getCause() != t) t = t.getCause();
    if (t instanceof XcamException xe) {
      err.println("xcam: error: " + xe.getMessage());
      if (Boolean.getBoolean("xcam.verbose")) xe.printStackTrace(err);
      err.flush();
      return xe.isUserError() ? 2 : 1;
    }
    err.println("xcam: internal error: " + ex);
    ex.printStackTrace(err);
    err.flush();
    return 1;
  }

  /** Version from the jar manifest. */
  public static final class Version implements CommandLine.IVersionProvider {
    @Override public String[] getVersion() {
      String v = SparkCli.class.getPackage().getImplementationVersion();
      return new String[] {"xcam spark " + (v == null ? "0.1.0-SNAPSHOT" : v)};
    }
  }
}
