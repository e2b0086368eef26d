package org.xcam.plugins.anatomy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.xcam.api.Box;
import org.xcam.api.Heatmap;
import org.xcam.api.RegionAttribution;
import org.xcam.api.Model;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.engine.djl.DjlEngineProvider;
import org.xcam.runtime.phantom.Phantom;
import org.xcam.runtime.phantom.PhantomGenerator;

/**
 * The shipped Loc-ADPD fixture, run through DJL on phantoms it never saw (training used seeds from 1,000,000; these
 * use 100..), must find cardiomegaly at the heart and effusion in the affected lung's lower zone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdpdFixtureTest {
  private Model model;
  private AdpdDecoder decoder;

  @BeforeAll
  void load() {
    model = new DjlEngineProvider().load(AdpdFixtures.bundle("loc"), Map.of());
    decoder = new AdpdDecoder(AnatomySpec.of(model.info()), AdpdDecoder.Config.defaults());
  }

  @AfterAll
  void close() { if (model != null) model.close(); }

  private List<Phantom> phantoms(String kind, int n) {
    List<Phantom> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(PhantomGenerator.generate(100 + i, 64, kind));
    return out;
  }

  private List<AdpdResult> detect(List<Phantom> ps) {
    List<Tensor> xs = new ArrayList<>();
    for (Phantom p : ps) xs.add(p.normalized(0.5, 0.25));
    return decoder.detect(model, Tensor.stack(xs), 64, 64);
  }

  @Test
  @DisplayName("the manifest declares anatomy-detection with the phantom's 7 zones and 5 pathologies (K = 7 * 10)")
  void manifest() {
    assertThat(model.info().task()).isEqualTo(Task.ANATOMY_DETECTION);
    assertThat(decoder.spec().regions()).containsExactlyElementsOf(PhantomGenerator.ZONES);
    assertThat(model.info().numOutputs()).isEqualTo(70);
  }

  @Test
  @DisplayName("region boxes match the phantom's zones (mean IoU >= 0.7)")
  void regions() {
    List<Phantom> ps = phantoms(null, 12);
    List<AdpdResult> rs = detect(ps);
    double sum = 0;
    int n = 0;
    for (int i = 0; i < ps.size(); i++) {
      for (Box r : rs.get(i).regions()) {
        sum += r.iou(ps.get(i).zones().get(r.label()));
        n++;
      }
    }
    assertThat(sum / n).isGreaterThanOrEqualTo(0.7);
  }

  @Test
  @DisplayName("cardiomegaly: at least 9 of 10 phantoms get a cardiomegaly box on the heart (IoU >= 0.5 with the lesion box)")
  void cardiomegaly() {
    List<Phantom> ps = phantoms("cardiomegaly", 10);
    List<AdpdResult> rs = detect(ps);
    int hits = 0;
    for (int i = 0; i < ps.size(); i++) {
      Box truth = ps.get(i).lesions().get(0);
      for (Box d : rs.get(i).detections()) {
        if (d.label().equals("cardiomegaly") && d.iou(truth) >= 0.5) { hits++; break; }
      }
    }
    assertThat(hits).isGreaterThanOrEqualTo(9);
  }

  @Test
  @DisplayName("effusion: at least 8 of 10 phantoms get an effusion box on the affected side's lower zone (IoU >= 0.3)")
  void effusion() {
    List<Phantom> ps = phantoms("effusion", 10);
    List<AdpdResult> rs = detect(ps);
    int hits = 0;
    for (int i = 0; i < ps.size(); i++) {
      Phantom p = ps.get(i);
      Box truth = p.lesions().get(0);
      boolean rightSide = truth.x0() + truth.x1() < 64;   // patient right = image left
      Box lower = p.zones().get(rightSide ? "right-lower-lung" : "left-lower-lung");
      for (Box d : rs.get(i).detections()) {
        if (d.label().equals("effusion") && d.iou(truth) >= 0.3 && d.intersection(lower) > 0.5 * lower.area()) { hits++; break; }
      }
    }
    assertThat(hits).isGreaterThanOrEqualTo(8);
  }

  @Test
  @DisplayName("normal phantoms: at most 2 of 10 get any pathology box")
  void normal() {
    List<AdpdResult> rs = detect(phantoms("normal", 10));
    assertThat(rs.stream().filter(r -> !r.detections().isEmpty()).count()).isLessThanOrEqualTo(2);
  }

  @Test
  @DisplayName("MIL-ADPD (image labels only): image-level cardiomegaly probability > 0.5 on >= 8 of 10 cardiomegaly "
      + "phantoms and < 0.5 on >= 8 of 10 normals; its best cardiomegaly box overlaps the heart (IoU >= 0.3) on >= 8")
  void mil() {
    try (Model mil = new DjlEngineProvider().load(AdpdFixtures.bundle("mil"), Map.of())) {
      AdpdDecoder d = new AdpdDecoder(AnatomySpec.of(mil.info()), AdpdDecoder.Config.defaults());
      List<Phantom> cardio = phantoms("cardiomegaly", 10), normal = phantoms("normal", 10);
      List<Tensor> xs = new ArrayList<>();
      for (Phantom p : cardio) xs.add(p.normalized(0.5, 0.25));
      for (Phantom p : normal) xs.add(p.normalized(0.5, 0.25));
      List<AdpdResult> rs = d.detect(mil, Tensor.stack(xs), 64, 64);
      int pos = 0, neg = 0, boxes = 0;
      for (int i = 0; i < 10; i++) {
        if (rs.get(i).imageProbabilities().get("cardiomegaly") > 0.5) pos++;
        if (rs.get(10 + i).imageProbabilities().get("cardiomegaly") < 0.5) neg++;
        Box truth = cardio.get(i).lesions().get(0);
        var best = rs.get(i).detections().stream().filter(b -> b.label().equals("cardiomegaly")).findFirst();
        if (best.isPresent() && best.get().iou(truth) >= 0.3) boxes++;
      }
      assertThat(pos).isGreaterThanOrEqualTo(8);
      assertThat(neg).isGreaterThanOrEqualTo(8);
      assertThat(boxes).isGreaterThanOrEqualTo(8);
    }
  }

  @Test
  @DisplayName("region attribution over the model's predicted regions sums to 1 with 'outside'")
  void attributionWithModelRegions() {
    Phantom p = PhantomGenerator.generate(7, 64, "effusion");
    AdpdResult r = detect(List.of(p)).get(0);
    float[] v = p.image().toArray();
    var s = RegionAttribution.of(Heatmap.of(v, 64, 64, "image", "input", "t", Heatmap.Resolution.INPUT), r.regions(), 64, 64);
    assertThat(s.total()).isCloseTo(1.0, within(1e-9));
    assertThat(s.shares()).hasSize(7);
  }
}
