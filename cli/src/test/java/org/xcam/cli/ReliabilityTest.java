package org.xcam.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xcam.api.Tensor;
import org.xcam.api.bundle.Json;
import org.xcam.cli.testing.Cli;
import org.xcam.cli.testing.SlowExplainerProvider;
import org.xcam.tck.fixtures.Reference;

/**
 * Issue 19, one test per failure of the hostile-input run, each with the exact failure mode it describes: a bad input
 * exits 2 with one stderr line and leaves nothing in {@code --out}; a run is whole or absent.
 */
class ReliabilityTest {
  static final Path ODD = Cli.module("runtime").resolve("src/test/resources/org/xcam/runtime/odd");

  static Path input(Path dir, int i) {
    Path p = dir.resolve("in" + i + ".npy");
    Reference.input(i).writeNpy(p);
    return p;
  }

  static String[] explain(Path out, String... rest) {
    List<String> a = new ArrayList<>(List.of("explain", "--model", Reference.bundle().toString(), "--out", out.toString()));
    a.addAll(List.of(rest));
    return a.toArray(String[]::new);
  }

  /** Exit 2, exactly one stderr line holding every fragment, no stack trace, nothing in {@code out}. */
  static Cli.Run refused(Path out, String[] args, String... fragments) throws IOException {
    Cli.Run r = Cli.xcam(args);
    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.errLines()).as("one stderr line").hasSize(1);
    assertThat(r.err()).doesNotContain("\tat ").doesNotContain("\u001B");
    for (String f : fragments) assertThat(r.err()).contains(f);
    if (out != null) assertThat(Cli.tree(out)).as("nothing left in --out").isEmpty();
    return r;
  }

  @Nested @DisplayName("Decoded right, or refused")
  class Decoding {
    @Test @DisplayName("2-bit and inverted-palette PNGs give the maps of their 8-bit gray twins (not near-black, not inverted)")
    void oddPngsGiveTheMapsOfTheirTwins(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      Cli.Run r = Cli.xcam(explain(out, "--method", "gradcam", "--target", "1", ODD.resolve("gray2.png").toString(),
          ODD.resolve("gray2.ref.png").toString(), ODD.resolve("palette-inverted.png").toString(), ODD.resolve("gray8.ref.png").toString()));
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(Tensor.readNpy(out.resolve("gray2.gradcam.npy")).toArray())
          .containsExactly(Tensor.readNpy(out.resolve("gray2.ref.gradcam.npy")).toArray());
      assertThat(Tensor.readNpy(out.resolve("palette-inverted.gradcam.npy")).toArray())
          .containsExactly(Tensor.readNpy(out.resolve("gray8.ref.gradcam.npy")).toArray());
    }

    @Test @DisplayName("A truncated JPEG is refused: exit 2, one line, nothing written")
    void truncatedJpeg(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      refused(out, explain(out, "--method", "gradcam", ODD.resolve("truncated.jpg").toString()), "truncated.jpg", "truncated or corrupt");
    }

    @Test @DisplayName("A .npy of 3e38 makes the outputs non-finite: one line naming the image, not 'score NaN' and exit 0")
    void nonFiniteOutputs(@TempDir Path dir) throws Exception {
      Path huge = dir.resolve("huge.npy");
      Tensor.full(3e38f, 1, 64, 64).writeNpy(huge);
      Path out = dir.resolve("out");
      refused(out, explain(out, "--method", "gradcam", input(dir, 0).toString(), huge.toString()), "image huge", "not finite");
    }

    @Test @DisplayName("A 20000x20000 PNG under -Xmx2g: decoded subsampled to fit (manifest note), no OutOfMemoryError")
    @SuppressWarnings("unchecked")
    void hugePngUnderTwoGigabytes(@TempDir Path dir) throws Exception {
      Path png = hugePng(dir.resolve("huge.png"), 20000, 20000);
      Path out = dir.resolve("out");
      Process p = Cli.start(dir.resolve("logs"), List.of("-Xmx2g"), explain(out, "--method", "gradcam", png.toString()));
      assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("finished").isTrue();
      String err = Files.readString(dir.resolve("logs/stderr.txt"));
      assertThat(err).doesNotContain("OutOfMemoryError").doesNotContain("\tat ");
      assertThat(p.exitValue()).as(err).isZero();
      Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(out.resolve("manifest.json")));
      String notes = String.valueOf(((List<Map<String, Object>>) m.get("results")).get(0).get("notes"));
      assertThat(notes).contains("decoded 1 in").contains("20000x20000 ->").contains("resized");
    }
  }

  /** An 8-bit gray PNG streamed row by row (a smooth ramp, so it compresses to a few hundred KB). */
  static Path hugePng(Path f, int w, int h) throws IOException {
    try (OutputStream out = Files.newOutputStream(f)) {
      out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
      chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0)
          .put((byte) 0).array());
      java.io.ByteArrayOutputStream idat = new java.io.ByteArrayOutputStream();
      try (DeflaterOutputStream z = new DeflaterOutputStream(idat, new Deflater(6), 1 << 16)) {
        byte[] row = new byte[w + 1];
        for (int y = 0; y < h; y++) {
          Arrays.fill(row, 1, row.length, (byte) (y * 255L / h));
          z.write(row);
        }
      }
      chunk(out, "IDAT", idat.toByteArray());
      chunk(out, "IEND", new byte[0]);
    }
    return f;
  }

  static void chunk(OutputStream out, String type, byte[] data) throws IOException {
    out.write(ByteBuffer.allocate(4).putInt(data.length).array());
    byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    out.write(t);
    out.write(data);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  @Nested @DisplayName("Outputs whole")
  class Outputs {
    @ParameterizedTest(name = "{0} mid-run: staging removed, lock released, stderr says so; a second run meanwhile refuses")
    @ValueSource(strings = {"TERM", "INT"})
    void interrupted(String signal, @TempDir Path dir) throws Exception {
      org.junit.jupiter.api.Assumptions.assumeFalse(org.xcam.cli.testing.Cli.signalIgnored(signal), "SIG" + signal
          + " is ignored in this environment (started in the background by a non-interactive shell); the xcam child would inherit that");
      List<String> images = new ArrayList<>();
      for (int i = 0; i < 6; i++) images.add(input(dir, i).toString());
      Path out = dir.resolve("out");
      List<String> args = new ArrayList<>(List.of(explain(out, "--method", "gradcam,test-slow", "--option", "sleep-ms=30000", "--batch", "1")));
      // test-slow sleeps 30 s per image (cancellable every 3 s): the run must still be going when the signal comes,
      // however slowly the second run's JVM starts on a loaded machine (3 s per image finished first under load)
      args.addAll(images);
      Process p = Cli.start(dir.resolve("logs"), List.of("-Xmx1g"), args.toArray(String[]::new));
      try {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        Path staging = null;
        while (System.nanoTime() < deadline && p.isAlive()) {
          staging = Cli.tree(out).stream().filter(s -> s.startsWith(".xcam-staging-") && s.contains("/")).findAny()
              .map(s -> out.resolve(s.substring(0, s.indexOf('/')))).orElse(null);
          if (staging != null && Cli.tree(staging).size() >= 18) break;   // gradcam's 6 x 3 files are staged
          Thread.sleep(100);
        }
        assertThat(staging).as("the run staged files").isNotNull();
        // meanwhile, a second run into the same --out refuses in one line (the lock is another process's)
        Cli.Run second = Cli.xcam(explain(out, "--method", "gradcam", images.get(0)));
        assertThat(second.code()).isEqualTo(2);
        assertThat(second.errLines()).hasSize(1);
        assertThat(second.err()).contains("in use by another xcam run").contains("pid " + p.pid());
        assertThat(p.isAlive()).as("the run is still going when the signal is sent").isTrue();
        new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      } finally {
        p.destroyForcibly();
      }
      String err = Files.readString(dir.resolve("logs/stderr.txt"));
      assertThat(err).contains("xcam: interrupted;").contains("unfinished files removed");
      assertThat(Cli.tree(out)).as("staging and lock removed, nothing kept").isEmpty();
    }

    @Test @DisplayName("A second run into a locked --out refuses in one line and leaves the first run's files alone")
    void lock(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      try (OutputDir first = OutputDir.open(out, "--out")) {
        Cli.Run r = Cli.xcam(explain(out, "--method", "gradcam", input(dir, 0).toString()));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).contains("is in use by another xcam run");
        assertThat(Cli.tree(out)).allMatch(s -> s.startsWith(".xcam"));
      }
      assertThat(Cli.tree(out)).as("lock and staging gone after the first run").isEmpty();
    }

    @Test @DisplayName("Two inputs with one stem from different folders: x and x-2, both kept, the manifest says which is which")
    @SuppressWarnings("unchecked")
    void equalStems(@TempDir Path dir) throws Exception {
      Path a = Files.createDirectories(dir.resolve("a")).resolve("x.npy"), b = Files.createDirectories(dir.resolve("b")).resolve("x.npy");
      Reference.input(0).writeNpy(a);
      Reference.input(1).writeNpy(b);
      Path out = dir.resolve("out");
      Cli.Run r = Cli.xcam(explain(out, "--method", "gradcam", "--target", "1", a.toString(), b.toString()));
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(Cli.tree(out)).contains("x.gradcam.npy", "x-2.gradcam.npy", "x.gradcam.png", "x-2.gradcam.png");
      assertThat(Tensor.readNpy(out.resolve("x.gradcam.npy")).toArray())
          .isNotEqualTo(Tensor.readNpy(out.resolve("x-2.gradcam.npy")).toArray());
      Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(out.resolve("manifest.json")));
      List<Map<String, Object>> res = (List<Map<String, Object>>) m.get("results");
      assertThat(res).extracting(x -> x.get("image") + "<-" + x.get("input")).containsExactly("x<-" + a, "x-2<-" + b);
    }

    @Test @DisplayName("A directory where an output file must go is found before the first pass; nothing is written")
    void blockedOutputPath(@TempDir Path dir) throws Exception {
      Path out = Files.createDirectories(dir.resolve("out"));
      Files.createDirectories(out.resolve("in1.hirescam.png"));
      int before = SlowExplainerProvider.CALLS.get();
      Cli.Run r = Cli.xcam(explain(out, "--method", "test-slow,gradcam,hirescam", input(dir, 0).toString(), input(dir, 1).toString()));
      assertThat(r.code()).as(r.err()).isEqualTo(2);
      assertThat(r.errLines()).hasSize(1);
      assertThat(r.err()).contains("in1.hirescam.png").contains("in the way");
      assertThat(SlowExplainerProvider.CALLS.get()).as("no method ran").isEqualTo(before);
      assertThat(Cli.tree(out)).containsExactly("in1.hirescam.png");
    }

    @Test @DisplayName("--out '' is refused (it would write into the current directory)")
    void emptyOut(@TempDir Path dir) throws Exception {
      refused(null, new String[] {"explain", "--model", Reference.bundle().toString(), "--out", "", "--method", "gradcam",
          input(dir, 0).toString()}, "--out is empty");
    }
  }

  @Nested @DisplayName("Limits checked before work")
  class Limits {
    @Test @DisplayName("--option masks=1000000000 is refused before it starts, with the estimate and the budget")
    void budget(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      refused(out, explain(out, "--method", "rise", "--option", "masks=1000000000", input(dir, 0).toString()),
          "rise needs about 1,000,000,001 network evaluations per image", "--budget");
    }

    @Test @DisplayName("A gradient method's options are priced before it starts too: smoothgrad samples=100000 is over the budget")
    void gradientBudget(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      refused(out, explain(out, "--method", "smoothgrad", "--option", "samples=100000", input(dir, 0).toString()),
          "smoothgrad needs about 300,004 network evaluations per image", "100000 noisy copies", "--budget");
    }

    @Test @DisplayName("The estimate is printed before work and a long method shows progress within one image (on a terminal)")
    void estimateAndProgress(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      System.setProperty("xcam.progress", "true");
      Cli.Run r;
      try {
        r = Cli.xcam(explain(out, "--method", "test-slow", "--option", "sleep-ms=600", "--option", "cost=777", input(dir, 0).toString()));
      } finally {
        System.clearProperty("xcam.progress");
      }
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(r.err()).contains("xcam: 1 image x 1 method, about 777 network evaluations (test-slow 777/image)");
      assertThat(r.err().indexOf("about 777")).isLessThan(r.err().indexOf("[test-slow steps"));
    }

    @Test @DisplayName("Not on a terminal: no progress bar, no estimate for a short run; stdout has the results")
    void quietInScripts(@TempDir Path dir) throws Exception {
      Cli.Run r = Cli.xcam(explain(dir.resolve("out"), "--method", "test-slow", "--option", "sleep-ms=300", input(dir, 0).toString()));
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(r.err()).isEmpty();
      assertThat(r.out()).contains("in0  test-slow");
    }

    @Test @DisplayName("IBA without statistics, listed third, fails before the first two methods ran")
    void preconditionsFirst(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      int before = SlowExplainerProvider.CALLS.get();
      refused(out, explain(out, "--method", "test-slow,gradcam,iba", input(dir, 0).toString()), "no activation statistics", "xcam estimate");
      assertThat(SlowExplainerProvider.CALLS.get()).as("test-slow did not run").isEqualTo(before);
    }

    @Test @DisplayName("evaluate checks IBA's statistics before the first pass too")
    void preconditionsFirstInEvaluate(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      int before = SlowExplainerProvider.CALLS.get();
      refused(null, new String[] {"evaluate", "--model", Reference.bundle().toString(), "--dataset", "phantom:3", "--methods", "test-slow,iba",
          "--metrics", "pointing-game", "--out", out.toString()}, "no activation statistics", "xcam estimate");
      assertThat(SlowExplainerProvider.CALLS.get()).as("test-slow did not run").isEqualTo(before);
      assertThat(Cli.tree(out)).as("nothing written").isEmpty();
    }
  }

  @Nested @DisplayName("Minor cases: one line each, or a clear rule")
  class Minor {
    @Test @DisplayName("A .npy with N = 0")
    void emptyNpy(@TempDir Path dir) throws Exception {
      Path f = dir.resolve("empty.npy");
      Tensor.zeros(0, 1, 64, 64).writeNpy(f);
      Path out = dir.resolve("out");
      refused(out, explain(out, "--method", "gradcam", f.toString()), "empty.npy holds no images");
    }

    @Test @DisplayName("--target all:2 (P > 1)")
    void probabilityAboveOne(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      refused(out, explain(out, "--method", "gradcam", "--target", "all:2", input(dir, 0).toString()), "0 <= P < 1");
    }

    @Test @DisplayName("--method gradcam,gradcam computes once")
    @SuppressWarnings("unchecked")
    void duplicateMethod(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      Cli.Run r = Cli.xcam(explain(out, "--method", "gradcam,gradcam", input(dir, 0).toString()));
      assertThat(r.code()).as(r.err()).isZero();
      Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(out.resolve("manifest.json")));
      assertThat((List<Object>) m.get("results")).hasSize(1);
      assertThat(r.out().lines().count()).isEqualTo(1);
    }

    @Test @DisplayName("phantom:-1 (estimate --images and evaluate --dataset)")
    void negativePhantomCount(@TempDir Path dir) throws Exception {
      refused(null, new String[] {"estimate", "--model", Reference.bundle().toString(), "--layer", "features.14", "--images", "phantom:-1",
          "--out", dir.resolve("stats").toString()}, "phantom:N", "N >= 1");
      Path out = dir.resolve("eval");
      refused(out, new String[] {"evaluate", "--model", Reference.bundle().toString(), "--dataset", "phantom:-1", "--methods", "gradcam",
          "--metrics", "pointing-game", "--out", out.toString()}, "count >= 1");
    }

    @Test @DisplayName("--device cuda where there is no CUDA: one line, no native text, no colour codes")
    void cudaWithoutCuda(@TempDir Path dir) throws Exception {
      assumeFalse(ModelOptions.nvidiaDriverPresent(), "this machine has an NVIDIA driver");
      Path out = dir.resolve("out");
      for (String engine : List.of("onnx", "djl")) {
        refused(out, explain(out, "--engine", engine, "--device", "cuda", "--method", "gradcam", input(dir, 0).toString()),
            "--device cuda", "no CUDA device", "--device cpu");
      }
    }
  }
}
