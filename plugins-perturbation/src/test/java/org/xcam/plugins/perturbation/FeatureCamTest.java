package org.xcam.plugins.perturbation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.api.UnknownNameException;
import org.xcam.tck.fixtures.PoolLinearModel;

@DisplayName("feature-cam")
class FeatureCamTest {
  final PoolLinearModel model = Fixtures.poolLinear();
  final Tensor x = Fixtures.random(21, 2, 2, 8, 8);

  Explainer featureCam(Map<String, String> o) {
    Map<String, String> m = new java.util.HashMap<>(Map.of("base", "test-fixed-cam", "descriptor", "test-fixed-edges"));
    m.putAll(o);
    return Fixtures.create(new FeatureCamProvider(), m);
  }

  /** The base map normalised by hand: (r - min) / (max - min), r from FixedCamProvider.raw. */
  static float[] baseMap(int index, float scale) {
    float[] r = new float[64];
    float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
    for (int i = 0; i < 64; i++) {
      r[i] = FixedCamProvider.raw(index, i / 8, i % 8, scale);
      min = Math.min(min, r[i]);
      max = Math.max(max, r[i]);
    }
    for (int i = 0; i < 64; i++) r[i] = (r[i] - min) / (max - min);
    return r;
  }

  @Nested @DisplayName("fusion formula (exact, fixed inputs)")
  class Formula {
    @Test @DisplayName("mode add: raw = k F + M_c with k = 0.25 by default")
    void add() {
      List<Explanation> es = featureCam(Map.of()).explain(model, ExplainRequest.builder(x).target(Target.classIndex(0)).build());
      assertThat(es).hasSize(2);
      for (int i = 0; i < 2; i++) {
        float[] m = baseMap(i, 1), got = es.get(i).raw().values();
        for (int p = 0; p < 64; p++) {
          assertThat(got[p]).as("image %d pixel %d", i, p).isCloseTo((float) (0.25 * FixedDescriptor.f(p / 8, p % 8) + m[p]), within(1e-7f));
        }
        assertThat(es.get(i).extras()).containsEntry("base", "test-fixed-cam").containsEntry("mode", "add");
        assertThat(es.get(i).raw().height()).isEqualTo(8);
      }
    }

    @Test @DisplayName("mode add with k = 0.6")
    void addK() {
      float[] got = featureCam(Map.of("k", "0.6")).explain(model, x.slice(1, 2), Target.classIndex(1)).raw().values();
      float[] m = baseMap(0, 1);
      for (int p = 0; p < 64; p++) assertThat(got[p]).isCloseTo((float) (0.6 * FixedDescriptor.f(p / 8, p % 8) + m[p]), within(1e-7f));
    }

    @Test @DisplayName("mode complement: raw = (1 - F) M_c")
    void complement() {
      float[] got = featureCam(Map.of("mode", "complement")).explain(model, x.slice(0, 1), Target.classIndex(2)).raw().values();
      float[] m = baseMap(0, 1);
      for (int p = 0; p < 64; p++) assertThat(got[p]).isCloseTo((1 - FixedDescriptor.f(p / 8, p % 8)) * m[p], within(1e-7f));
    }

    @Test @DisplayName("versions enhanced-2-1 and enhanced-1-1 blend the min-max scaled grey image I with F: (2I + F)/3 and (I + F)/2")
    void versions() {
      Tensor one = x.slice(0, 1);
      float[] g = new float[64];
      float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
      for (int p = 0; p < 64; p++) {
        g[p] = (one.get(p) + one.get(64 + p)) / 2;
        min = Math.min(min, g[p]);
        max = Math.max(max, g[p]);
      }
      float[] m = baseMap(0, 1);
      float[] two = featureCam(Map.of("version", "enhanced-2-1", "mode", "complement")).explain(model, one, Target.classIndex(0)).raw().values();
      float[] oneOne = featureCam(Map.of("version", "enhanced-1-1", "mode", "complement")).explain(model, one, Target.classIndex(0)).raw().values();
      for (int p = 0; p < 64; p++) {
        float i01 = (g[p] - min) / (max - min), f = FixedDescriptor.f(p / 8, p % 8);
        assertThat(two[p]).isCloseTo((1 - (2 * i01 + f) / 3) * m[p], within(1e-6f));
        assertThat(oneOne[p]).isCloseTo((1 - (i01 + f) / 2) * m[p], within(1e-6f));
      }
    }

    @Test @DisplayName("base-options reach the base CAM (a scaled base normalises to the same M_c)")
    void baseOptions() {
      Explanation e = featureCam(Map.of("base-options", "scale=3")).explain(model, x.slice(0, 1), Target.classIndex(0));
      assertThat(e.extras()).containsEntry("scale", 3f);
      float[] m = baseMap(0, 3);
      for (int p = 0; p < 64; p++) assertThat(e.raw().values()[p]).isCloseTo((float) (0.25 * FixedDescriptor.f(p / 8, p % 8) + m[p]), within(1e-6f));
    }
  }

  @Nested @DisplayName("errors")
  class Errors {
    @Test @DisplayName("a missing base CAM names the jar that provides it (xcam-plugins-gradient)")
    void missingBase() {
      assertThatThrownBy(() -> Fixtures.create(new FeatureCamProvider(), Map.of("base", "gradcam")))
          .isInstanceOf(UnknownNameException.class)
          .hasMessageContaining("unknown base CAM for feature-cam 'gradcam'")
          .hasMessageContaining("xcam-plugins-gradient")
          .hasMessageContaining("test-fixed-cam");
    }

    @Test @DisplayName("an unknown descriptor lists the built-in and installed ones")
    void unknownDescriptor() {
      assertThatThrownBy(() -> featureCam(Map.of("descriptor", "hed")))
          .isInstanceOf(UnknownNameException.class).hasMessageContaining("canny, model:<path>, sobel, test-fixed-edges");
    }

    @Test @DisplayName("bad mode, version and base-options fail with one line")
    void badOptions() {
      assertThatThrownBy(() -> featureCam(Map.of("mode", "multiply"))).hasMessageContaining("add, complement");
      assertThatThrownBy(() -> featureCam(Map.of("version", "2:1"))).hasMessageContaining("enhanced-2-1");
      assertThatThrownBy(() -> featureCam(Map.of("base-options", "scale"))).hasMessageContaining("key=value");
      assertThatThrownBy(() -> featureCam(Map.of("base", "feature-cam"))).hasMessageContaining("itself");
    }
  }

  @Nested @DisplayName("descriptors on synthetic edges")
  class Descriptors {
    /** An 8 x 12 image, 0 left of column 5 and 1 from column 5 on. */
    Tensor step() {
      float[] v = new float[96];
      for (int p = 0; p < 96; p++) v[p] = p % 12 >= 5 ? 1 : 0;
      return Tensor.wrap(v, 1, 8, 12);
    }

    @Test @DisplayName("Sobel: a vertical step gives magnitude 4 on the two columns either side of it and 0 elsewhere (scaled: 1 and 0)")
    void sobelStep() {
      float[] f = new SobelDescriptor().describe(step());
      for (int p = 0; p < 96; p++) assertThat(f[p]).isEqualTo(p % 12 == 4 || p % 12 == 5 ? 1f : 0f);
      float[] raw = SobelDescriptor.magnitude(step().toArray(), 8, 12);
      assertThat(raw[3 * 12 + 4]).isEqualTo(4f);
    }

    @Test @DisplayName("Sobel on a diagonal ramp x + y is constant inside (|g| = 8 sqrt 2) and finite everywhere")
    void sobelRamp() {
      float[] v = new float[64];
      for (int p = 0; p < 64; p++) v[p] = p / 8 + p % 8;
      float[] raw = SobelDescriptor.magnitude(v, 8, 8);
      for (int y = 1; y < 7; y++) for (int q = 1; q < 7; q++) assertThat(raw[y * 8 + q]).isCloseTo((float) (8 * Math.sqrt(2)), within(1e-5f));
    }

    @Test @DisplayName("Canny: a vertical step gives one thin line on column 5 over the full height")
    void cannyStep() {
      float[] f = new CannyDescriptor().describe(step());
      for (int p = 0; p < 96; p++) assertThat(f[p]).as("pixel %d", p).isEqualTo(p % 12 == 5 ? 1f : 0f);
    }

    @Test @DisplayName("Canny: a bright square gives a closed contour and nothing inside or far outside")
    void cannySquare() {
      float[] v = new float[24 * 24];
      for (int y = 8; y < 16; y++) for (int q = 8; q < 16; q++) v[y * 24 + q] = 1;
      float[] f = new CannyDescriptor().describe(Tensor.wrap(v, 1, 24, 24));
      assertThat(f[12 * 24 + 12]).isZero();
      assertThat(f[2 * 24 + 2]).isZero();
      for (int y = 9; y < 15; y++) {
        boolean leftEdge = false;
        for (int q = 6; q <= 9; q++) leftEdge |= f[y * 24 + q] == 1f;
        assertThat(leftEdge).as("row %d has an edge near the left side", y).isTrue();
      }
    }

    @Test @DisplayName("a flat image gives all zeros for Sobel and Canny, not NaN")
    void flat() {
      Tensor flat = Tensor.full(0.7f, 3, 8, 8);
      assertThat(new SobelDescriptor().describe(flat)).containsOnly(0f);
      assertThat(new CannyDescriptor().describe(flat)).containsOnly(0f);
    }

    @Test @DisplayName("model:<path> loads an edge network through the engines on the class path and resizes a square output")
    void modelDescriptor(@TempDir Path dir) throws Exception {
      Path net = Files.writeString(dir.resolve("hed.edge"), "x");
      float[] v = new float[64];
      for (int p = 0; p < 64; p++) v[p] = p % 8 >= 4 ? 1 : 0;   // right half bright
      float[] f = FeatureCamProvider.descriptor("model:" + net).describe(Tensor.wrap(v, 1, 8, 8));
      // the 4x4 output is 0 on the left two cells, 10 on the right two; resized (half-pixel) then scaled to [0,1]
      float[] expected = Filters.minMax(Heatmap.resizeBilinear(new float[] {0, 0, 10, 10, 0, 0, 10, 10, 0, 0, 10, 10, 0, 0, 10, 10}, 4, 4, 8, 8));
      assertThat(f).containsExactly(expected, within(1e-6f));
      assertThat(f[0]).isZero();
      assertThat(f[7]).isEqualTo(1f);
    }

    @Test @DisplayName("model:<path> that no engine can load fails naming the engines found")
    void modelDescriptorNoEngine(@TempDir Path dir) throws Exception {
      Path net = Files.writeString(dir.resolve("hed.unknown"), "x");
      assertThatThrownBy(() -> FeatureCamProvider.descriptor("model:" + net).describe(Tensor.zeros(1, 8, 8)))
          .hasMessageContaining("no engine on the class path can load").hasMessageContaining("test-edge");
      assertThatThrownBy(() -> FeatureCamProvider.descriptor("model:" + dir.resolve("missing.onnx")).describe(Tensor.zeros(1, 8, 8)))
          .hasMessageContaining("does not exist");
    }
  }
}
