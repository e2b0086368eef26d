package org.xcam.cli.testing;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.xcam.cli.XcamCli;

/** Runs the CLI in this JVM (stdout and stderr captured) or in a child JVM (own heap, real signals). */
public final class Cli {
  private Cli() { }

  /** What a run printed and returned. */
  public record Run(int code, String out, String err) {
    /** stderr as trimmed lines. */
    public List<String> errLines() { return err.strip().isEmpty() ? List.of() : err.strip().lines().toList(); }
  }

  public static synchronized Run xcam(String... args) {
    PrintStream oldOut = System.out, oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = XcamCli.run(args);
      return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  /** A child JVM running the CLI with this test's class path; stdout and stderr go to files in {@code logs}. */
  public static Process start(Path logs, List<String> jvm, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvm);
    cmd.add("-Dai.djl.offline=true");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(XcamCli.class.getName());
    cmd.addAll(Arrays.asList(args));
    Files.createDirectories(logs);
    return new ProcessBuilder(cmd).redirectOutput(logs.resolve("stdout.txt").toFile())
        .redirectError(logs.resolve("stderr.txt").toFile()).start();
  }

  /** Every file and directory under {@code dir} (relative paths, sorted), or empty when it does not exist. */
  /**
   * Whether this JVM was started with {@code SIG<name>} ignored (Linux {@code /proc/self/status} SigIgn). A command
   * started in the background by a non-interactive shell ({@code cmd &}) has SIGINT and SIGQUIT ignored, and a child
   * JVM inherits that: it never sees the signal, so a test that sends it has nothing to check.
   */
  public static boolean signalIgnored(String name) {
    int number = switch (name) { case "HUP" -> 1; case "INT" -> 2; case "QUIT" -> 3; case "TERM" -> 15; default -> 0; };
    try {
      for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("SigIgn:")) return number > 0 && (Long.parseUnsignedLong(line.substring(7).trim(), 16) >> (number - 1) & 1) == 1;
      }
    } catch (IOException | RuntimeException e) {
      return false;
    }
    return false;
  }

  public static List<String> tree(Path dir) throws IOException {
    if (!Files.exists(dir)) return List.of();
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString().replace(File.separatorChar, '/')).sorted().toList();
    }
  }

  /** The project's module directory (tests run there), resolved against a sibling module. */
  public static Path module(String name) { return Path.of("..", name).toAbsolutePath().normalize(); }
}
