package org.xcam.runtime.phantom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xcam.api.Box;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Tensor;
import org.xcam.api.UnknownNameException;
import org.xcam.api.bundle.Json;

/**
 * The Java phantom generator against the Python one ({@code tools/phantom/phantom.py}), whose output for fixed seeds
 * is committed as {@code phantom/python-geometry.json} by {@code tools/phantom/dump_geometry.py}.
 *
 * <p>Tolerances: boxes and labels must be equal exactly. Pixels are computed with correctly rounded IEEE operations
 * in the same order in both languages, so they are expected to be bit-identical; the test allows 1e-6 per pixel
 * (about 2^-20, a few float32 ulps at 1.0) and 1e-9 relative on the per-image pixel sums, so that a harmless change
 * of summation order would not fail it while any change of geometry, noise or shading would.
 */
@DisplayName("PhantomGenerator")
class PhantomGeneratorTest {
  static final double PIXEL_TOL = 1e-6;

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> cases() {
    try (InputStream in = PhantomGeneratorTest.class.getResourceAsStream("/phantom/python-geometry.json")) {
      Map<String, Object> root = (Map<String, Object>) Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      return (List<Map<String, Object>>) root.get("cases");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static Stream<Map<String, Object>> allCases() { return cases().stream(); }

  static Phantom generate(Map<String, Object> c) {
    return PhantomGenerator.generate(((Number) c.get("seed")).longValue(), ((Number) c.get("size")).intValue(),
        (String) c.get("kind"), (Boolean) c.get("ribs"));
  }

  @SuppressWarnings("unchecked")
  static double[] box(Object o) {
    List<Object> l = (List<Object>) o;
    return new double[] {((Number) l.get(0)).doubleValue(), ((Number) l.get(1)).doubleValue(),
        ((Number) l.get(2)).doubleValue(), ((Number) l.get(3)).doubleValue()};
  }

  static double[] box(Box b) { return new double[] {b.x0(), b.y0(), b.x1(), b.y1()}; }

  @Nested
  @DisplayName("agrees with the Python generator")
  class AgreesWithPython {
    @ParameterizedTest(name = "case {index}")
    @MethodSource("org.xcam.runtime.phantom.PhantomGeneratorTest#allCases")
    @DisplayName("label, lesion boxes and zone boxes are exactly those Python wrote for the seed")
    @SuppressWarnings("unchecked")
    void geometry(Map<String, Object> c) {
      Phantom p = generate(c);
      assertThat(p.label()).isEqualTo(c.get("label"));
      assertThat(p.labelIndex()).isEqualTo(((Number) c.get("label_index")).intValue());
      List<Map<String, Object>> lesions = (List<Map<String, Object>>) c.get("lesions");
      assertThat(p.lesions()).hasSize(lesions.size());
      for (int i = 0; i < lesions.size(); i++) {
        assertThat(p.lesions().get(i).label()).isEqualTo(lesions.get(i).get("type"));
        assertThat(box(p.lesions().get(i))).containsExactly(box(lesions.get(i).get("box")));
      }
      Map<String, Object> zones = (Map<String, Object>) c.get("zones");
      assertThat(p.zones().keySet()).containsExactlyElementsOf(zones.keySet());
      for (var e : zones.entrySet()) {
        assertThat(box(p.zones().get(e.getKey()))).as(e.getKey()).containsExactly(box(e.getValue()));
      }
    }

    @ParameterizedTest(name = "case {index}")
    @MethodSource("org.xcam.runtime.phantom.PhantomGeneratorTest#allCases")
    @DisplayName("pixel sum and sum of squares equal Python's within 1e-9 relative")
    void pixelSums(Map<String, Object> c) {
      float[] v = generate(c).image().toArray();
      double s = 0, s2 = 0;
      for (float f : v) {
        s += f;
        s2 += (double) f * f;
      }
      double ps = ((Number) c.get("pixel_sum")).doubleValue(), ps2 = ((Number) c.get("pixel_sumsq")).doubleValue();
      assertThat(s).isCloseTo(ps, within(1e-9 * ps));
      assertThat(s2).isCloseTo(ps2, within(1e-9 * ps2));
    }

    @Test
    @DisplayName("full images stored by Python agree pixel by pixel within 1e-6")
    void pixels() throws IOException {
      int checked = 0;
      for (Map<String, Object> c : cases()) {
        if (!c.containsKey("image")) continue;
        Tensor expected;
        try (InputStream in = getClass().getResourceAsStream("/phantom/" + c.get("image"))) {
          expected = Tensor.readNpy(in);
        }
        int size = ((Number) c.get("size")).intValue();
        Tensor actual = generate(c).image();
        assertThat(actual.shape()).containsExactly(1, size, size);
        assertThat(actual.reshape(size, size).maxAbsDiff(expected)).isLessThanOrEqualTo(PIXEL_TOL);
        checked++;
      }
      assertThat(checked).isGreaterThanOrEqualTo(4);
    }
  }

  @Nested
  @DisplayName("keeps its own contract")
  class Contract {
    @Test
    @DisplayName("every pixel lies in [0, 1] and the same seed gives the same phantom")
    void rangeAndDeterminism() {
      for (long seed = 0; seed < 30; seed++) {
        Phantom a = PhantomGenerator.generate(seed), b = PhantomGenerator.generate(seed);
        assertThat(a.image()).isEqualTo(b.image());
        for (float f : a.image().toArray()) assertThat(f).isBetween(0f, 1f);
      }
    }

    @Test
    @DisplayName("lesion boxes lie inside the image and inside the union of lung boxes, normal has none")
    void lesionsInLungs() {
      for (long seed = 0; seed < 120; seed++) {
        Phantom p = PhantomGenerator.generate(seed);
        if (p.label().equals("normal")) {
          assertThat(p.lesions()).isEmpty();
          continue;
        }
        assertThat(p.lesions()).hasSize(1);
        Box b = p.lesions().get(0);
        assertThat(b.outside(64, 64)).isFalse();
        assertThat(b.area()).isPositive();
        if (!p.label().equals("cardiomegaly")) {
          Box r = p.zones().get("right-upper-lung"), l = p.zones().get("left-upper-lung");
          Box rl = p.zones().get("right-lower-lung"), ll = p.zones().get("left-lower-lung");
          boolean inRight = b.x0() >= r.x0() && b.x1() <= r.x1() && b.y0() >= r.y0() && b.y1() <= rl.y1();
          boolean inLeft = b.x0() >= l.x0() && b.x1() <= l.x1() && b.y0() >= l.y0() && b.y1() <= ll.y1();
          assertThat(inRight || inLeft).as("seed %d box %s", seed, b).isTrue();
        }
      }
    }

    @Test
    @DisplayName("a lesion brightens its box: mean pixel there exceeds the same box on the lesion-free phantom")
    void lesionIsVisible() {
      for (String kind : List.of("nodule", "mass", "effusion", "consolidation")) {
        for (long seed = 0; seed < 10; seed++) {
          Phantom p = PhantomGenerator.generate(seed, 64, kind);
          Phantom n = PhantomGenerator.generate(seed, 64, "normal");
          Box b = p.lesions().get(0);
          assertThat(mean(p, b)).as("%s seed %d", kind, seed).isGreaterThan(mean(n, b) + 0.04);
        }
      }
    }

    @Test
    @DisplayName("the right lung (patient right) is on the image's left, the heart is below the upper zones")
    void conventions() {
      Phantom p = PhantomGenerator.generate(3);
      assertThat(p.zones().keySet()).containsExactlyElementsOf(PhantomGenerator.ZONES);
      assertThat(p.zones().get("right-middle-lung").x1()).isLessThanOrEqualTo(32);
      assertThat(p.zones().get("left-middle-lung").x0()).isGreaterThanOrEqualTo(32);
      assertThat(p.zones().get("heart").y0()).isGreaterThan(p.zones().get("right-upper-lung").y1());
    }

    @Test
    @DisplayName("cardiomegaly enlarges the heart box compared with normal phantoms")
    void cardiomegaly() {
      List<Double> big = new ArrayList<>(), normal = new ArrayList<>();
      for (long seed = 0; seed < 20; seed++) {
        big.add(PhantomGenerator.generate(seed, 64, "cardiomegaly").zones().get("heart").width());
        normal.add(PhantomGenerator.generate(seed, 64, "normal").zones().get("heart").width());
      }
      assertThat(big.stream().mapToDouble(d -> d).min().orElseThrow())
          .isGreaterThan(normal.stream().mapToDouble(d -> d).max().orElseThrow());
    }

    @Test
    @DisplayName("bad arguments fail with one-line messages naming the fix")
    void badInput() {
      assertThatThrownBy(() -> PhantomGenerator.generate(1, 8)).isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("at least 16");
      assertThatThrownBy(() -> PhantomGenerator.generate(1, 64, "tumour")).isInstanceOf(UnknownNameException.class)
          .hasMessageContaining("nodule");
    }

    private double mean(Phantom p, Box b) {
      double s = 0;
      int n = 0;
      for (int y = (int) b.y0(); y < b.y1(); y++) {
        for (int x = (int) b.x0(); x < b.x1(); x++) {
          s += p.image().get(0, y, x);
          n++;
        }
      }
      return s / n;
    }
  }
}
