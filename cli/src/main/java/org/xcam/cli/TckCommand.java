package org.xcam.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.xcam.tck.runner.ConformanceRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code xcam tck --plugin PATH.jar}: runs the compatibility kits against a plugin jar and prints a conformance report. */
@Command(name = "tck", mixinStandardHelpOptions = true,
    description = {"Run the compatibility kits against the methods, metrics and detectors of a plugin jar.",
        "Prints passed / failed / skipped per group with the failing requirement sentences; exit 1 if any failed."})
public final class TckCommand implements Callable<Integer> {
  @Option(names = "--plugin", required = true, description = "The plugin jar (with its META-INF/services files).")
  Path plugin;

  @Override public Integer call() throws Exception {
    return ConformanceRunner.run(plugin, System.out) == 0 ? 0 : 1;
  }
}
