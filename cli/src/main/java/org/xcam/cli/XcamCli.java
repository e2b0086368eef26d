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
        CompileCommand.class,
        SparkStubCommand.class, CommandLine.HelpCommand.class})
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
      ex.getCommandLine().getErr().println("xcam: " + oneLine(ex.getMessage()) + " (see: xcam " + ex.getCommandLine().getCommandName() + " --help)");
      ex.getCommandLine().getErr().flush();
      return 2;
    });
    try {
      return cl.execute(args);
    } catch (OutOfMemoryError | StackOverflowError e) {
      return handle(e, cl.getErr());
    }
  }

  /**
   * Every error is one line on stderr: the user's (bad input, unknown names, missing capabilities) with exit code 2,
   * internal ones (a bug, an engine failure, out of memory) with 1; a stack trace only with {@code -Dxcam.verbose=true}.
   * Messages are flattened to one line and stripped of terminal colour codes (native libraries put both in theirs).
   */
  static int handle(Throwable ex, PrintWriter err) {
    Throwable t = ex;
    while (!(t instanceof XcamException) && t.getCause() != null && t.getCause() != t) t = t.getCause();
    boolean verbose = Boolean.getBoolean("xcam.verbose");
    if (t instanceof XcamException xe) {
      err.println("xcam: error: " + oneLine(xe.getMessage()));
      if (verbose) xe.printStackTrace(err);
      err.flush();
      return xe.isUserError() ? 2 : 1;
    }
    Throwable oom = ex;
    while (!(oom instanceof OutOfMemoryError) && oom.getCause() != null && oom.getCause() != oom) oom = oom.getCause();
    if (oom instanceof OutOfMemoryError) {
      err.println("xcam: error: out of memory (" + oneLine(oom.getMessage()) + "); give the JVM more, e.g. XCAM_JAVA_OPTS=-Xmx8g,"
          + " or use fewer or smaller images (--batch)");
    } else {
      err.println("xcam: internal error: " + oneLine(String.valueOf(ex)) + " (a bug: rerun with XCAM_JAVA_OPTS=-Dxcam.verbose=true for"
          + " the stack trace and report it)");
    }
    if (verbose) ex.printStackTrace(err);
    err.flush();
    return 1;
  }

  /** A message as one line: no line breaks, no terminal colour codes, at most 1000 characters. */
  static String oneLine(String s) {
    if (s == null) return "";
    String t = s.replaceAll("\u001B\\[[0-9;?]*[ -/]*[@-~]", "").replaceAll("\u001B", "")
        .replaceAll("\\p{Cntrl}+", " ").replaceAll(" {2,}", " ").strip();
    return t.length() > 1000 ? t.substring(0, 1000) + "..." : t;
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
