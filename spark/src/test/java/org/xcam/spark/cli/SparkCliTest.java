package org.xcam.spark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.runtime.Fixtures;

/** {@code xcam spark explain|evaluate} end to end: each run starts and stops its own local Spark. */
class SparkCliTest {
  private record Run(int code, String out, String err) { }

  private static Run run(String... args) {
    PrintStream out0 = System.out, err0 = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int code = SparkCli.run(args);
      return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out0);
      System.setErr(err0);
    }
  }

  @Test @DisplayName("explain --master local[2] --overlays writes the table, the manifest and xcam explain's per-image files; "
      + "evaluate writes the table and the summary")
  void explainAndEvaluate(@TempDir Path dir) throws Exception {
    String bundle = Fixtures.phantomBundle().toString();
    Run r = run("explain", "--master", "local[2]", "--model", bundle, "--method", "gradcam", "--overlays", "--no-progress",
        "--conf", "spark.ui.enabled=false", "--out", dir.resolve("x").toString(), "phantom:4");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("4 images (4 computed, 0 already in the output), 4 rows added");
    assertThat(dir.resolve("x/phantom-0.gradcam.png")).exists();
    assertThat(dir.resolve("x/phantom-3.gradcam.raw.npy")).exists();
    assertThat(dir.resolve("x/manifest.json")).exists();
    try (var s = Files.list(dir.resolve("x/explanations/method=gradcam"))) {
      assertThat(s.filter(p -> p.toString().endsWith(".parquet"))).isNotEmpty();
    }

    Run e = run("evaluate", "--master", "local[2]", "--model", bundle, "--dataset", "phantom:6", "--methods", "gradcam",
        "--metrics", "pointing-game,energy-in-box", "--overlays", "2", "--no-progress", "--conf", "spark.ui.enabled=false",
        "--out", dir.resolve("e").toString());
    assertThat(e.code()).as(e.err()).isZero();
    assertThat(Files.readString(dir.resolve("e/summary.csv"))).contains("gradcam,pointing-game,all,");
    assertThat(dir.resolve("e/overlays/phantom-0__gradcam.png")).exists();
  }

  @Test @DisplayName("bad input fails before Spark does any work: one line, exit code 2")
  void badInput(@TempDir Path dir) {
    String bundle = Fixtures.phantomBundle().toString();
    Run unknown = run("explain", "--model", bundle, "--method", "gradcm", "--out", dir.toString(), "phantom:2");
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err().strip()).startsWith("xcam: error: unknown method 'gradcm'").doesNotContain("\n");

    Run missing = run("explain", "--master", "local[1]", "--conf", "spark.ui.enabled=false", "--model", bundle, "--method", "gradcam",
        "--out", dir.resolve("o").toString(), dir.resolve("nothing-here.png").toString());
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).contains("xcam: error: no such image");

    Run detection = run("evaluate", "--model", bundle, "--dataset", "phantom:2", "--methods", "gradcam", "--metrics", "pointing-game",
        "--task", "detection", "--out", dir.toString());
    assertThat(detection.code()).isEqualTo(2);
    assertThat(detection.err()).contains("--task classification only");
  }
}
