package org.xcam.plugins.anatomy;

import java.util.List;
import org.junit.jupiter.api.Nested;
import org.xcam.api.spi.DetectorProvider;
import org.xcam.tck.DetectorCompatibilityKit;
import org.xcam.tck.DetectorGoldenCases;
import org.xcam.tck.DetectorGoldenCases.GoldenCase;

/** The detector kit on the three detectors this plugin registers, each with the kit's hand-worked cases. */
class DetectorsCompatibilityTest {
  @Nested class Adpd extends DetectorCompatibilityKit {
    @Override protected DetectorProvider provider() { return new AdpdDetectorProvider(); }
    @Override protected List<GoldenCase> goldenCases() { return DetectorGoldenCases.adpdWbf(); }
  }

  @Nested class AdpdNoWbf extends DetectorCompatibilityKit {
    @Override protected DetectorProvider provider() { return new AdpdNoWbfDetectorProvider(); }
    @Override protected List<GoldenCase> goldenCases() { return DetectorGoldenCases.adpdNoWbf(); }
  }

  @Nested class CamBoxes extends DetectorCompatibilityKit {
    @Override protected DetectorProvider provider() { return new CamBoxesDetectorProvider(); }
    @Override protected List<GoldenCase> goldenCases() { return DetectorGoldenCases.camBoxes(); }
  }
}
