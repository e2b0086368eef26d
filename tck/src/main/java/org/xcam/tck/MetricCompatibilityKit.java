package org.xcam.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.xcam.api.Box;
import org.xcam.api.Heatmap;
import org.xcam.api.Ids;
import org.xcam.api.Metric;
import org.xcam.api.MetricContext;
import org.xcam.api.MetricResult;
import org.xcam.api.Options;
import org.xcam.api.spi.MetricProvider;

/**
 * The kit every metric passes. A metric author supplies the provider and values worked out by hand:
 *
 * <pre>{@code
 * class PointingGameCompatibilityTest extends MetricCompatibilityKit {
 *   protected MetricProvider provider() { return new PointingGameProvider(); }
 *   protected List<KnownValue> knownValues() {
 *     Heatmap h = ...; // peak at (3, 4)
 *     return List.of(new KnownValue("peak inside the box", MetricContext.builder(h).boxes(List.of(box)).build(), 1.0, 0));
 *   }
 * }
 * }</pre>
 */
public abstract class MetricCompatibilityKit {
  protected abstract MetricProvider provider();

  /** Contexts with the value the metric must give, worked out independently (by hand, or by a closed form). */
  protected abstract List<KnownValue> knownValues();

  /** Options for the metric under test. */
  protected Map<String, String> options() { return Map.of(); }

  public record KnownValue(String description, MetricContext context, double expected, double tolerance) { }

  protected final Metric metric() {
    MetricProvider p = provider();
    return p.create(Options.of("metric " + p.name(), p.options(), options()));
  }

  @Nested @DisplayName("Discovery")
  class Discovery {
    @Test @DisplayName("ServiceLoader finds the metric by its name; the name is a valid id")
    void found() {
      assertThat(Ids.valid(provider().name())).isTrue();
      var found = KitModels.xcam().metrics().get(provider().name());
      assertThat(found).as("metric '%s' in META-INF/services/org.xcam.api.spi.MetricProvider", provider().name()).isNotNull();
      assertThat(found.getClass()).isEqualTo(provider().getClass());
    }

    @Test @DisplayName("Range and direction are declared: min <= max, and what the metric needs is listed")
    void declared() {
      var r = provider().range();
      assertThat(r.min()).isLessThanOrEqualTo(r.max());
      assertThat(provider().needs()).isNotNull();
      assertThat(provider().description()).isNotBlank();
    }
  }

  @Nested @DisplayName("Known values")
  class Known {
    @Test @DisplayName("The metric gives the hand-worked value on every supplied case")
    void knownValues() {
      List<KnownValue> cases = MetricCompatibilityKit.this.knownValues();
      assertThat(cases).as("knownValues() must supply at least one hand-worked case").isNotEmpty();
      Metric m = metric();
      for (KnownValue k : cases) {
        MetricResult r = m.score(k.context());
        assertThat(r.value()).as(k.description()).isCloseTo(k.expected(), within(k.tolerance()));
      }
    }

    @Test @DisplayName("Values lie in the declared range, also on random heatmaps, and repeat exactly")
    void inRange() {
      Metric m = metric();
      var range = provider().range();
      Random rnd = new Random(42);
      for (KnownValue k : MetricCompatibilityKit.this.knownValues()) {
        Heatmap h = k.context().heatmap();
        float[] v = new float[h.height() * h.width()];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextFloat();
        MetricContext random = rebuild(k.context(), Heatmap.of(v, h.height(), h.width(), "random", "input", "-", Heatmap.Resolution.INPUT));
        for (MetricContext c : List.of(k.context(), random)) {
          double a = m.score(c).value(), b = m.score(c).value();
          if (Double.isNaN(a)) continue;
          assertThat(a).as("%s: value in range", k.description()).isBetween(range.min() - 1e-9, range.max() + 1e-9);
          assertThat(b).as("%s: repeat", k.description()).isEqualTo(a);
        }
      }
    }
  }

  @Nested @DisplayName("Direction")
  class Direction {
    @Test @DisplayName("For a box metric, a map concentrated in the box scores better than one concentrated outside it")
    void inBoxBeatsOutside() {
      assumeTrue(EnumSet.of(MetricContext.Need.BOXES).containsAll(provider().needs()) && !provider().needs().isEmpty(),
          "only for metrics that need boxes alone");
      int h = 32, w = 32;
      Box box = Box.of(4, 4, 12, 12, "lesion");
      float[] in = new float[h * w], out = new float[h * w];
      for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) {
        double dIn = Math.hypot(x - 8, y - 8), dOut = Math.hypot(x - 24, y - 24);
        in[y * w + x] = (float) Math.exp(-dIn * dIn / 8);
        out[y * w + x] = (float) Math.exp(-dOut * dOut / 8);
      }
      Metric m = metric();
      double a = m.score(MetricContext.builder(Heatmap.of(in, h, w, "t", "input", "-", Heatmap.Resolution.INPUT)).boxes(List.of(box)).build()).value();
      double b = m.score(MetricContext.builder(Heatmap.of(out, h, w, "t", "input", "-", Heatmap.Resolution.INPUT)).boxes(List.of(box)).build()).value();
      if (provider().range().higherIsBetter()) assertThat(a).isGreaterThan(b);
      else assertThat(a).isLessThan(b);
    }
  }

  private static MetricContext rebuild(MetricContext c, Heatmap h) {
    MetricContext.Builder b = MetricContext.builder(h).seed(c.seed());
    var av = c.available();
    if (av.contains(MetricContext.Need.BOXES)) b.boxes(c.boxes());
    if (av.contains(MetricContext.Need.MASK)) b.mask(c.mask());
    if (av.contains(MetricContext.Need.SALIENCY)) b.saliency(c.saliency());
    if (av.contains(MetricContext.Need.SEVERITY)) b.severity(c.severity());
    if (av.contains(MetricContext.Need.MODEL)) b.model(c.model(), c.input(), c.objective());
    return b.build();
  }
}
