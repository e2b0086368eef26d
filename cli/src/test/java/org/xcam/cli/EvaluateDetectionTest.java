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

class EvaluateDetectionTest {
  @Test @DisplayName("evaluate --task detection scores every installed detector (ADPD with and without fusion, CAM boxes) on its sample models; AP values lie in [0,1] and mAP is their mean")
  @SuppressWarnings("unchecked")
  void detection(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("det");
    var r = ExplainCommandTest.xcam("evaluate", "--task", "detection", "--dataset", "phantom:24:7", "--methods", "gradcam",
        "--no-progress", "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(Files.readString(out.resolve("detection.md")))
        .contains("| adpd | Loc-ADPD |", "| adpd-no-wbf | MIL-ADPD |", "| cam-boxes (gradcam) | phantom-pathology-classifier |");
    Map<String, Object> j = (Map<String, Object>) Json.parse(Files.readString(out.resolve("detection.json")));
    assertThat(((Number) j.get("images")).intValue()).isEqualTo(24);
    for (Object o : (List<Object>) j.get("rows")) {
      Map<String, Object> row = (Map<String, Object>) o;
      List<Object> ap = (List<Object>) row.get("apAtIou0.1to0.7");
      assertThat(ap).hasSize(7);
      double mean = ap.stream().mapToDouble(v -> ((Number) v).doubleValue()).average().orElseThrow();
      for (Object v : ap) assertThat(((Number) v).doubleValue()).isBetween(0.0, 1.0);
      assertThat(((Number) row.get("mAP")).doubleValue()).isCloseTo(mean, org.assertj.core.api.Assertions.within(1e-9));
    }
  }

  @Test @DisplayName("evaluate --task detection on a dataset without zone boxes says what it needs, exit 2")
  void needsPhantoms(@TempDir Path dir) {
    var r = ExplainCommandTest.xcam("evaluate", "--task", "detection", "--dataset", "nih:a.csv:imgs", "--methods", "gradcam",
        "--out", dir.resolve("x").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("phantom:N");
  }
}
