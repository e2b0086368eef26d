package org.xcam.plugins.anatomy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.Box;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Tensor;
import org.xcam.plugins.anatomy.AnatomySpec.BoxFormat;

/**
 * ADPD inference on hand-made outputs. Image 100 wide, 200 high. Regions (cxcywh, normalised):
 * right lung (.25,.5,.4,.6) -> [5,40,45,160]; left lung (.75,.5,.4,.6) -> [55,40,95,160];
 * heart (.5,.6,.4,.3) -> [30,90,70,150]. Pathology probabilities [cardiomegaly, effusion]:
 * right lung [.1,.7], left lung [.2,.6], heart [.8,.55].
 */
class AdpdDecoderTest {
  private static final double TOL = 1e-5;
  private static final AnatomySpec SPEC = AnatomySpec.of(List.of("right lung", "left lung", "heart"),
      List.of("cardiomegaly", "effusion"), BoxFormat.CXCYWH);

  private static float[] row(float heartPresence) {
    return new float[] {
        .25f, .5f, .4f, .6f, .75f, .5f, .4f, .6f, .5f, .6f, .4f, .3f,   // boxes
        .9f, .8f, heartPresence,                                      // presence
        .1f, .7f, .2f, .6f, .8f, .55f};                               // probs [R][P]
  }

  private static void assertBox(Box b, String label, double x0, double y0, double x1, double y1, double s) {
    assertThat(b.label()).isEqualTo(label);
    assertThat(new double[] {b.x0(), b.y0(), b.x1(), b.y1(), b.score()})
        .containsExactly(new double[] {x0, y0, x1, y1, s}, within(TOL));
  }

  @Test
  @DisplayName("region boxes are scaled to pixels with their presence as score")
  void regions() {
    AdpdResult r = new AdpdDecoder(SPEC, AdpdDecoder.Config.defaults()).decode(row(.95f), 100, 200);
    assertBox(r.regions().get(0), "right lung", 5, 40, 45, 160, .9);
    assertBox(r.regions().get(1), "left lung", 55, 40, 95, 160, .8);
    assertBox(r.regions().get(2), "heart", 30, 90, 70, 150, .95);
  }

  @Test
  @DisplayName("threshold 0.5 then WBF (IoU 0.03, conf max) fuses heart into the right lung's effusion box")
  void thresholdAndFusion() {
    // effusion candidates, by score: right lung .7, left lung .6, heart .55.
    // left lung vs right lung: IoU 0 -> new cluster. heart vs right lung: inter 15*60 = 900,
    // union 4800 + 2400 - 900 = 6300, IoU 0.1429; vs left lung the same 0.1429; the first cluster wins the tie.
    // fused (s .7 and .55, sum 1.25): x0 = (3.5 + 16.5)/1.25 = 16, y0 = (28 + 49.5)/1.25 = 62,
    // x1 = (31.5 + 38.5)/1.25 = 56, y1 = (112 + 82.5)/1.25 = 155.6; conf = max = .7
    AdpdResult r = new AdpdDecoder(SPEC, AdpdDecoder.Config.defaults()).decode(row(.95f), 100, 200);
    assertThat(r.candidates()).hasSize(4);
    assertThat(r.detections()).hasSize(3);
    assertBox(r.detections().get(0), "cardiomegaly", 30, 90, 70, 150, .8);
    assertBox(r.detections().get(1), "effusion", 16, 62, 56, 155.6, .7);
    assertBox(r.detections().get(2), "effusion", 55, 40, 95, 160, .6);
  }

  @Test
  @DisplayName("without WBF every thresholded region is a box; top-1 keeps the best per class")
  void noFusionAndTop1() {
    AdpdResult raw = new AdpdDecoder(SPEC, AdpdDecoder.Config.defaults().withWbf(false)).decode(row(.95f), 100, 200);
    assertThat(raw.detections().stream().mapToDouble(Box::score).toArray()).containsExactly(new double[] {.8, .7, .6, .55}, within(TOL));
    AdpdResult top = new AdpdDecoder(SPEC, AdpdDecoder.Config.defaults().withTop1(true)).decode(row(.95f), 100, 200);
    assertThat(top.detections()).hasSize(2);
    assertBox(top.detections().get(1), "effusion", 16, 62, 56, 155.6, .7);
    AdpdResult high = new AdpdDecoder(SPEC, AdpdDecoder.Config.defaults().withThreshold(.75)).decode(row(.95f), 100, 200);
    assertThat(high.detections()).extracting(Box::label).containsExactly("cardiomegaly");
  }

  @Test
  @DisplayName("a region whose presence is below 0.5 yields no pathology box")
  void presenceGate() {
    AdpdResult r = new AdpdDecoder(SPEC, AdpdDecoder.Config.defaults()).decode(row(.3f), 100, 200);
    assertThat(r.detections()).extracting(Box::label).containsExactly("effusion", "effusion");
    assertBox(r.detections().get(0), "effusion", 5, 40, 45, 160, .7);
  }

  @Test
  @DisplayName("MIL image probability: r = infinity gives the best region, r = 0 the sigmoid of the mean logit")
  void milLimits() {
    AdpdResult inf = new AdpdDecoder(SPEC, AdpdDecoder.Config.defaults().withLseR(Double.POSITIVE_INFINITY)).decode(row(.95f), 100, 200);
    assertThat(inf.imageProbabilities().get("effusion")).isCloseTo(.7, within(1e-6));
    assertThat(inf.imageProbabilities().get("cardiomegaly")).isCloseTo(.8, within(1e-6));
    AdpdResult zero = new AdpdDecoder(SPEC, AdpdDecoder.Config.defaults().withLseR(0)).decode(row(.95f), 100, 200);
    // cardiomegaly logits: log(1/9), log(1/4), log(4) -> mean log(1/9)/3 -> sigmoid = 1/(1 + 9^(1/3)) = 0.3246665
    assertThat(zero.imageProbabilities().get("cardiomegaly")).isCloseTo(1 / (1 + Math.cbrt(9)), within(1e-6));
    // effusion, r = 5: logits .8473, .4055, .2007 -> LSE_5 = .6551 -> sigmoid .658225 (worked in a calculator)
    AdpdResult five = new AdpdDecoder(SPEC, AdpdDecoder.Config.defaults()).decode(row(.95f), 100, 200);
    assertThat(five.imageProbabilities().get("effusion")).isCloseTo(0.658224765, within(1e-6));
  }

  @Test
  @DisplayName("many-to-one mapping: class 'any' is the mean of cardiomegaly and effusion per region")
  void manyToOne() {
    AnatomySpec spec = AnatomySpec.fromManifest(Map.of(
        "regions", List.of("right lung", "left lung", "heart"),
        "pathologies", List.of("cardiomegaly", "effusion"),
        "boxFormat", "cxcywh",
        "classes", Map.of("any", List.of("cardiomegaly", "effusion"))));
    AdpdResult r = new AdpdDecoder(spec, AdpdDecoder.Config.defaults()).decode(row(.95f), 100, 200);
    // any: right lung (.1+.7)/2 = .4, left lung .4, heart (.8+.55)/2 = .675 -> only the heart passes 0.5
    assertThat(r.classProbabilities()[0][0]).isCloseTo(.4, within(TOL));
    assertThat(r.detections()).hasSize(1);
    assertBox(r.detections().get(0), "any", 30, 90, 70, 150, .675);
    assertThatThrownBy(() -> AnatomySpec.fromManifest(Map.of("regions", List.of("a"), "pathologies", List.of("p"),
        "classes", Map.of("x", List.of("q"))))).isInstanceOf(InvalidInputException.class).hasMessageContaining("'q'");
  }

  @Test
  @DisplayName("xyxy boxes and a batch [N, K] decode row by row; a wrong K is a one-line error")
  void xyxyAndBatch() {
    AnatomySpec spec = AnatomySpec.of(List.of("zone"), List.of("nodule"), BoxFormat.XYXY);
    float[] a = {.1f, .2f, .3f, .4f, 1f, .9f};
    float[] b = {.5f, .5f, .6f, .7f, 1f, .1f};
    float[] both = new float[12];
    System.arraycopy(a, 0, both, 0, 6);
    System.arraycopy(b, 0, both, 6, 6);
    List<AdpdResult> r = new AdpdDecoder(spec, AdpdDecoder.Config.defaults()).decode(Tensor.wrap(both, 2, 6), 10, 10);
    assertBox(r.get(0).detections().get(0), "nodule", 1, 2, 3, 4, .9);
    assertThat(r.get(1).detections()).isEmpty();
    assertThat(spec.flatLabels()).containsExactly("box.zone.x0", "box.zone.y0", "box.zone.x1", "box.zone.y1",
        "presence.zone", "prob.zone.nodule");
    assertThatThrownBy(() -> new AdpdDecoder(spec, AdpdDecoder.Config.defaults()).decode(Tensor.zeros(1, 7), 10, 10))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("[N, 6]");
  }
}
