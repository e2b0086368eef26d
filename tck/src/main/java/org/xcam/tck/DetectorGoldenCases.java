package org.xcam.tck;

import java.util.List;
import java.util.Map;
import org.xcam.api.Box;
import org.xcam.api.DetectRequest;
import org.xcam.api.Model;
import org.xcam.api.Tensor;
import org.xcam.tck.fixtures.AnatomyTableModel;
import org.xcam.tck.fixtures.BandClassifier;

/**
 * Hand-worked cases for {@link DetectorCompatibilityKit#goldenCases()}, each with the arithmetic in its comment, for
 * detectors that follow the ADPD paper's decoding (Müller et al., MICCAI 2023: a region whose class probability is
 * strictly above 0.5 and whose presence is at least 0.5 is a box of that class) with and without its weighted box
 * fusion (IoU threshold 0.03, confidence {@code max}), and for CAM-derived boxes (largest 8-connected component of the
 * pixels at least 0.5 of the map's maximum, scored by the class probability). None of these numbers comes from code
 * under test.
 *
 * <pre>{@code
 * class AdpdCompatibilityTest extends DetectorCompatibilityKit {
 *   protected DetectorProvider provider() { return new AdpdDetectorProvider(); }
 *   protected List<GoldenCase> goldenCases() { return DetectorGoldenCases.adpdWbf(); }
 * }
 * }</pre>
 */
public final class DetectorGoldenCases {
  private DetectorGoldenCases() { }

  /**
   * One case: the model, the image, the frame, and the boxes (label, score, coordinates) the detector must return, in
   * any order.
   *
   * @param description  what the case shows
   * @param model        the model
   * @param image        {@code [1, C, H, W]}
   * @param frame        the frame boxes are reported in
   * @param withKitMethod whether the request carries the kit's method ({@link BandClassifier#explainer()})
   * @param expected     the boxes
   * @param imageScores  image-level scores the detector must give (empty: not checked)
   * @param tolerance    absolute tolerance on coordinates and scores
   */
  public record GoldenCase(String description, Model model, Tensor image, DetectRequest.Frame frame, boolean withKitMethod,
                           List<Box> expected, Map<String, Double> imageScores, double tolerance) {
    @Override public String toString() { return description; }
  }

  // Frame 100 x 200 (W x H): normalised x is multiplied by 100, y by 200. Regions r0..r3, pathologies effusion, nodule.
  //   r0 xyxy [0, 0, .5, .25]        -> [0, 0, 50, 50]        presence .9  effusion .9  nodule .2
  //   r1 xyxy [.466, 0, .966, .25]   -> [46.6, 0, 96.6, 50]   presence .8  effusion .6  nodule .5 (not above .5)
  //   r2 xyxy [0, .5, .5, .75]       -> [0, 100, 50, 150]     presence .4 (below .5: never a box)  nodule .95
  //   r3 xyxy [.6, .6, 1.2, .9]      -> [60, 120, 120, 180], clipped to the frame: [60, 120, 100, 180]
  //                                                           presence .7  effusion .1  nodule .8
  // effusion boxes r0 (.9) and r1 (.6): intersection 3.4 x 50 = 170, union 2500 + 2500 - 170 = 4830,
  // IoU = 0.0352 > 0.03, so WBF fuses them; coordinates weighted by score (sum 1.5):
  //   x0 = (.9 * 0 + .6 * 46.6) / 1.5 = 18.64    x1 = (.9 * 50 + .6 * 96.6) / 1.5 = 68.64    y0 = 0, y1 = 50
  //   confidence max = .9
  // nodule: only r3 (a single box is unchanged): [60, 120, 100, 180], .8.
  // Second row: r1 moved right by 1 pixel, [.476, 0, .976, .25] -> [47.6, 0, 97.6, 50]: intersection 2.4 x 50 = 120,
  // union 4880, IoU = 0.0246 < 0.03: no fusion even with WBF.
  private static final List<String> REGIONS4 = List.of("r0", "r1", "r2", "r3");
  private static final List<String> PATHS2 = List.of("effusion", "nodule");

  private static float[] row(float r1x0, float r1x1) {
    return new float[] {
        0f, 0f, .5f, .25f,   r1x0, 0f, r1x1, .25f,   0f, .5f, .5f, .75f,   .6f, .6f, 1.2f, .9f,   // boxes
        .9f, .8f, .4f, .7f,                                                                     // presence
        .9f, .2f,   .6f, .5f,   .1f, .95f,   .1f, .8f};                                         // probs [region][pathology]
  }

  private static AnatomyTableModel fusionModel() {
    return new AnatomyTableModel(REGIONS4, PATHS2, "xyxy", new float[][] {row(.466f, .966f), row(.476f, .976f)});
  }

  // cxcywh, frame 100 x 200, one pathology (effusion), two regions, both presence .9 and P(effusion) .7:
  //   r0 (.5, .5, .2, .4)    -> x 50 -+ 10, y 100 -+ 40 -> [40, 60, 60, 140]
  //   r1 (.25, .25, .1, .1)  -> x 25 -+ 5,  y 50 -+ 10  -> [20, 40, 30, 60]
  // disjoint (IoU 0), so both stay boxes with .7, fused or not. Every region has q = .7, so any pooling of the region
  // logits (LSE, max, mean) gives the image-level probability .7.
  private static AnatomyTableModel cxcywhModel() {
    return new AnatomyTableModel(List.of("r0", "r1"), List.of("effusion"), "cxcywh", new float[][] {{
        .5f, .5f, .2f, .4f,   .25f, .25f, .1f, .1f,
        .9f, .9f,
        .7f, .7f}});
  }

  private static final DetectRequest.Frame FRAME = new DetectRequest.Frame(100, 200);

  private static Box box(double x0, double y0, double x1, double y1, String label, double score) {
    return new Box(x0, y0, x1, y1, label, score);
  }

  /** ADPD decoding with weighted box fusion at IoU 0.03, confidence max (the {@code adpd} detector's defaults). */
  public static List<GoldenCase> adpdWbf() {
    AnatomyTableModel f = fusionModel(), c = cxcywhModel();
    return List.of(
        new GoldenCase("IoU 0.035 > 0.03: two effusion regions fuse to [18.64, 0, 68.64, 50] scored 0.9; the lone nodule region"
            + " stays as it is, clipped to the frame; presence 0.4 and probability exactly 0.5 give no box",
            f, f.image(0), FRAME, false,
            List.of(box(18.64, 0, 68.64, 50, "effusion", .9), box(60, 120, 100, 180, "nodule", .8)), Map.of(), 1e-4),
        new GoldenCase("IoU 0.025 < 0.03: the two effusion regions stay apart",
            f, f.image(1), FRAME, false,
            List.of(box(0, 0, 50, 50, "effusion", .9), box(47.6, 0, 97.6, 50, "effusion", .6), box(60, 120, 100, 180, "nodule", .8)),
            Map.of(), 1e-4),
        new GoldenCase("cxcywh boxes in a 100 x 200 frame: [40, 60, 60, 140] and [20, 40, 30, 60]; image probability 0.7",
            c, c.image(0), FRAME, false,
            List.of(box(40, 60, 60, 140, "effusion", .7), box(20, 40, 30, 60, "effusion", .7)), Map.of("effusion", .7), 1e-4));
  }

  /** ADPD decoding without fusion (the {@code adpd-no-wbf} detector): every positive region is a box. */
  public static List<GoldenCase> adpdNoWbf() {
    AnatomyTableModel f = fusionModel(), c = cxcywhModel();
    return List.of(
        new GoldenCase("without fusion both effusion regions are boxes; presence 0.4 and probability exactly 0.5 give none",
            f, f.image(0), FRAME, false,
            List.of(box(0, 0, 50, 50, "effusion", .9), box(46.6, 0, 96.6, 50, "effusion", .6), box(60, 120, 100, 180, "nodule", .8)),
            Map.of(), 1e-4),
        new GoldenCase("cxcywh boxes in a 100 x 200 frame: [40, 60, 60, 140] and [20, 40, 30, 60]; image probability 0.7",
            c, c.image(0), FRAME, false,
            List.of(box(40, 60, 60, 140, "effusion", .7), box(20, 40, 30, 60, "effusion", .7)), Map.of("effusion", .7), 1e-4));
  }

  // BandClassifier, 12 x 12, bands of columns 0-3 (effusion), 4-7 (nodule), 8-11 (cardiomegaly); frame 24 x 36
  // (x times 2, y times 3).
  //   band 0: 1.0 at columns 1-2, rows 3-6 (8 pixels), and 0.4 at (0, 0), below half the maximum: component
  //           [1, 3, 3, 7] -> [2, 9, 6, 21]; logit 4 * 8.4 / 48 - 1 = -0.3, score sigmoid(-0.3) = 0.425557
  //   band 1: a single 1.0 at (5, 9) and a 2 x 2 block of 0.8 at columns 6-7, rows 0-1: the block is the larger
  //           component (4 pixels >= 0.5): [6, 0, 8, 2] -> [12, 0, 16, 6]; logit 4 * 4.2 / 48 - 1 = -0.65,
  //           score sigmoid(-0.65) = 0.342990
  //   band 2: all zero: the map is constant, no box.
  /** CAM-derived boxes (the {@code cam-boxes} detector) with the kit's band method. */
  public static List<GoldenCase> camBoxes() {
    int s = BandClassifier.SIZE;
    float[] p = new float[s * s];
    for (int y = 3; y <= 6; y++) for (int x = 1; x <= 2; x++) p[y * s + x] = 1f;
    p[0] = .4f;
    p[9 * s + 5] = 1f;
    for (int y = 0; y <= 1; y++) for (int x = 6; x <= 7; x++) p[y * s + x] = .8f;
    BandClassifier m = new BandClassifier();
    return List.of(new GoldenCase("the largest component of each class's map, scaled to a 24 x 36 frame, scored by"
        + " sigmoid(4 * band mean - 1); an empty band gives no box",
        m, BandClassifier.image(p), new DetectRequest.Frame(24, 36), true,
        List.of(box(2, 9, 6, 21, "effusion", 1 / (1 + Math.exp(.3))), box(12, 0, 16, 6, "nodule", 1 / (1 + Math.exp(.65)))),
        Map.of(), 1e-6));
  }
}
