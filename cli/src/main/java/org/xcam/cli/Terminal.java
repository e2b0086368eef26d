package org.xcam.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether stderr is a terminal, so progress bars and estimates are drawn only for a person watching, and scripts see
 * errors as one line. Java has no isatty for stderr: on Linux {@code /proc/self/fd/2} links to {@code /dev/pts/N} or
 * {@code /dev/ttyN} when it is one; elsewhere {@link System#console()} (a terminal on stdin and stdout) stands in.
 * {@code -Dxcam.progress=true|false} or {@code XCAM_PROGRESS=1|0} overrides the guess.
 */
final class Terminal {
  private Terminal() { }

  static boolean stderrIsTerminal() {
    String forced = System.getProperty("xcam.progress", System.getenv("XCAM_PROGRESS"));
    if (forced != null && !forced.isBlank()) return forced.equals("1") || forced.equalsIgnoreCase("true");
    Path fd = Path.of("/proc/self/fd/2");
    try {
      if (Files.exists(Path.of("/proc/self/fd"))) {
        String target = Files.readSymbolicLink(fd).toString();
        return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
      }
    } catch (Exception e) {
      // fall through
    }
    return System.console() != null;
  }
}
