package org.xcam.plugins.dicom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xcam.api.InputSpec;
import org.xcam.api.InvalidInputException;
import org.xcam.api.image.DecodedImage;
import org.xcam.api.image.ImageReadOptions;
import org.xcam.api.image.ImageSource;
import org.xcam.runtime.ImageReaders;
import org.xcam.runtime.Images;
import org.xcam.runtime.LoadedImage;

/**
 * The DICOM reader against files made by {@code tools/fixtures/dicom_fixtures.py}: references are the same image as a
 * PNG, or the windowed image computed by pydicom (its {@code apply_modality_lut} and {@code apply_voi_lut}), never
 * values derived from this reader.
 */
class DicomReaderTest {
  static final Path DIR = Path.of("src/test/resources/dicom");
  static final InputSpec SPEC = new InputSpec(1, 256, 256, new float[] {0f}, new float[] {1f});

  static float[] pixels(String file) { return pixels(file, Map.of()); }

  static float[] pixels(String file, Map<String, String> options) {
    return Images.load(DIR.resolve(file), SPEC, options).get(0).tensor().toArray();
  }

  static double maxDiff(float[] a, float[] b) {
    assertThat(a).hasSameSizeAs(b);
    double m = 0;
    for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
    return m;
  }

  @Test @DisplayName("8-bit MONOCHROME2 DICOM gives exactly the pixels of the same image saved as an 8-bit PNG")
  void mono2EqualsPng() {
    assertThat(pixels("cxr-mono2-8bit.dcm")).containsExactly(pixels("cxr.png"));
  }

  @Test @DisplayName("Its MONOCHROME1 inversion (stored 255 - v, implicit VR) is inverted back: the same pixels again")
  void mono1EqualsPng() {
    assertThat(pixels("cxr-mono1-8bit.dcm")).containsExactly(pixels("cxr.png"));
    assertThat(Images.load(DIR.resolve("cxr-mono1-8bit.dcm"), SPEC).get(0).notes()).contains("MONOCHROME1 inverted to MONOCHROME2");
  }

  @Test @DisplayName("A file without an extension is read by its DICM preamble; its stem is the file name")
  void noExtension() {
    LoadedImage li = Images.load(DIR.resolve("IM000001"), SPEC).get(0);
    assertThat(li.stem()).isEqualTo("IM000001");
    assertThat(li.tensor().toArray()).containsExactly(pixels("cxr.png"));
  }

  @ParameterizedTest(name = "{0} equals pydicom''s windowed image {1} within 16-bit PNG rounding")
  @CsvSource({"cxr-16bit-window.dcm, cxr-16bit-window.ref.png", "cxr-mono1-16bit-window.dcm, cxr-mono1-16bit-window.ref.png",
      "cxr-12bit.dcm, cxr-12bit.ref.png", "cxr-signed-16bit.dcm, cxr-signed-16bit.ref.png",
      "cxr-two-windows.dcm, cxr-two-windows.ref.png", "cxr-sigmoid.dcm, cxr-sigmoid.ref.png"})
  void windowedLikePydicom(String dcm, String ref) {
    assertThat(maxDiff(pixels(dcm), pixels(ref))).isLessThanOrEqualTo(0.5 / 65535 + 1e-6);
  }

  @Test @DisplayName("--window C,W overrides the file's window (reference: pydicom with that window)")
  void optionWindow() {
    float[] got = pixels("cxr-16bit-window.dcm", Map.of("window", "30000,20000"));
    assertThat(maxDiff(got, pixels("cxr-16bit-window.option-30000-20000.ref.png"))).isLessThanOrEqualTo(0.5 / 65535 + 1e-6);
    assertThat(maxDiff(got, pixels("cxr-16bit-window.ref.png"))).as("differs from the file's window").isGreaterThan(0.1);
  }

  @Test @DisplayName("--window minmax maps the image's own min..max to [0,1] (reference: the PNG's pixels stretched)")
  void optionMinmax() {
    float[] png = pixels("cxr.png");
    double lo = 1, hi = 0;
    for (float v : png) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    float[] got = pixels("cxr-mono2-8bit.dcm", Map.of("window", "minmax"));
    float[] want = new float[png.length];
    for (int i = 0; i < png.length; i++) want[i] = (float) ((png[i] - lo) / (hi - lo));
    assertThat(maxDiff(got, want)).isLessThan(1e-6);
    assertThat(got).contains(0f, 1f);
  }

  @Test @DisplayName("A bad --window value is refused in one line with the accepted forms")
  void badWindowOption() {
    for (String bad : List.of("abc", "100", "100,0", "1,2,3", "nan,5")) {
      assertThatThrownBy(() -> pixels("cxr-16bit-window.dcm", Map.of("window", bad))).isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("--window '" + bad + "'").hasMessageContaining("minmax");
    }
  }

  @Test @DisplayName("The metadata holds only technical facts: syntax, photometric, bits, rescale, window, spacing, size")
  void metadata() {
    DecodedImage d = ImageReaders.installed().read(ImageSource.of(DIR.resolve("cxr-16bit-window.dcm")), ImageReadOptions.defaults()).get(0);
    assertThat(d.metadata().keySet()).containsExactlyInAnyOrder("format", "transferSyntax", "transferSyntaxName",
        "photometricInterpretation", "bitsAllocated", "bitsStored", "signed", "rescale", "window", "pixelSpacingMm",
        "pixelSpacingFrom", "size");
    assertThat(d.metadata().get("rescale")).isEqualTo(Map.of("slope", 2.0, "intercept", -100.0));
    assertThat(d.metadata().get("pixelSpacingMm")).isEqualTo(List.of(0.7, 0.7));
    assertThat(d.metadata().get("size")).isEqualTo(List.of(256, 256));
    assertThat(d.metadata().get("transferSyntax")).isEqualTo("1.2.840.10008.1.2.1");
  }

  @Test @DisplayName("Nothing from the marker file's identifying attributes is in the metadata, the notes or the stem")
  void noPatientData() throws Exception {
    List<String> markers = Files.readAllLines(DIR.resolve("markers.txt")).stream().filter(s -> !s.isBlank()).toList();
    assertThat(markers).hasSizeGreaterThan(20);
    LoadedImage li = Images.load(DIR.resolve("phi-marker.dcm"), SPEC).get(0);
    String all = li.stem() + li.notes() + li.source();
    for (String m : markers) {
      assertThat(all).doesNotContain(m);
      for (String part : m.split("\\^")) assertThat(all).doesNotContain(part);
    }
    assertThat(li.tensor().toArray()).containsExactly(pixels("cxr.png"));
  }

  @Test @DisplayName("Concurrent reads (ImageJ's static state is serialised) give the single-threaded pixels")
  void concurrent() throws Exception {
    List<String> files = List.of("cxr-16bit-window.dcm", "cxr-mono1-8bit.dcm", "cxr-signed-16bit.dcm", "cxr-12bit.dcm");
    List<float[]> want = files.stream().map(DicomReaderTest::pixels).toList();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<float[]>> fs = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        String f = files.get(i % files.size());
        fs.add(pool.submit(() -> pixels(f)));
      }
      for (int i = 0; i < fs.size(); i++) assertThat(fs.get(i).get()).containsExactly(want.get(i % files.size()));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test @DisplayName("Bytes with a name (as Spark reads them) decode like the file")
  void fromBytes() throws Exception {
    byte[] b = Files.readAllBytes(DIR.resolve("IM000001"));
    LoadedImage li = Images.load("hdfs://nn/pacs/IM000001", b, SPEC, Map.of()).get(0);
    assertThat(li.tensor().toArray()).containsExactly(pixels("cxr.png"));
  }

  @ParameterizedTest(name = "the demo's {0} shows the pixels of {1}")
  @CsvSource({"nodule-10100000-dicom.dcm, nodule-10100000.png, 1e-6", "effusion-10100001-dicom.dcm, effusion-10100001.png, 0"})
  void demoSamples(String dcm, String png, double tolerance) {
    Path samples = Path.of("../runtime/src/main/resources/org/xcam/fixtures/phantom-cxr/samples");
    InputSpec spec = new InputSpec(1, 64, 64, new float[] {0f}, new float[] {1f});
    float[] a = Images.load(samples.resolve(dcm), spec).get(0).tensor().toArray();
    float[] b = Images.load(samples.resolve(png), spec).get(0).tensor().toArray();
    assertThat(maxDiff(a, b)).isLessThanOrEqualTo(tolerance);
  }

  @Nested @DisplayName("Refusals: one line with the reason and the fix, for each kind the issue lists")
  class Refusals {
    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
        "jpeg-baseline.dcm|JPEG Baseline (Process 1)|dcmdjpeg",
        "jpeg-extended.dcm|JPEG Extended (Process 2 & 4)|dcmdjpeg",
        "jpeg-lossless.dcm|JPEG Lossless, Non-Hierarchical (Process 14)|dcmdjpeg",
        "jpeg-lossless-sv1.dcm|First-Order Prediction|dcmdjpeg",
        "jpeg-ls.dcm|JPEG-LS Lossless|dcmdjpls",
        "jpeg-ls-near.dcm|JPEG-LS Lossy (Near-Lossless)|dcmdjpls",
        "jpeg2000.dcm|JPEG 2000 (1.2.840.10008.1.2.4.91)|gdcmconv --raw",
        "jpeg2000-lossless.dcm|JPEG 2000 (Lossless Only)|gdcmconv --raw",
        "rle.dcm|RLE Lossless|dcmdrle",
        "deflated.dcm|Deflated Explicit VR Little Endian|dcmconv +te",
        "big-endian.dcm|Explicit VR Big Endian|dcmconv +te",
        "multiframe.dcm|multi-frame image (3 frames)|export the frame",
        "colour-rgb.dcm|colour DICOM (RGB, 3 samples per pixel)|convert it to grayscale",
        "not-dicom.dcm|is not a DICOM file|DICOM Part 10",
        "truncated.dcm|is truncated|re-export"})
    void refused(String file, String reason, String fix) {
      assertThatThrownBy(() -> Images.load(DIR.resolve("refuse").resolve(file), SPEC)).isInstanceOf(InvalidInputException.class)
          .hasMessageContaining(file).hasMessageContaining(reason).hasMessageContaining(fix)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test @DisplayName("Compressed syntaxes also suggest a reader plugin")
    void pluginHint() {
      assertThatThrownBy(() -> Images.load(DIR.resolve("refuse/jpeg-baseline.dcm"), SPEC)).hasMessageContaining("reader plugin");
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
        "bad-window.dcm|invalid window (centre 100.0, width 0.0|--window C,W",
        "voi-lut-sequence.dcm|VOI LUT Sequence|--window minmax",
        "modality-lut-sequence.dcm|Modality LUT Sequence|rescale slope/intercept"})
    void refusedDisplayMappings(String file, String reason, String fix) {
      refused(file, reason, fix);
    }

    @Test @DisplayName("A VOI LUT Sequence is no refusal when the user chooses a window")
    void voiLutWithWindow() {
      assertThat(Images.load(DIR.resolve("refuse/voi-lut-sequence.dcm"), SPEC, Map.of("window", "minmax"))).hasSize(1);
    }
  }
}
