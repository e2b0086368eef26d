package org.xcam.cli.eval;

import org.xcam.plugins.anatomy.AdpdFixtures;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.runtime.Xcam;
import org.xcam.tck.fixtures.Reference;

class DetectionEvaluationTest {
  @Test
  @DisplayName("on 40 phantoms: ADPD rows with and without WBF and a heatmap-box row, values in [0,1], a Table-1 shaped table")
  void smallRun() {
    var s = DetectionEvaluation.Settings.defaults().withCount(40).withSeed(500)
        .withAdpdBundles(Map.of("Loc-ADPD", AdpdFixtures.bundle("loc")))
        .withClassifier(Reference.bundle()).withCamMethods(List.of("test-intensity", "no-such-method"));
    var r = DetectionEvaluation.run(Xcam.create(), s, null);
    // the reference classifier knows normal, nodule, effusion: only nodule and effusion are scored
    assertThat(r.classes()).containsExactlyInAnyOrder("nodule", "effusion");
    assertThat(r.rows()).extracting(DetectionEvaluation.Row::method).containsExactly("Loc-ADPD", "Loc-ADPD w/o WBF", "test-intensity");
    for (var row : r.rows()) {
      assertThat(row.ap()).hasSize(7);
      for (double v : row.ap()) assertThat(v).isBetween(0.0, 1.0);
      assertThat(row.map()).isBetween(0.0, 1.0);
      assertThat(row.locAcc()).isBetween(0.0, 1.0);
    }
    assertThat(r.notes()).anyMatch(n -> n.contains("no-such-method"));
    String md = DetectionEvaluation.markdown(r);
    assertThat(md).contains("| Method | Box supervision | AP@0.1").contains("| Loc-ADPD w/o WBF |").contains("AP@0.5 per class");
  }
}
