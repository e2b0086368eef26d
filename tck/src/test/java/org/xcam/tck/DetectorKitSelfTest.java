package org.xcam.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.xcam.tck.KitSelfTest.failedGroups;
import static org.xcam.tck.KitSelfTest.succeeded;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.spi.DetectorProvider;
import org.xcam.tck.DetectorGoldenCases.GoldenCase;
import org.xcam.tck.broken.TestDetectors;

/**
 * The detector kit is tested itself: it passes on independent ADPD decoders (with and without fusion) and CAM-box
 * cutter written in this module, golden values included, and fails, in the right group, on deliberately broken ones.
 */
class DetectorKitSelfTest {
  static class GoodNoWbfKit extends DetectorCompatibilityKit {
    @Override protected DetectorProvider provider() { return new TestDetectors.GoodNoWbf(); }
    @Override protected List<GoldenCase> goldenCases() { return DetectorGoldenCases.adpdNoWbf(); }
  }

  static class GoodWbfKit extends DetectorCompatibilityKit {
    @Override protected DetectorProvider provider() { return new TestDetectors.GoodWbf(); }
    @Override protected List<GoldenCase> goldenCases() { return DetectorGoldenCases.adpdWbf(); }
  }

  static class GoodCamKit extends DetectorCompatibilityKit {
    @Override protected DetectorProvider provider() { return new TestDetectors.GoodCam(); }
    @Override protected List<GoldenCase> goldenCases() { return DetectorGoldenCases.camBoxes(); }
  }

  static class WrongIouKit extends DetectorCompatibilityKit {
    @Override protected DetectorProvider provider() { return new TestDetectors.WrongIou(); }
    @Override protected List<GoldenCase> goldenCases() { return DetectorGoldenCases.adpdWbf(); }
  }

  /** A fusion-free decoder checked against the fused golden values: the kit must notice. */
  static class NoWbfAgainstWbfKit extends DetectorCompatibilityKit {
    @Override protected DetectorProvider provider() { return new TestDetectors.GoodNoWbf(); }
    @Override protected List<GoldenCase> goldenCases() { return DetectorGoldenCases.adpdWbf(); }
  }

  static class NoClipKit extends DetectorCompatibilityKit {
    @Override protected DetectorProvider provider() { return new TestDetectors.NoClip(); }
  }

  static class ScoreLogitKit extends DetectorCompatibilityKit {
    @Override protected DetectorProvider provider() { return new TestDetectors.ScoreLogit(); }
  }

  static class FirstRegionKit extends DetectorCompatibilityKit {
    @Override protected DetectorProvider provider() { return new TestDetectors.FirstRegion(); }
  }

  static class InflatedKit extends DetectorCompatibilityKit {
    @Override protected DetectorProvider provider() { return new TestDetectors.Inflated(); }
  }

  static class RandomKit extends DetectorCompatibilityKit {
    @Override protected DetectorProvider provider() { return new TestDetectors.RandomScores(); }
  }

  static class CamNoCheckKit extends DetectorCompatibilityKit {
    @Override protected DetectorProvider provider() { return new TestDetectors.CamNoCheck(); }
    @Override protected List<GoldenCase> goldenCases() { return DetectorGoldenCases.camBoxes(); }
  }

  @Test @DisplayName("The kit passes on an independent ADPD decoder without fusion, golden values included")
  void goodNoWbf() {
    assertThat(failedGroups(GoodNoWbfKit.class)).isEmpty();
    assertThat(succeeded(GoodNoWbfKit.class)).isGreaterThanOrEqualTo(15);
  }

  @Test @DisplayName("The kit passes on an independent ADPD decoder with WBF at IoU 0.03, conf max, golden values included")
  void goodWbf() {
    assertThat(failedGroups(GoodWbfKit.class)).isEmpty();
    assertThat(succeeded(GoodWbfKit.class)).isGreaterThanOrEqualTo(15);
  }

  @Test @DisplayName("The kit passes on independent CAM-derived boxes, golden values included")
  void goodCam() {
    assertThat(failedGroups(GoodCamKit.class)).isEmpty();
    assertThat(succeeded(GoodCamKit.class)).isGreaterThanOrEqualTo(10);
  }

  @Test @DisplayName("Fusion at IoU 0.1 instead of 0.03 fails the golden values, and only them")
  void wrongIou() { assertThat(failedGroups(WrongIouKit.class)).containsExactly("Golden values"); }

  @Test @DisplayName("A decoder without fusion fails the fused golden values")
  void noWbfAgainstWbf() { assertThat(failedGroups(NoWbfAgainstWbfKit.class)).containsExactly("Golden values"); }

  @Test @DisplayName("Boxes not clipped to the image fail the Contract group")
  void noClip() { assertThat(failedGroups(NoClipKit.class)).contains("Contract"); }

  @Test @DisplayName("Scores outside [0, 1] fail the Contract group")
  void scoreLogit() { assertThat(failedGroups(ScoreLogitKit.class)).contains("Contract"); }

  @Test @DisplayName("A detector that depends on the order of the regions fails the Region order group")
  void firstRegion() { assertThat(failedGroups(FirstRegionKit.class)).contains("Region order"); }

  @Test @DisplayName("Fused boxes that grow beyond their cluster fail the Fusion invariants, and only them")
  void inflated() { assertThat(failedGroups(InflatedKit.class)).containsExactly("Fusion invariants"); }

  @Test @DisplayName("Scores that change from call to call fail the Contract group (determinism, batch = singles)")
  void random() { assertThat(failedGroups(RandomKit.class)).contains("Contract"); }

  @Test @DisplayName("A CAM-box detector that does not check for its method fails the Errors group, and only it")
  void camNoCheck() { assertThat(failedGroups(CamNoCheckKit.class)).containsExactly("Errors"); }
}
