package org.xcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.bundle.Json;
import org.xcam.cli.ExplainCommandTest.Run;
import org.xcam.runtime.Xcam;
import org.xcam.runtime.phantom.PhantomGenerator;

/** {@code xcam detect} through the detector SPI, on the sample models the anatomy plugin ships (found through the SPI too). */
class DetectCommandTest {
  static Path sample(String detector, String label) { return Xcam.create().detectorProvider(detector).sampleModels().get(label); }

  static Path phantom(Path dir, long seed, String kind) {
    Path p = dir.resolve(kind + seed + ".npy");
    PhantomGenerator.generate(seed, 64, kind).normalized(0.5, 0.25).writeNpy(p);
    return p;
  }

  @Test @DisplayName("the default detector (adpd) on a cardiomegaly phantom: a cardiomegaly box made from the heart region, seven regions, boxes.json and overlay")
  @SuppressWarnings("unchecked")
  void adpd(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    Run r = ExplainCommandTest.xcam("detect", "--model", sample("adpd", "Loc-ADPD").toString(), "--out", out.toString(),
        phantom(dir, 100, "cardiomegaly").toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(out.resolve("cardiomegaly100.detect.png")).isRegularFile();
    Map<String, Object> j = (Map<String, Object>) Json.parse(Files.readString(out.resolve("cardiomegaly100.boxes.json")));
    assertThat(j.get("detector")).isEqualTo("adpd");
    assertThat((Map<String, Object>) j.get("options")).containsEntry("wbf", "true").containsEntry("threshold", "0.5");
    assertThat((List<Object>) j.get("regions")).hasSize(7);
    List<Map<String, Object>> dets = (List<Map<String, Object>>) j.get("detections");
    Map<String, Object> cardio = dets.stream().filter(d -> d.get("label").equals("cardiomegaly")).findFirst().orElseThrow();
    assertThat(cardio.get("source")).isEqualTo("regions");
    assertThat((List<Object>) cardio.get("from")).contains("heart");
  }

  @Test @DisplayName("--detector cam-boxes --method gradcam on the classifier: boxes cut from the map, provenance the method")
  @SuppressWarnings("unchecked")
  void camBoxes(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    Run r = ExplainCommandTest.xcam("detect", "--detector", "cam-boxes", "--method", "gradcam", "--classes", "effusion,nodule",
        "--model", sample("cam-boxes", "phantom-pathology-classifier").toString(), "--out", out.toString(),
        phantom(dir, 7, "effusion").toString());
    assertThat(r.code()).as(r.err()).isZero();
    Map<String, Object> j = (Map<String, Object>) Json.parse(Files.readString(out.resolve("effusion7.boxes.json")));
    assertThat(j.get("method")).isEqualTo("gradcam");
    List<Map<String, Object>> dets = (List<Map<String, Object>>) j.get("detections");
    assertThat(dets).isNotEmpty().allSatisfy(d -> {
      assertThat(d.get("source")).isEqualTo("map");
      assertThat((List<Object>) d.get("from")).containsExactly("gradcam");
      assertThat(d.get("label")).isIn("effusion", "nodule");
    });
  }

  @Test @DisplayName("wrong detector for the model, unknown detector, missing --method, unknown option: one line, exit 2")
  void errors(@TempDir Path dir) throws Exception {
    Path img = phantom(dir, 1, "effusion");
    String cls = sample("cam-boxes", "phantom-pathology-classifier").toString();
    String[][] cases = {
        {"detect", "--model", cls, "--out", dir.resolve("a").toString(), img.toString()},
        {"detect", "--detector", "adpdd", "--model", cls, "--out", dir.resolve("b").toString(), img.toString()},
        {"detect", "--detector", "cam-boxes", "--model", cls, "--out", dir.resolve("c").toString(), img.toString()},
        {"detect", "--option", "treshold=0.4", "--model", cls, "--out", dir.resolve("d").toString(), img.toString()}};
    String[] says = {"reads models with task anatomy-detection", "unknown detector 'adpdd'; available: adpd, adpd-no-wbf, cam-boxes",
        "needs a method", "unknown option for detector adpd 'treshold'"};
    for (int i = 0; i < cases.length; i++) {
      Run r = ExplainCommandTest.xcam(cases[i]);
      assertThat(r.code()).as(String.join(" ", cases[i]) + ": " + r.err()).isEqualTo(2);
      assertThat(r.err().strip()).doesNotContain("\n").contains(says[i]);
      assertThat(ExplainCommandTest.files(dir.resolve(String.valueOf((char) ('a' + i))))).noneMatch(f -> f.endsWith(".json"));
    }
  }
}
