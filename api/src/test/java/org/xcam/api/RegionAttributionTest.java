package org.xcam.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegionAttributionTest {
  private static final double TOL = 1e-12;

  /** 4 x 4: diagonal 1, 2, 3, 2 (total 8), and -5 at (x 0, y 3) which carries no energy. */
  static Heatmap diagonal() {
    float[] v = new float[16];
    v[0] = 1; v[5] = 2; v[10] = 3; v[15] = 2; v[12] = -5;
    return Heatmap.of(v, 4, 4, "t", "input", "t", Heatmap.Resolution.INPUT);
  }

  static Map<String, Box> ab() {
    Map<String, Box> m = new LinkedHashMap<>();
    m.put("A", Box.of(0, 0, 2, 2, "A"));
    m.put("B", Box.of(1, 1, 3, 3, "B"));
    return m;
  }

  @Test
  @DisplayName("overlapping boxes split a shared pixel: A = (1 + 2/2)/8, B = (2/2 + 3)/8, outside = 2/8")
  void handWorked() {
    RegionAttribution.Shares s = RegionAttribution.of(diagonal(), ab());
    assertThat(s.shares().get("A")).isCloseTo(0.25, within(TOL));
    assertThat(s.shares().get("B")).isCloseTo(0.5, within(TOL));
    assertThat(s.outside()).isCloseTo(0.25, within(TOL));
    assertThat(s.total()).isCloseTo(1.0, within(TOL));
    assertThat(s.top()).isEqualTo("B");
    assertThat(s.describe()).isEqualTo("50% of the evidence lies in B");
  }

  @Test
  @DisplayName("boxes in a larger frame are scaled to the map: [0,0,4,4] in 8 x 8 is [0,0,2,2] on the 4 x 4 map")
  void scaledFrame() {
    RegionAttribution.Shares s = RegionAttribution.of(diagonal(), List.of(Box.of(0, 0, 4, 4, "A")), 8, 8);
    assertThat(s.shares().get("A")).isCloseTo(3.0 / 8, within(TOL));
    assertThat(s.outside()).isCloseTo(5.0 / 8, within(TOL));
  }

  @Test
  @DisplayName("with seven overlapping zones, shares plus outside sum to 1; on a uniform map they are pixel counts")
  void zonesSumToOne() {
    Random rnd = new Random(3);
    Map<String, Box> zones = new LinkedHashMap<>();
    for (int k = 0; k < 7; k++) {
      double x0 = rnd.nextDouble() * 40, y0 = rnd.nextDouble() * 40;
      zones.put("zone" + k, Box.of(x0, y0, x0 + 5 + rnd.nextDouble() * 30, y0 + 5 + rnd.nextDouble() * 30, "zone" + k));
    }
    float[] v = new float[64 * 64];
    for (int i = 0; i < v.length; i++) v[i] = rnd.nextFloat();
    var s = RegionAttribution.of(Heatmap.of(v, 64, 64, "t", "input", "t", Heatmap.Resolution.INPUT), zones);
    assertThat(s.shares()).hasSize(7);
    assertThat(s.total()).isCloseTo(1.0, within(1e-9));
    float[] ones = new float[64 * 64];
    java.util.Arrays.fill(ones, 1f);
    var u = RegionAttribution.of(ones, 64, 64, zones);
    int out = 0;
    for (int y = 0; y < 64; y++) {
      for (int x = 0; x < 64; x++) {
        boolean in = false;
        for (Box b : zones.values()) in |= b.contains(x + 0.5, y + 0.5);
        if (!in) out++;
      }
    }
    assertThat(u.outside()).isCloseTo(out / 4096.0, within(TOL));
    assertThat(u.total()).isCloseTo(1.0, within(1e-9));
  }

  @Test
  @DisplayName("a map with no energy gives zeros and says so, never NaN")
  void noEnergy() {
    var s = RegionAttribution.of(new float[16], 4, 4, ab());
    assertThat(s.noEnergy()).isTrue();
    assertThat(s.shares().values()).containsOnly(0.0);
    assertThat(s.total()).isEqualTo(0.0);
    assertThat(s.describe()).contains("no evidence");
  }

  @Test
  @DisplayName("regions read from a CSV (header and comments skipped); a malformed line is a one-line error")
  void csv(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("regions.csv");
    Files.writeString(f, "name,x0,y0,x1,y1\n# lungs\nA,0,0,2,2\nB, 1, 1, 3, 3\n");
    var s = RegionAttribution.of(diagonal(), RegionAttribution.readCsv(f));
    assertThat(s.shares().get("B")).isCloseTo(0.5, within(TOL));
    Files.writeString(f, "A,0,0,2\n");
    assertThatThrownBy(() -> RegionAttribution.readCsv(f)).isInstanceOf(InvalidInputException.class).hasMessageContaining("line 1");
  }
}
