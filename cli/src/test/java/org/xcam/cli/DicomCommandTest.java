package org.xcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xcam.api.Tensor;
import org.xcam.api.bundle.Json;
import org.xcam.cli.testing.Cli;
import org.xcam.tck.fixtures.Reference;

/**
 * Issue 15's "done when", end to end through {@code xcam}: DICOM and PNG of one image give identical maps; MONOCHROME1
 * too; a 16-bit file with rescale and window gives the map of its windowed PNG (computed by pydicom); every refusal
 * exits 2 with one line and nothing written; no marker string of the identifying attributes reaches any output of
 * explain, evaluate or detect. Fixtures: {@code tools/fixtures/dicom_fixtures.py}.
 */
class DicomCommandTest {
  static final Path DICOM = Cli.module("plugins-dicom").resolve("src/test/resources/dicom");

  static Tensor map(Path out, String stem, String method) { return Tensor.readNpy(out.resolve(stem + "." + method + ".npy")); }

  static Cli.Run explain(Path out, String... rest) {
    List<String> a = new ArrayList<>(List.of("explain", "--model", Reference.bundle().toString(), "--out", out.toString()));
    a.addAll(List.of(rest));
    return Cli.xcam(a.toArray(String[]::new));
  }

  @Test @DisplayName("PNG, 8-bit MONOCHROME2 DICOM and its MONOCHROME1 inversion give identical maps; the 16-bit windowed file the map of its windowed PNG")
  void sameMaps(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    Cli.Run r = explain(out, "--method", "gradcam,gradcam-plusplus", "--target", "1",
        DICOM.resolve("cxr.png").toString(), DICOM.resolve("cxr-mono2-8bit.dcm").toString(), DICOM.resolve("cxr-mono1-8bit.dcm").toString(),
        DICOM.resolve("IM000001").toString(), DICOM.resolve("cxr-16bit-window.dcm").toString(),
        DICOM.resolve("cxr-16bit-window.ref.png").toString());
    assertThat(r.code()).as(r.err()).isZero();
    for (String m : List.of("gradcam", "gradcam-plusplus")) {
      float[] png = map(out, "cxr", m).toArray();
      assertThat(map(out, "cxr-mono2-8bit", m).toArray()).as(m + " MONOCHROME2").containsExactly(png);
      assertThat(map(out, "cxr-mono1-8bit", m).toArray()).as(m + " MONOCHROME1").containsExactly(png);
      assertThat(map(out, "IM000001", m).toArray()).as(m + " no extension").containsExactly(png);
      float[] win = map(out, "cxr-16bit-window", m).toArray(), ref = map(out, "cxr-16bit-window.ref", m).toArray();
      double worst = 0;
      for (int i = 0; i < win.length; i++) worst = Math.max(worst, Math.abs(win[i] - ref[i]));
      assertThat(worst).as(m + " windowed 16-bit vs its windowed PNG (16-bit rounding)").isLessThan(1e-3);
      float lo = 1, hi = 0;
      for (float v : png) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      assertThat(hi - lo).as("a map that is not flat").isGreaterThan(0.5f);
    }
  }

  @Test @DisplayName("The manifest records the DICOM facts (syntax, photometric, bits, rescale, window, spacing, size) and the window used")
  @SuppressWarnings("unchecked")
  void manifestFacts(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    Cli.Run r = explain(out, "--method", "gradcam", "--window", "30000,20000", DICOM.resolve("cxr-16bit-window.dcm").toString());
    assertThat(r.code()).as(r.err()).isZero();
    Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(out.resolve("manifest.json")));
    Map<String, Object> res = ((List<Map<String, Object>>) m.get("results")).get(0);
    Map<String, Object> src = (Map<String, Object>) res.get("source");
    assertThat(src).containsEntry("format", "dicom").containsEntry("photometricInterpretation", "MONOCHROME2")
        .containsKeys("transferSyntax", "rescale", "window", "pixelSpacingMm", "size");
    assertThat(((Number) src.get("bitsStored")).intValue()).isEqualTo(16);
    Map<String, Object> w = (Map<String, Object>) src.get("window");
    assertThat(w).containsEntry("source", "option");
    assertThat(((Number) w.get("center")).doubleValue()).isEqualTo(30000.0);
    assertThat(((Number) w.get("width")).doubleValue()).isEqualTo(20000.0);
  }

  static Stream<String> refusals() throws Exception {
    try (Stream<Path> s = Files.list(DICOM.resolve("refuse"))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList().stream();
    }
  }

  @ParameterizedTest(name = "{0}: exit 2, one line, nothing written")
  @MethodSource("refusals")
  void refused(String file, @TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    Cli.Run r = explain(out, "--method", "gradcam", DICOM.resolve("refuse").resolve(file).toString());
    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.errLines()).hasSize(1);
    assertThat(r.err()).contains(file).doesNotContain("Exception").doesNotContain("\tat ");
    assertThat(Cli.tree(out)).as("nothing written").isEmpty();
  }

  @Nested @DisplayName("No patient data in any output")
  class NoPatientData {
    List<String> markers() throws Exception {
      return Files.readAllLines(DICOM.resolve("markers.txt")).stream().filter(s -> !s.isBlank()).toList();
    }

    /** Every file under {@code out} (bytes as Latin-1, so binary files are searched too) and the run's console. */
    void assertClean(Path out, Cli.Run r) throws Exception {
      List<String> markers = markers();
      List<Path> files;
      try (Stream<Path> s = Files.walk(out)) {
        files = s.filter(Files::isRegularFile).toList();
      }
      assertThat(files).as("outputs to search").isNotEmpty();
      for (Path f : files) {
        String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        for (String m : markers) {
          assertThat(content).as(f + " holds marker " + m).doesNotContain(m);
          for (String part : m.split("\\^")) assertThat(content).as(f + " holds " + part).doesNotContain(part);
          assertThat(f.getFileName().toString()).doesNotContain(m);
        }
      }
      for (String m : markers) assertThat(r.out() + r.err()).doesNotContain(m);
    }

    @Test @DisplayName("explain (maps, overlays, manifest, console)")
    void explainOutputs(@TempDir Path dir) throws Exception {
      Path out = dir.resolve("out");
      Cli.Run r = explain(out, "--method", "gradcam", DICOM.resolve("phi-marker.dcm").toString());
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(Cli.tree(out)).contains("phi-marker.gradcam.png", "manifest.json");
      assertClean(out, r);
    }

    @Test @DisplayName("evaluate on a dicom: dataset and on a csv: dataset of DICOM files (results, summary, HTML, overlays)")
    void evaluateOutputs(@TempDir Path dir) throws Exception {
      Path images = Files.createDirectories(dir.resolve("pacs"));
      Files.copy(DICOM.resolve("phi-marker.dcm"), images.resolve("phi-marker.dcm"));
      Files.copy(DICOM.resolve("IM000001"), images.resolve("IM000001"));
      Path boxes = Files.writeString(dir.resolve("boxes.csv"),
          "image,label,x,y,w,h\nphi-marker.dcm,nodule,100,60,40,40\nIM000001,nodule,100,60,40,40\n");
      for (String spec : List.of("dicom:" + images + ":" + boxes, "csv:" + boxes + ":" + images)) {
        Path out = dir.resolve("eval-" + spec.substring(0, 3));
        Cli.Run r = Cli.xcam("evaluate", "--model", Reference.bundle().toString(), "--dataset", spec, "--methods", "gradcam",
            "--metrics", "pointing-game,energy-in-box", "--out", out.toString(), "--no-progress");
        assertThat(r.code()).as(r.err()).isZero();
        String results = Files.readString(out.resolve("results.csv"));
        assertThat(results).contains("phi-marker").contains("IM000001");
        assertClean(out, r);
      }
    }

    @Test @DisplayName("detect (boxes JSON, overlay, console)")
    void detectOutputs(@TempDir Path dir) throws Exception {
      Path bundle = Cli.module("plugins-anatomy").resolve("src/main/resources/org/xcam/plugins/anatomy/fixtures/adpd-loc");
      Path out = dir.resolve("out");
      Cli.Run r = Cli.xcam("detect", "--model", bundle.toString(), "--out", out.toString(), DICOM.resolve("phi-marker.dcm").toString());
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(Cli.tree(out)).contains("phi-marker.boxes.json", "phi-marker.detect.png");
      assertClean(out, r);
    }
  }

  @Test @DisplayName("The demo explains the DICOM versions of two phantoms beside their PNGs, with the same maps")
  void demo(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("demo");
    Cli.Run r = Cli.xcam("demo", "--methods", "gradcam", "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(Files.readString(out.resolve("index.html"))).contains("nodule-10100000-dicom").contains("effusion-10100001-dicom");
    assertThat(map(out, "effusion-10100001-dicom", "gradcam").toArray()).containsExactly(map(out, "effusion-10100001", "gradcam").toArray());
    float[] a = map(out, "nodule-10100000-dicom", "gradcam").toArray(), b = map(out, "nodule-10100000", "gradcam").toArray();
    double worst = 0;
    for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    assertThat(worst).as("MONOCHROME1 12-bit windowed phantom vs its PNG (float rounding of the window)").isLessThan(1e-4);
  }

  @Test @DisplayName("estimate reads a folder of DICOM files (with and without .dcm)")
  void estimate(@TempDir Path dir) throws Exception {
    Path images = Files.createDirectories(dir.resolve("pacs"));
    for (String f : List.of("cxr-mono2-8bit.dcm", "IM000001", "cxr-16bit-window.dcm")) Files.copy(DICOM.resolve(f), images.resolve(f));
    Files.writeString(images.resolve("README.txt"), "not an image");
    Cli.Run r = Cli.xcam("estimate", "--model", Reference.bundle().toString(), "--layer", "features.14", "--images", images.toString(),
        "--out", dir.resolve("stats").toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("features.14: 3 images");
  }
}
