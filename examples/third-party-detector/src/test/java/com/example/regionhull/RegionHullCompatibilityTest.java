package com.example.regionhull;

import java.util.List;
import java.util.Map;
import org.xcam.api.Box;
import org.xcam.api.DetectRequest;
import org.xcam.api.spi.DetectorProvider;
import org.xcam.tck.DetectorCompatibilityKit;
import org.xcam.tck.DetectorGoldenCases.GoldenCase;
import org.xcam.tck.fixtures.AnatomyTableModel;

/** The whole xcam detector kit for region-hull: discovery, contract, region order, fusion invariants, golden values, errors. */
class RegionHullCompatibilityTest extends DetectorCompatibilityKit {
  @Override protected DetectorProvider provider() { return new RegionHullProvider(); }

  /**
   * Worked by hand, frame 100 x 200 (x times 100, y times 200), xyxy regions:
   * r0 [0, 0, .5, .25] -> [0, 0, 50, 50], presence .9, P(effusion) .9;
   * r1 [.466, 0, .966, .25] -> [46.6, 0, 96.6, 50], presence .8, P(effusion) .6;
   * r2 [0, .5, .5, .75], presence .4 (ignored), P(nodule) .95;
   * r3 [.6, .6, 1.2, .9] -> [60, 120, 100, 180] after clipping, presence .7, P(nodule) .8.
   * effusion: the hull of r0 and r1 = [0, 0, 96.6, 50], scored .9; nodule: r3 alone, .8.
   */
  @Override protected List<GoldenCase> goldenCases() {
    AnatomyTableModel m = new AnatomyTableModel(List.of("r0", "r1", "r2", "r3"), List.of("effusion", "nodule"), "xyxy", new float[][] {{
        0f, 0f, .5f, .25f,   .466f, 0f, .966f, .25f,   0f, .5f, .5f, .75f,   .6f, .6f, 1.2f, .9f,
        .9f, .8f, .4f, .7f,
        .9f, .2f,   .6f, .5f,   .1f, .95f,   .1f, .8f}});
    return List.of(new GoldenCase("the hull of the positive regions per class", m, m.image(0), new DetectRequest.Frame(100, 200), false,
        List.of(new Box(0, 0, 96.6, 50, "effusion", .9), new Box(60, 120, 100, 180, "nodule", .8)), Map.of(), 1e-4));
  }
}
