package org.xcam.cli;

import java.io.PrintWriter;
import org.xcam.api.XcamException;
import org.xcam.cli.bench.BenchCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code xcam} command line. Errors that are the user's (bad input, unknown names, missing capabilities) print one
 * line and exit with code 2; internal failures exit with 1 and a stack trace under {@code --verbose}.
 */
@Command(name = "xcam", mixinStandardHelpOptions = true, versionProvider = XcamCli.Version.class,
    description = "Heatmap explanations for image classifiers (chest X-ray first), on the JVM.",
    subcommands = {ListCommand.class, LayersCommand.class, ExplainCommand.class, DemoCommand.class,
        EstimateCommand.class, EvaluateCommand.class, DetectCommand.class, TckCommand.class, BenchCommand.class,
        CommandLine.HelpCommand.class})
public final class XcamCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override public void run() { spec.commandLine().usage(System.out); }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code (for tests). */
  public static int run(String... args) {
    CommandLine cl = new CommandLine(new XcamCli());
    if (java.util.Arrays.asList(args).contains("bench")) {
      // plugin benchmarks (BenchmarkProvider) become sub-commands of bench; discovery only when bench is asked for
      try {
        BenchCommand.addPluginBenchmarks(cl.getSubcommands().get("bench"), org.xcam.runtime.Xcam.create());
      } catch (XcamException e) {
        return handle(e, cl.getErr());
      }
    }
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> handle(ex, cmd.getErr()));
    cl.setParameterExceptionHandler((ex, a) -> {
      ex.getCommandLine().getErr().println("xcam: " + ex.getMessage() + " (see: xcam " + ex.getCommandLine().getCommandName() + " --help)");
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
    @Override public String[] getVersion() { return new String[] {"xcam " + version()}; }
  }

  public static String version() {
    String v = XcamCli.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-SNAPSHOT" : v;
  }
}
