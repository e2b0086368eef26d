package org.xcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xcam.cli.testing.Cli;

/**
 * {@code xcam detect} writes whole or not at all, through the same {@link OutputDir} as {@code xcam explain}: an
 * interrupted run leaves nothing behind, a second run into the same {@code --out} refuses in one line, a blocked output
 * path is found before the detector runs, and equal stems do not overwrite each other.
 */
class DetectOutputTest {
  static String classifier() { return DetectCommandTest.sample("cam-boxes", "phantom-pathology-classifier").toString(); }

  static String[] detect(Path out, String method, List<String> methodOptions, String... images) {
    List<String> a = new ArrayList<>(List.of("detect", "--detector", "cam-boxes", "--method", method, "--model", classifier(),
        "--out", out.toString()));
    for (String o : methodOptions) a.addAll(List.of("--method-option", o));
    a.addAll(List.of(images));
    return a.toArray(String[]::new);
  }

  @ParameterizedTest(name = "{0} mid-run: nothing left in --out, stderr says so; a second run meanwhile refuses in one line")
  @ValueSource(strings = {"TERM", "INT"})
  void interrupted(String signal, @TempDir Path dir) throws Exception {
    org.junit.jupiter.api.Assumptions.assumeFalse(org.xcam.cli.testing.Cli.signalIgnored(signal), "SIG" + signal
        + " is ignored in this environment (started in the background by a non-interactive shell); the xcam child would inherit that");
    String a = DetectCommandTest.phantom(dir, 7, "effusion").toString(), b = DetectCommandTest.phantom(dir, 8, "nodule").toString();
    Path out = dir.resolve("out");
    Process p = Cli.start(dir.resolve("logs"), List.of("-Xmx1g"), detect(out, "test-slow", List.of("sleep-ms=30000"), a, b));
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (System.nanoTime() < deadline && p.isAlive()
          && Cli.tree(out).stream().noneMatch(s -> s.startsWith(OutputDir.STAGING_PREFIX))) {
        Thread.sleep(100);
      }
      Thread.sleep(1500);   // the model is loaded and the detector is running (test-slow sleeps 30 s per image)
      assertThat(p.isAlive()).as("the first run is still going").isTrue();
      assertThat(Cli.tree(out)).as("locked and staging").contains(OutputDir.LOCK);
      Cli.Run second = Cli.xcam(detect(out, "gradcam", List.of(), a));
      assertThat(second.code()).as(second.err()).isEqualTo(2);
      assertThat(second.errLines()).hasSize(1);
      assertThat(second.err()).contains("in use by another xcam run").contains("pid " + p.pid());
      new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    } finally {
      p.destroyForcibly();
    }
    assertThat(Files.readString(dir.resolve("logs/stderr.txt"))).contains("xcam: interrupted;").contains("as it was before the run");
    assertThat(Cli.tree(out)).as("staging and lock removed, nothing kept").isEmpty();
  }

  @Test @DisplayName("a second run into a locked --out refuses in one line; the holder's files are untouched")
  void locked(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    String img = DetectCommandTest.phantom(dir, 7, "effusion").toString();
    try (OutputDir first = OutputDir.open(out, "--out")) {
      Cli.Run r = Cli.xcam(detect(out, "gradcam", List.of(), img));
      assertThat(r.code()).isEqualTo(2);
      assertThat(r.errLines()).hasSize(1);
      assertThat(r.err()).contains("is in use by another xcam run");
      assertThat(Cli.tree(out)).allMatch(s -> s.startsWith(".xcam"));
    }
    assertThat(Cli.tree(out)).isEmpty();
  }

  @Test @DisplayName("a directory where the second image's overlay must go: refused before the detector runs, nothing written")
  void blockedBeforeWork(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    Files.createDirectories(out.resolve("nodule8.detect.png"));
    String a = DetectCommandTest.phantom(dir, 7, "effusion").toString(), b = DetectCommandTest.phantom(dir, 8, "nodule").toString();
    long calls = org.xcam.cli.testing.SlowExplainerProvider.CALLS.get();
    Cli.Run r = Cli.xcam(detect(out, "test-slow", List.of(), a, b));
    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.errLines()).hasSize(1);
    assertThat(r.err()).contains("nodule8.detect.png").contains("in the way");
    assertThat(org.xcam.cli.testing.SlowExplainerProvider.CALLS.get()).as("the detector's method never ran").isEqualTo(calls);
    assertThat(Cli.tree(out)).as("only the blocking directory; no effusion7 files").containsExactly("nodule8.detect.png");
  }

  @Test @DisplayName("a whole run: both images' files, no staging or lock left; equal stems get -2")
  void whole(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    Path a = Files.createDirectories(dir.resolve("a")), b = Files.createDirectories(dir.resolve("b"));
    Files.move(DetectCommandTest.phantom(dir, 7, "effusion"), a.resolve("x.npy"));
    Files.move(DetectCommandTest.phantom(dir, 8, "nodule"), b.resolve("x.npy"));
    Cli.Run r = Cli.xcam(detect(out, "gradcam", List.of(), a.resolve("x.npy").toString(), b.resolve("x.npy").toString()));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(Cli.tree(out)).containsExactlyInAnyOrder("x.boxes.json", "x.detect.png", "x-2.boxes.json", "x-2.detect.png");
  }
}
