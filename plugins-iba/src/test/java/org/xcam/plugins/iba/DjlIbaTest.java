package org.xcam.plugins.iba;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.xcam.api.Box;
import org.xcam.api.CountingModel;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.Model;
import org.xcam.api.Passes;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.runtime.Xcam;
import org.xcam.runtime.phantom.Phantom;
import org.xcam.runtime.phantom.PhantomGenerator;
import org.xcam.tck.fixtures.Reference;

/** IBA and Inverse IBA through the DJL engine on the pytorch-grad-cam reference bundle (phantom-small). */
@DisplayName("IBA through DJL on the phantom-small reference bundle")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DjlIbaTest {
  Xcam xcam;
  Model model;
  StatsSource stats;

  @BeforeAll
  void load() {
    xcam = Xcam.create();
    assumeTrue(xcam.engines().containsKey("djl"), "engine-djl is not on the class path");
    model = xcam.load(Reference.bundle(), "djl", Map.of());
    // statistics at both layers from 128 seeded phantoms (the generator the bundle's training data came from)
    Map<String, ActivationStats> s = new java.util.HashMap<>();
    for (String l : model.info().layerNames()) {
      List<Tensor> batches = new ArrayList<>();
      for (int b = 0; b < 4; b++) batches.add(PhantomGenerator.batch(10_000 + 32L * b, 32, 64, 0.5, 0.25));
      s.put(l, ActivationStats.estimate(model.layer(l), batches, ActivationStats.Mode.ELEMENT, "phantom:128:10000"));
    }
    stats = StatsSource.of(s);
  }

  @AfterAll
  void close() { if (model != null) model.close(); }

  @Test
  @DisplayName("costs 1 head + 10 tail + 10 vjp for a batch, gives finite maps and reports total bits")
  void passesAndFinite() {
    Tensor batch = Tensor.concat(List.of(Reference.input(0).unsqueeze(), Reference.input(1).unsqueeze(), Reference.input(2).unsqueeze()));
    for (IbaExplainer e : List.of(IbaExplainer.iba(stats), IbaExplainer.inverse(stats))) {
      CountingModel counted = new CountingModel(model);
      List<Explanation> out = e.explain(counted, ExplainRequest.builder(batch).target(Target.predicted()).seed(3).build());
      assertThat(counted.passes()).isEqualTo(new Passes(0, 1, 10, 10));
      assertThat(out).hasSize(3);
      for (Explanation x : out) {
        assertThat(x.raw().height()).isEqualTo(model.info().layer(model.info().defaultLayer()).height());
        assertThat(((Number) x.extras().get("totalBits")).doubleValue()).isPositive().isFinite();
      }
    }
  }

  @Test
  @DisplayName("on nodule phantoms the bits concentrate in the lesion box more than in the image as a whole (reported)")
  void lesionDensity() {
    IbaExplainer iba = IbaExplainer.iba(stats);
    double sum = 0;
    int n = 0;
    for (long seed = 0; n < 6; seed++) {
      Phantom p = PhantomGenerator.generate(50_000 + seed, 64, "nodule");
      Explanation e = iba.explain(model, ExplainRequest.builder(p.normalized(0.5, 0.25)).target(Target.classIndex(1)).seed(1).build()).get(0);
      Box b = p.lesions().get(0);
      float[] m = e.map().values();
      double in = 0, all = 0;
      int area = 0;
      for (int y = 0; y < 64; y++) for (int x = 0; x < 64; x++) {
        all += m[y * 64 + x];
        if (x >= b.x0() && x < b.x1() && y >= b.y0() && y < b.y1()) { in += m[y * 64 + x]; area++; }
      }
      double ratio = (in / area) / (all / (64 * 64));
      System.out.printf("[iba-djl] nodule phantom %d: map density in lesion box / overall = %.2f (box %d px)%n", 50_000 + seed, ratio, area);
      sum += ratio;
      n++;
    }
    System.out.printf("[iba-djl] mean density ratio over %d nodule phantoms: %.2f%n", n, sum / n);
    assertThat(sum / n).isGreaterThan(1.0);
  }
}
