package org.xcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.Tensor;
import org.xcam.api.bundle.Json;
import org.xcam.runtime.Images;
import org.xcam.runtime.Overlay;
import org.xcam.tck.fixtures.Reference;

/** {@code xcam explain} end to end on the reference bundle: outputs, manifest, and every bad input of issue 2. */
class ExplainCommandTest {
  record Run(int code, String out, String err) { }

  static synchronized Run xcam(String... args) {
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

  static Path input(Path dir, int i) {
    Path p = dir.resolve("in" + i + ".npy");
    Reference.input(i).writeNpy(p);
    return p;
  }

  static List<String> files(Path dir) throws Exception {
    if (!Files.exists(dir)) return List.of();
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test @DisplayName("gradcam on two reference inputs writes raw, normalised and overlay files and a manifest; the raw map equals pytorch-grad-cam's")
  @SuppressWarnings("unchecked")
  void endToEnd(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    Run r = xcam("explain", "--model", Reference.bundle().toString(), "--method", "gradcam", "--target", "1,2", "--out",
        out.toString(), input(dir, 0).toString(), input(dir, 1).toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(files(out)).contains("in0.gradcam.raw.npy", "in0.gradcam.npy", "in0.gradcam.png", "in1.gradcam.png", "manifest.json");
    Tensor raw = Tensor.readNpy(out.resolve("in0.gradcam.raw.npy"));
    assertThat(raw.shape()).containsExactly(8, 8);
    double[] c = Reference.compare(raw.toArray(), Reference.raw("features.14", "GradCAM", 0).toArray());
    assertThat(c[0]).isGreaterThanOrEqualTo(0.999);
    Tensor map = Tensor.readNpy(out.resolve("in0.gradcam.npy"));
    assertThat(map.shape()).containsExactly(64, 64);
    for (float v : map.toArray()) assertThat(v).isBetween(0f, 1f);
    Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(out.resolve("manifest.json")));
    assertThat(m).containsKeys("xcam", "engine", "model", "methods", "results");
    List<Map<String, Object>> results = (List<Map<String, Object>>) m.get("results");
    assertThat(results).hasSize(2);
    assertThat(((Number) results.get(1).get("targetClass")).intValue()).isEqualTo(2);
    assertThat(results.get(0)).containsKeys("score", "millisPerImage", "batchPasses", "layer");
  }

  @Test @DisplayName("An image of another size is resized per the manifest, and the manifest says so")
  @SuppressWarnings("unchecked")
  void resizedIsNoted(@TempDir Path dir) throws Exception {
    var img = Overlay.atLeast(Images.displayOf(Reference.input(0), new org.xcam.api.InputSpec(1, 64, 64, new float[] {0.5f}, new float[] {0.25f})), 100);
    Path png = dir.resolve("big.png");
    Overlay.writePng(img, png);
    Path out = dir.resolve("out");
    Run r = xcam("explain", "--model", Reference.bundle().toString(), "--method", "gradcam", "--out", out.toString(), png.toString());
    assertThat(r.code()).as(r.err()).isZero();
    Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(out.resolve("manifest.json")));
    var notes = (List<Object>) ((List<Map<String, Object>>) m.get("results")).get(0).get("notes");
    assertThat(notes.toString()).contains("resized 100x100 -> 64x64");
  }

  @Test @DisplayName("--regions attributes each map's energy to the given regions; the shares and outside sum to 1")
  @SuppressWarnings("unchecked")
  void regions(@TempDir Path dir) throws Exception {
    // input 0 is a nodule phantom with its lesion box at x 45..51, y 20..25 (inputs.json)
    Path csv = Files.writeString(dir.resolve("regions.csv"), "name,x0,y0,x1,y1\nright,32,0,64,64\nleft,0,0,32,64\n");
    Path out = dir.resolve("out");
    Run r = xcam("explain", "--model", Reference.bundle().toString(), "--method", "gradcam", "--target", "1", "--regions",
        csv.toString(), "--out", out.toString(), input(dir, 0).toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("of the evidence lies in right");
    Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(out.resolve("manifest.json")));
    Map<String, Object> ra = (Map<String, Object>) ((List<Map<String, Object>>) m.get("results")).get(0).get("regionAttribution");
    double sum = ra.values().stream().mapToDouble(v -> ((Number) v).doubleValue()).sum();
    assertThat(sum).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-9));
    assertThat(((Number) ra.get("right")).doubleValue()).isGreaterThan(((Number) ra.get("left")).doubleValue());
  }

  @Test @DisplayName("--option map=signed keeps the sign in the raw map (Captum's InputXGradient); the normalised map stays in [0,1]")
  void signedRawMap(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    Run r = xcam("explain", "--model", Reference.bundle().toString(), "--method", "gradient-x-input", "--option", "map=signed",
        "--target", "1", "--out", out.toString(), input(dir, 0).toString());
    assertThat(r.code()).as(r.err()).isZero();
    float[] raw = Tensor.readNpy(out.resolve("in0.gradient-x-input.raw.npy")).toArray();
    float min = 0, max = 0;
    for (float v : raw) { min = Math.min(min, v); max = Math.max(max, v); }
    assertThat(min).as("negative evidence kept").isLessThan(0f);
    assertThat(max).isGreaterThan(0f);
    double[] c = Reference.compare(raw, Reference.tensor("phantom-small/captum/refs/InputXGradient/input/0.sum_c.npy").toArray());
    assertThat(c[0]).isGreaterThanOrEqualTo(0.999);
    for (float v : Tensor.readNpy(out.resolve("in0.gradient-x-input.npy")).toArray()) assertThat(v).isBetween(0f, 1f);
  }

  @Nested @DisplayName("Bad input: one line naming the fix, exit code 2, nothing written")
  class BadInput {
    void expectError(Path out, String[] args, String... fragments) throws Exception {
      Run r = xcam(args);
      assertThat(r.code()).as(r.err()).isEqualTo(2);
      String line = r.err().strip();
      assertThat(line.lines().count()).as("one line: " + line).isEqualTo(1);
      for (String f : fragments) assertThat(line).contains(f);
      assertThat(files(out)).as("files left in the output directory").isEmpty();
    }

    String[] explain(Path model, Path out, String... rest) {
      String[] head = {"explain", "--model", model.toString(), "--out", out.toString()};
      String[] all = new String[head.length + rest.length];
      System.arraycopy(head, 0, all, 0, head.length);
      System.arraycopy(rest, 0, all, head.length, rest.length);
      return all;
    }

    @Test @DisplayName("A method that swaps backward rules on the DJL engine names the capability and the engine that has it")
    void swappedRulesOnDjl(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      expectError(out, explain(Reference.bundle(), out, "--engine", "djl", "--method", "guided-backprop", input(dir, 0).toString()),
          "MODIFIED_BACKWARD", "onnx");
    }

    @Test @DisplayName("A map mode that does not exist lists the three")
    void badMapMode(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      expectError(out, explain(Reference.bundle(), out, "--method", "gradient-x-input", "--option", "map=negative", input(dir, 0).toString()),
          "positive, signed, absolute");
    }

    @Test @DisplayName("A missing image")
    void missingImage(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      expectError(out, explain(Reference.bundle(), out, "--method", "gradcam", dir.resolve("nope.png").toString()), "no such image");
    }

    @Test @DisplayName("A corrupt image")
    void corruptImage(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      Path bad = Files.write(dir.resolve("bad.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
      expectError(out, explain(Reference.bundle(), out, "--method", "gradcam", bad.toString()), "bad.png");
    }

    @Test @DisplayName("A .npy with the wrong channel count")
    void wrongChannels(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      Path npy = dir.resolve("rgb.npy");
      Tensor.zeros(3, 64, 64).writeNpy(npy);
      expectError(out, explain(Reference.bundle(), out, "--method", "gradcam", npy.toString()), "3 channels", "takes 1");
    }

    @Test @DisplayName("NaN in the input")
    void nanInput(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      float[] v = Reference.input(0).toArray();
      v[100] = Float.NaN;
      Path npy = dir.resolve("nan.npy");
      Tensor.of(v, 1, 64, 64).writeNpy(npy);
      expectError(out, explain(Reference.bundle(), out, "--method", "gradcam", npy.toString()), "non-finite");
    }

    @Test @DisplayName("An unknown method lists the available ones")
    void unknownMethod(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      expectError(out, explain(Reference.bundle(), out, "--method", "gradcm", input(dir, 0).toString()), "unknown method 'gradcm'", "gradcam");
    }

    @Test @DisplayName("An unknown layer lists the model's layers")
    void unknownLayer(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      expectError(out, explain(Reference.bundle(), out, "--method", "gradcam", "--layer", "layer4", input(dir, 0).toString()),
          "unknown layer 'layer4'", "features.14");
    }

    @Test @DisplayName("A target index out of range names the valid range")
    void targetOutOfRange(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      expectError(out, explain(Reference.bundle(), out, "--method", "gradcam", "--target", "7", input(dir, 0).toString()),
          "target index 7", "0..2");
    }

    @Test @DisplayName("A bundle with a missing file")
    void bundleMissingFile(@TempDir Path dir) throws Exception {
      Path b = copyBundle(dir);
      Files.delete(b.resolve("layers/features.10.tail.pt"));
      Path out = dir.resolve("out");
      expectError(out, explain(b, out, "--method", "gradcam", input(dir, 0).toString()), "features.10.tail.pt");
    }

    @Test @DisplayName("A manifest that disagrees with the files")
    void manifestDisagrees(@TempDir Path dir) throws Exception {
      Path b = copyBundle(dir);
      Path mf = b.resolve("xcam-model.json");
      Files.writeString(mf, Files.readString(mf).replace("\"features.10\",", "\"features.10\", \"features.99\","));
      Path out = dir.resolve("out");
      expectError(out, explain(b, out, "--method", "gradcam", input(dir, 0).toString()), "features.99");
    }

    @Test @DisplayName("A truncated TorchScript file")
    void truncatedTorchScript(@TempDir Path dir) throws Exception {
      Path b = copyBundle(dir);
      Path pt = b.resolve("model.pt");
      byte[] all = Files.readAllBytes(pt);
      Files.write(pt, java.util.Arrays.copyOf(all, all.length / 3));
      Path out = dir.resolve("out");
      expectError(out, explain(b, out, "--method", "gradcam", "--engine", "djl", input(dir, 0).toString()), "model.pt");
    }

    @Test @DisplayName("An output directory that cannot be written")
    void outputNotWritable(@TempDir Path dir) throws Exception {
      Path notADir = Files.writeString(dir.resolve("file.txt"), "x");
      Run r = xcam(explain(Reference.bundle(), notADir, "--method", "gradcam", input(dir, 0).toString()));
      assertThat(r.code()).isEqualTo(2);
      assertThat(r.err()).contains("not a directory").contains("--out");
      assertThat(Files.readString(notADir)).isEqualTo("x");
    }

    private Path copyBundle(Path dir) throws Exception {
      Path b = dir.resolve("bundle");
      try (Stream<Path> s = Files.walk(Reference.bundle())) {
        for (Path p : s.toList()) {
          Path t = b.resolve(Reference.bundle().relativize(p).toString());
          if (Files.isDirectory(p)) Files.createDirectories(t);
          else Files.copy(p, t);
        }
      }
      return b;
    }
  }
}
