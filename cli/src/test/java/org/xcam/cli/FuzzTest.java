package org.xcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.cli.bench.FuzzBench;

/**
 * Issue 19's fuzz: a few hundred generated bad inputs ({@code xcam bench fuzz}, seed 19), each must exit 2 with one
 * stderr line, no stack trace and nothing left in {@code --out}, or, when a mutation left a valid file, give a whole
 * output. The counts are printed for the closing note.
 */
class FuzzTest {
  @Test @DisplayName("200 mutated files + crafted files + bad arguments: no violation of the promise")
  void fuzz(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    FuzzBench.Report r = FuzzBench.run(dir, 200, 19, new PrintStream(log, true, StandardCharsets.UTF_8));
    System.out.printf("fuzz: %d cases, %d refused, %d accepted whole, %d violations%n", r.total(), r.refused(), r.accepted(),
        r.violations().size());
    r.byKind().forEach((k, v) -> System.out.printf("  %-22s refused %4d accepted %4d violated %4d%n", k, v[0], v[1], v[2]));
    log.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("accepted")).forEach(l -> System.out.println("  " + l));
    StringBuilder why = new StringBuilder();
    for (FuzzBench.Outcome o : r.violations()) {
      why.append('\n').append(o.c().kind()).append(' ').append(o.c().name()).append(": ").append(o.verdict()).append(" (exit ")
          .append(o.code()).append("): ").append(o.err().strip().replace("\n", " | "));
    }
    assertThat(r.violations()).as(why.toString()).isEmpty();
    assertThat(r.total()).isGreaterThan(280);
    assertThat(r.refused()).isGreaterThan(r.total() / 2);
  }
}
