package org.xcam.runtime.phantom;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.Box;
import org.xcam.api.Tensor;
import org.xcam.api.bundle.Json;

/**
 * The embedded {@code phantom-cxr} fixture bundle (made by {@code tools/phantom/train.py}) is complete and consistent
 * with the Java phantom generator: its sample PNGs, sample boxes and reference inputs are what
 * {@link PhantomGenerator} produces for the recorded seeds (computed independently, in Python).
 */
@DisplayName("phantom-cxr fixture")
class PhantomFixtureTest {
  static final String ROOT = "/org/xcam/fixtures/phantom-cxr/";

  static byte[] bytes(String rel) throws IOException {
    try (InputStream in = PhantomFixtureTest.class.getResourceAsStream(ROOT + rel)) {
      assertThat(in).as("resource %s", rel).isNotNull();
      return in.readAllBytes();
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> json(String rel) throws IOException {
    return (Map<String, Object>) Json.parse(new String(bytes(rel), StandardCharsets.UTF_8));
  }

  @Test
  @DisplayName("files.txt lists every bundle file, and each exists and is not empty")
  @SuppressWarnings("unchecked")
  void filesTxt() throws IOException {
    List<String> files = new String(bytes("files.txt"), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
    Map<String, Object> m = json("xcam-model.json");
    assertThat(files).contains("xcam-model.json", "model.pt", "model.onnx", "reference/logits.json");
    for (String l : (List<String>) m.get("layers")) {
      assertThat(files).contains("layers/" + l + ".head.pt", "layers/" + l + ".tail.pt",
          "reference/" + l + ".gradient.npy", "reference/" + l + ".activation.npy");
    }
    for (String f : files) assertThat(bytes(f)).as(f).isNotEmpty();
  }

  @Test
  @DisplayName("the manifest names the six phantom kinds as labels, 1 x 64 x 64 input, mean 0.5 std 0.25")
  @SuppressWarnings("unchecked")
  void manifest() throws IOException {
    Map<String, Object> m = json("xcam-model.json");
    assertThat(m.get("name")).isEqualTo("phantom-cxr");
    assertThat(m.get("task")).isEqualTo("multiclass");
    assertThat((List<String>) m.get("labels")).containsExactlyElementsOf(PhantomGenerator.KINDS);
    Map<String, Object> in = (Map<String, Object>) m.get("input");
    assertThat(((Number) in.get("channels")).intValue()).isEqualTo(1);
    assertThat(((Number) in.get("height")).intValue()).isEqualTo(64);
    assertThat(((List<Number>) in.get("mean")).get(0).doubleValue()).isEqualTo(0.5);
    assertThat(((List<Number>) in.get("std")).get(0).doubleValue()).isEqualTo(0.25);
  }

  @Test
  @DisplayName("the training record reports more than 90% accuracy on held-out phantoms")
  void accuracy() throws IOException {
    assertThat(((Number) json("training.json").get("held_out_accuracy")).doubleValue()).isGreaterThan(0.9);
  }

  @Test
  @DisplayName("sample PNGs and boxes equal the Java generator's phantoms for the recorded seeds (PNG within 1/255)")
  @SuppressWarnings("unchecked")
  void samples() throws IOException {
    List<Map<String, Object>> samples = (List<Map<String, Object>>) Json.parse(
        new String(bytes("samples/samples.json"), StandardCharsets.UTF_8));
    assertThat(samples).hasSizeGreaterThanOrEqualTo(6);
    for (Map<String, Object> s : samples) {
      // the DICOM versions of two samples are checked against their PNGs by plugins-dicom's DicomReaderTest
      if (String.valueOf(s.get("file")).endsWith(".dcm")) continue;
      Phantom p = PhantomGenerator.generate(((Number) s.get("seed")).longValue(), 64, (String) s.get("kind"));
      assertThat(p.label()).isEqualTo(s.get("label"));
      List<Map<String, Object>> lesions = (List<Map<String, Object>>) s.get("lesions");
      assertThat(p.lesions()).hasSize(lesions.size());
      for (int i = 0; i < lesions.size(); i++) {
        List<Number> b = (List<Number>) lesions.get(i).get("box");
        Box jb = p.lesions().get(i);
        assertThat(new double[] {jb.x0(), jb.y0(), jb.x1(), jb.y1()}).containsExactly(
            b.get(0).doubleValue(), b.get(1).doubleValue(), b.get(2).doubleValue(), b.get(3).doubleValue());
      }
      BufferedImage img;
      try (InputStream in = getClass().getResourceAsStream(ROOT + "samples/" + s.get("file"))) {
        img = ImageIO.read(in);
      }
      assertThat(img.getWidth()).isEqualTo(64);
      int worst = 0;
      for (int y = 0; y < 64; y++) {
        for (int x = 0; x < 64; x++) {
          int expected = Math.round(p.image().get(0, y, x) * 255f);
          worst = Math.max(worst, Math.abs(img.getRaster().getSample(x, y, 0) - expected));
        }
      }
      assertThat(worst).as("sample %s", s.get("file")).isLessThanOrEqualTo(1);
    }
  }

  @Test
  @DisplayName("reference inputs are the Java generator's normalised phantoms for the recorded seeds within 1e-6")
  @SuppressWarnings("unchecked")
  void referenceInputs() throws IOException {
    List<Map<String, Object>> refs = (List<Map<String, Object>>) json("training.json").get("reference_inputs");
    assertThat(refs).isNotEmpty();
    for (Map<String, Object> r : refs) {
      Tensor expected = PhantomGenerator.generate(((Number) r.get("seed")).longValue(), 64, (String) r.get("kind"))
          .normalized(0.5, 0.25);
      Tensor actual;
      try (InputStream in = getClass().getResourceAsStream(ROOT + r.get("file"))) {
        actual = Tensor.readNpy(in);
      }
      assertThat(actual.shape()).containsExactly(1, 64, 64);
      assertThat(actual.maxAbsDiff(expected)).isLessThanOrEqualTo(1e-6);
    }
  }
}
