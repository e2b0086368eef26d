package org.xcam.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.xcam.api.Box;
import org.xcam.api.DetectRequest;
import org.xcam.api.Detection;
import org.xcam.api.Detections;
import org.xcam.api.Detector;
import org.xcam.api.Ids;
import org.xcam.api.Model;
import org.xcam.api.Options;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.api.XcamException;
import org.xcam.api.spi.DetectorProvider;
import org.xcam.tck.DetectorGoldenCases.GoldenCase;
import org.xcam.tck.fixtures.AnatomyTableModel;
import org.xcam.tck.fixtures.BandClassifier;

/**
 * The kit every detector passes ({@link DetectorProvider}). A detector author writes:
 *
 * <pre>{@code
 * class RegionHullCompatibilityTest extends DetectorCompatibilityKit {
 *   protected DetectorProvider provider() { return new RegionHullProvider(); }
 *   protected List<GoldenCase> goldenCases() { return List.of(... worked by hand ...); }
 * }
 * }</pre>
 *
 * <p>The kit runs the detector on pure-Java fixture models chosen by {@link DetectorProvider#tasks()}: an
 * anatomy-detection model whose outputs are written by hand ({@link AnatomyTableModel}) and a three-class classifier
 * with a matching method for detectors that cut boxes from heatmaps ({@link BandClassifier}). Groups:
 * <ul>
 *   <li><b>Discovery</b>: registered under its name, declarations complete, default options create a detector.</li>
 *   <li><b>Contract</b>: one result per image in its frame; boxes inside the frame; scores in [0, 1]; labels among the
 *       model's classes; provenance that names real regions or the request's method; boxes scale with the frame;
 *       batch = singles, deterministic, input untouched; the request's classes respected.</li>
 *   <li><b>Region order</b> (anatomy detectors): permuting the model's regions changes nothing.</li>
 *   <li><b>Fusion invariants</b> (anatomy detectors): a single positive region is returned unchanged, identical
 *       boxes fuse to themselves, every box lies in the hull of the regions it names, no positive region gives no
 *       box.</li>
 *   <li><b>Golden values</b>: the author's hand-worked cases ({@link #goldenCases()}; {@link DetectorGoldenCases}
 *       has the ADPD ones, with and without fusion at IoU 0.03, and CAM-derived boxes). Skipped, saying so, when
 *       none are given.</li>
 *   <li><b>Errors</b>: a model of an undeclared task, or a missing method, fails with a one-line
 *       {@link XcamException}.</li>
 * </ul>
 */
public abstract class DetectorCompatibilityKit {
  protected abstract DetectorProvider provider();

  /** Options for the detector under test (defaults for the rest). */
  protected Map<String, String> options() { return Map.of(); }

  /** Hand-worked cases; none by default (the golden group is then skipped, saying so). */
  protected List<GoldenCase> goldenCases() { return List.of(); }

  private static final double TOL = 1e-6;

  protected final Detector detector() {
    DetectorProvider p = provider();
    return p.create(Options.of("detector " + p.name(), p.options(), options()));
  }

  private boolean anatomy() { return provider().tasks().contains(Task.ANATOMY_DETECTION); }

  private boolean classifier() {
    return provider().tasks().contains(Task.MULTILABEL) || provider().tasks().contains(Task.MULTICLASS);
  }

  /** A fixture model with the images and frames to run on. */
  record Fixture(String name, Model model, Tensor images, List<DetectRequest.Frame> frames) {
    @Override public String toString() { return name; }
  }

  /** The fixtures that apply to the provider's tasks. */
  private List<Fixture> fixtures() {
    List<Fixture> out = new ArrayList<>();
    if (anatomy()) {
      AnatomyTableModel m = randomAnatomy(11, 6);
      out.add(new Fixture("kit-anatomy", m, m.images(0, 1, 2, 3, 4, 5), frames(6)));
    }
    if (classifier()) out.add(new Fixture("kit-band-classifier", new BandClassifier(), randomBands(5, 4), frames(4)));
    assumeFalse(out.isEmpty(), "the detector reads neither anatomy-detection nor classifier models; the kit has no fixture for "
        + provider().tasks());
    return out;
  }

  private static List<DetectRequest.Frame> frames(int n) {
    List<DetectRequest.Frame> f = new ArrayList<>();
    for (int i = 0; i < n; i++) f.add(new DetectRequest.Frame(100 + 37 * i, 80 + 23 * i));
    return f;
  }

  private DetectRequest request(Tensor images, List<DetectRequest.Frame> frames) {
    DetectRequest.Builder b = DetectRequest.builder(images).frames(frames);
    if (provider().usesExplainer()) b.explainer(BandClassifier.explainer());
    return b.build();
  }

  private List<Detections> run(Fixture f) { return detector().detect(f.model(), request(f.images(), f.frames())); }

  /**
   * Five regions (r0..r4), three pathologies, cxcywh boxes that sometimes reach outside [0, 1], presence and
   * probabilities uniform in [0, 1] (about half the (region, class) pairs positive). Row k is image k.
   */
  static AnatomyTableModel randomAnatomy(long seed, int rows) {
    Random r = new Random(seed);
    int nr = 5, np = 3;
    float[][] t = new float[rows][nr * (5 + np)];
    for (int k = 0; k < rows; k++) {
      float[] row = t[k];
      for (int j = 0; j < nr; j++) {
        row[4 * j] = (float) (r.nextDouble() * 1.1 - 0.05);
        row[4 * j + 1] = (float) (r.nextDouble() * 1.1 - 0.05);
        row[4 * j + 2] = (float) (0.1 + r.nextDouble() * 0.5);
        row[4 * j + 3] = (float) (0.1 + r.nextDouble() * 0.5);
        row[4 * nr + j] = (float) (0.3 + r.nextDouble() * 0.7);
        for (int p = 0; p < np; p++) row[5 * nr + j * np + p] = (float) r.nextDouble();
      }
    }
    return new AnatomyTableModel(List.of("r0", "r1", "r2", "r3", "r4"), List.of("effusion", "nodule", "mass"), "cxcywh", t);
  }

  /** {@code n} images of the band classifier: a bright rectangle per band at random places, noise elsewhere. */
  static Tensor randomBands(long seed, int n) {
    Random r = new Random(seed);
    int s = BandClassifier.SIZE;
    float[] v = new float[n * s * s];
    for (int i = 0; i < n; i++) {
      for (int p = 0; p < s * s; p++) v[i * s * s + p] = (float) (r.nextDouble() * 0.2);
      for (int band = 0; band < 3; band++) {
        int x0 = band * BandClassifier.BAND + r.nextInt(2), y0 = r.nextInt(8), bw = 1 + r.nextInt(2), bh = 1 + r.nextInt(4);
        float val = (float) (0.5 + r.nextDouble());
        for (int y = y0; y < y0 + bh; y++) for (int x = x0; x < x0 + bw; x++) v[i * s * s + y * s + x] = val;
      }
    }
    return Tensor.wrap(v, n, 1, s, s);
  }

  /** A box as comparable numbers: label, score, coordinates, sorted provenance. */
  record Key(String label, double score, double x0, double y0, double x1, double y1, List<String> from) { }

  static List<Key> keys(Detections d) {
    List<Key> k = new ArrayList<>();
    for (Detection x : d.detections()) {
      Box b = x.box();
      k.add(new Key(b.label(), b.score(), b.x0(), b.y0(), b.x1(), b.y1(), x.from().stream().sorted().toList()));
    }
    k.sort(Comparator.comparing(Key::label).thenComparingDouble(x -> -x.score()).thenComparingDouble(Key::x0).thenComparingDouble(Key::y0));
    return k;
  }

  static void assertSameKeys(List<Key> a, List<Key> b, double tol, String what) {
    assertThat(a).as("%s: number of boxes", what).hasSize(b.size());
    for (int i = 0; i < a.size(); i++) {
      Key x = a.get(i), y = b.get(i);
      assertThat(x.label()).as("%s: box %d label", what, i).isEqualTo(y.label());
      assertThat(x.score()).as("%s: box %d score", what, i).isCloseTo(y.score(), within(tol));
      assertThat(new double[] {x.x0(), x.y0(), x.x1(), x.y1()}).as("%s: box %d coordinates", what, i)
          .containsExactly(new double[] {y.x0(), y.y0(), y.x1(), y.y1()}, within(tol));
      assertThat(x.from()).as("%s: box %d provenance", what, i).isEqualTo(y.from());
    }
  }

  @Nested @DisplayName("Discovery")
  class Discovery {
    @Test @DisplayName("ServiceLoader finds the detector by its name; the name is a valid id")
    void found() {
      assertThat(Ids.valid(provider().name())).as("name '%s' is an id [a-z0-9-]{1,64}", provider().name()).isTrue();
      var found = KitModels.xcam().detectors().get(provider().name());
      assertThat(found).as("detector '%s' in META-INF/services/org.xcam.api.spi.DetectorProvider", provider().name()).isNotNull();
      assertThat(found.getClass()).isEqualTo(provider().getClass());
    }

    @Test @DisplayName("Description, tasks and capabilities are declared; the default options create a detector with the provider's name")
    void declared() {
      DetectorProvider p = provider();
      assertThat(p.description()).isNotBlank();
      assertThat(p.tasks()).as("tasks()").isNotEmpty();
      assertThat(p.requires()).as("requires()").isNotNull();
      p.options().forEach(o -> assertThat(Ids.valid(o.name())).as("option name %s", o.name()).isTrue());
      assertThat(detector().name()).isEqualTo(p.name());
    }
  }

  @Nested @DisplayName("Contract")
  class Contract {
    @Test @DisplayName("One result per image, in image order, each in its image's frame")
    void onePerImage() {
      for (Fixture f : fixtures()) {
        List<Detections> r = run(f);
        assertThat(r).as("%s: results", f).hasSize(f.images().dim(0));
        for (int i = 0; i < r.size(); i++) {
          assertThat(r.get(i).index()).as("%s: index", f).isEqualTo(i);
          assertThat(r.get(i).width()).as("%s: image %d width", f, i).isEqualTo(f.frames().get(i).width());
          assertThat(r.get(i).height()).as("%s: image %d height", f, i).isEqualTo(f.frames().get(i).height());
        }
      }
    }

    @Test @DisplayName("Boxes and regions lie inside the image's frame, with finite coordinates and x0 <= x1, y0 <= y1")
    void insideFrame() {
      for (Fixture f : fixtures()) {
        List<Detections> r = run(f);
        for (Detections d : r) {
          List<Box> all = new ArrayList<>(d.boxes());
          all.addAll(d.regions());
          for (Box b : all) {
            assertThat(Double.isFinite(b.x0()) && Double.isFinite(b.y0()) && Double.isFinite(b.x1()) && Double.isFinite(b.y1()))
                .as("%s image %d: %s has finite coordinates", f, d.index(), b).isTrue();
            assertThat(b.x0()).as("%s image %d: %s x0 >= 0", f, d.index(), b).isGreaterThanOrEqualTo(-TOL);
            assertThat(b.y0()).as("%s image %d: %s y0 >= 0", f, d.index(), b).isGreaterThanOrEqualTo(-TOL);
            assertThat(b.x1()).as("%s image %d: %s x1 <= width %d", f, d.index(), b, d.width()).isLessThanOrEqualTo(d.width() + TOL);
            assertThat(b.y1()).as("%s image %d: %s y1 <= height %d", f, d.index(), b, d.height()).isLessThanOrEqualTo(d.height() + TOL);
          }
        }
      }
    }

    @Test @DisplayName("Scores are probabilities: finite and in [0, 1], image-level scores too; boxes come highest score first")
    void scores() {
      for (Fixture f : fixtures()) {
        for (Detections d : run(f)) {
          double prev = Double.POSITIVE_INFINITY;
          for (Detection x : d.detections()) {
            assertThat(x.score()).as("%s image %d: score of %s", f, d.index(), x.box()).isBetween(0.0, 1.0);
            assertThat(x.score()).as("%s image %d: boxes sorted by score", f, d.index()).isLessThanOrEqualTo(prev + 1e-12);
            prev = x.score();
          }
          d.imageScores().forEach((c, v) -> assertThat(v).as("%s image %d: image score of %s", f, d.index(), c).isBetween(0.0, 1.0));
        }
      }
    }

    @Test @DisplayName("Labels are classes the provider declares for the model; provenance names real regions or the request's method")
    void labelsAndProvenance() {
      for (Fixture f : fixtures()) {
        List<String> classes = provider().classes(f.model().info());
        boolean sawBox = false;
        for (Detections d : run(f)) {
          Set<String> regions = new HashSet<>();
          for (Box b : d.regions()) regions.add(b.label());
          for (Detection x : d.detections()) {
            sawBox = true;
            assertThat(classes).as("%s: classes declared for the model", f).contains(x.label());
            switch (x.source()) {
              case REGIONS -> {
                assertThat(x.from()).as("%s: a box from regions names at least one", f).isNotEmpty();
                assertThat(regions).as("%s: regions of image %d", f, d.index()).containsAll(x.from());
              }
              case MAP -> assertThat(x.from()).as("%s: a box from a map names the method", f).containsExactly("kit-band");
              case MODEL -> { }
            }
          }
        }
        assertThat(sawBox).as("%s: the fixture has positive findings, so the detector must find some box", f).isTrue();
      }
    }

    @Test @DisplayName("Boxes are in the requested frame: doubling the frame doubles every box")
    void scalesWithFrame() {
      for (Fixture f : fixtures()) {
        List<DetectRequest.Frame> doubled = f.frames().stream().map(x -> new DetectRequest.Frame(2 * x.width(), 2 * x.height())).toList();
        List<Detections> a = run(f), b = detector().detect(f.model(), request(f.images(), doubled));
        for (int i = 0; i < a.size(); i++) {
          List<Key> scaled = keys(a.get(i)).stream().map(k -> new Key(k.label(), k.score(), 2 * k.x0(), 2 * k.y0(), 2 * k.x1(), 2 * k.y1(), k.from())).toList();
          assertSameKeys(keys(b.get(i)), scaled, 1e-6 * 2 * (f.frames().get(i).width() + f.frames().get(i).height()),
              f + " image " + i + " in a doubled frame");
        }
      }
    }

    @Test @DisplayName("A batch of N gives the N single results; a repeated call gives the same; the input is not modified")
    void batchEqualsSingles() {
      for (Fixture f : fixtures()) {
        Tensor before = Tensor.of(f.images().toArray(), f.images().shape());
        List<Detections> batch = run(f), again = run(f);
        assertThat(f.images()).as("%s: input unchanged", f).isEqualTo(before);
        for (int i = 0; i < batch.size(); i++) {
          assertSameKeys(keys(again.get(i)), keys(batch.get(i)), 0, f + " image " + i + " repeated");
          Detections single = detector().detect(f.model(), request(f.images().slice(i, i + 1), List.of(f.frames().get(i)))).get(0);
          assertSameKeys(keys(single), keys(batch.get(i)), 1e-6 * f.frames().get(i).width(), f + " image " + i + " alone");
          assertThat(single.imageScores()).as("%s image %d: image scores alone", f, i).isEqualTo(batch.get(i).imageScores());
        }
      }
    }

    @Test @DisplayName("The request's classes are respected: asking for one class gives boxes of that class only")
    void classesRespected() {
      for (Fixture f : fixtures()) {
        List<Detections> all = run(f);
        String c = all.stream().flatMap(d -> d.detections().stream()).map(Detection::label).findFirst().orElse(null);
        assumeTrue(c != null, "no box on " + f);
        DetectRequest.Builder b = DetectRequest.builder(f.images()).frames(f.frames()).classes(List.of(c));
        if (provider().usesExplainer()) b.explainer(BandClassifier.explainer());
        List<Detections> only = detector().detect(f.model(), b.build());
        for (int i = 0; i < all.size(); i++) {
          List<Key> want = keys(all.get(i)).stream().filter(k -> k.label().equals(c)).toList();
          assertSameKeys(keys(only.get(i)), want, 1e-6 * f.frames().get(i).width(), f + " image " + i + " asking for " + c);
        }
      }
    }
  }

  @Nested @DisplayName("Region order")
  class RegionOrder {
    @Test @DisplayName("Permuting the order of the model's regions gives the same boxes, scores, provenance and image scores")
    void invariant() {
      assumeTrue(anatomy(), "only for detectors that read anatomy-detection models");
      AnatomyTableModel m = randomAnatomy(23, 6);
      int[] order = {3, 0, 4, 2, 1};
      AnatomyTableModel p = m.permuted(order);
      Tensor x = m.images(0, 1, 2, 3, 4, 5);
      List<DetectRequest.Frame> frames = frames(6);
      List<Detections> a = detector().detect(m, request(x, frames)), b = detector().detect(p, request(x, frames));
      for (int i = 0; i < a.size(); i++) {
        assertSameKeys(keys(b.get(i)), keys(a.get(i)), 1e-6 * frames.get(i).width(), "image " + i + " with regions reordered");
        assertThat(b.get(i).regions()).as("image %d: the same regions", i).containsExactlyInAnyOrderElementsOf(a.get(i).regions());
        assertThat(b.get(i).imageScores().keySet()).isEqualTo(a.get(i).imageScores().keySet());
        for (var e : a.get(i).imageScores().entrySet()) {
          assertThat(b.get(i).imageScores().get(e.getKey())).as("image %d: image score of %s", i, e.getKey())
              .isCloseTo(e.getValue(), within(1e-9));
        }
      }
    }
  }

  @Nested @DisplayName("Fusion invariants")
  class Fusion {
    // three regions, one class; frame 100 x 100; xyxy
    private AnatomyTableModel model(float[] boxes, float[] probs) {
      float[] row = new float[3 * 6];
      System.arraycopy(boxes, 0, row, 0, 12);
      row[12] = 1; row[13] = 1; row[14] = 1;
      System.arraycopy(probs, 0, row, 15, 3);
      return new AnatomyTableModel(List.of("a", "b", "c"), List.of("effusion"), "xyxy", new float[][] {row});
    }

    private Detections detect(AnatomyTableModel m) {
      return detector().detect(m, request(m.image(0), List.of(new DetectRequest.Frame(100, 100)))).get(0);
    }

    @Test @DisplayName("A single positive region gives exactly that region's box, scored by its probability")
    void singleUnchanged() {
      assumeTrue(anatomy(), "only for detectors that read anatomy-detection models");
      Detections d = detect(model(new float[] {.1f, .2f, .4f, .6f, .5f, .5f, .9f, .9f, 0f, 0f, .2f, .2f}, new float[] {.8f, 0f, 0f}));
      assertThat(d.detections()).as("boxes").hasSize(1);
      Detection x = d.detections().get(0);
      assertThat(new double[] {x.box().x0(), x.box().y0(), x.box().x1(), x.box().y1()}).containsExactly(new double[] {10, 20, 40, 60}, within(1e-4));
      assertThat(x.score()).isCloseTo(.8, within(1e-6));
      if (x.source() == Detection.Source.REGIONS) assertThat(x.from()).containsExactly("a");
    }

    @Test @DisplayName("Identical region boxes positive for one class fuse to themselves: every box equals that box")
    void identicalFuseToThemselves() {
      assumeTrue(anatomy(), "only for detectors that read anatomy-detection models");
      Detections d = detect(model(new float[] {.1f, .2f, .4f, .6f, .1f, .2f, .4f, .6f, .7f, .7f, .9f, .9f}, new float[] {.8f, .7f, 0f}));
      assertThat(d.detections()).as("boxes").isNotEmpty();
      for (Detection x : d.detections()) {
        assertThat(new double[] {x.box().x0(), x.box().y0(), x.box().x1(), x.box().y1()}).as("box %s", x.box())
            .containsExactly(new double[] {10, 20, 40, 60}, within(1e-4));
        assertThat(x.score()).as("score of %s", x.box()).isBetween(.7 - 1e-6, .8 + 1e-6);
      }
    }

    @Test @DisplayName("Every box made from regions lies in the hull of the region boxes it names")
    void insideHull() {
      assumeTrue(anatomy(), "only for detectors that read anatomy-detection models");
      AnatomyTableModel m = randomAnatomy(31, 6);
      List<DetectRequest.Frame> frames = frames(6);
      List<Detections> r = detector().detect(m, request(m.images(0, 1, 2, 3, 4, 5), frames));
      for (Detections d : r) {
        Map<String, Box> regions = d.regionsByName();
        for (Detection x : d.detections()) {
          if (x.source() != Detection.Source.REGIONS) continue;
          double x0 = Double.POSITIVE_INFINITY, y0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
          for (String n : x.from()) {
            Box g = regions.get(n);
            assertThat(g).as("image %d: region %s named by %s", d.index(), n, x.box()).isNotNull();
            x0 = Math.min(x0, g.x0()); y0 = Math.min(y0, g.y0()); x1 = Math.max(x1, g.x1()); y1 = Math.max(y1, g.y1());
          }
          double t = 1e-6 * d.width();
          Box b = x.box();
          assertThat(b.x0() >= x0 - t && b.y0() >= y0 - t && b.x1() <= x1 + t && b.y1() <= y1 + t)
              .as("image %d: %s inside the hull [%s, %s, %s, %s] of %s", d.index(), b, x0, y0, x1, y1, x.from()).isTrue();
        }
      }
    }

    @Test @DisplayName("No region positive for any class (every probability 0) gives no box")
    void nothingPositive() {
      assumeTrue(anatomy(), "only for detectors that read anatomy-detection models");
      Detections d = detect(model(new float[] {.1f, .2f, .4f, .6f, .5f, .5f, .9f, .9f, 0f, 0f, .2f, .2f}, new float[] {0f, 0f, 0f}));
      assertThat(d.detections()).isEmpty();
    }
  }

  @Nested @DisplayName("Golden values")
  class Golden {
    @Test @DisplayName("The detector gives the hand-worked boxes (label, score, coordinates) on every supplied case")
    void golden() {
      List<GoldenCase> cases = goldenCases();
      assumeFalse(cases.isEmpty(), "no hand-worked cases given: override goldenCases() (DetectorGoldenCases has the ADPD and"
          + " CAM-box ones); the other groups still apply");
      for (GoldenCase c : cases) {
        DetectRequest.Builder b = DetectRequest.builder(c.image()).frames(List.of(c.frame()));
        if (c.withKitMethod()) b.explainer(BandClassifier.explainer());
        Detections d = detector().detect(c.model(), b.build()).get(0);
        List<Key> got = keys(d).stream().map(k -> new Key(k.label(), k.score(), k.x0(), k.y0(), k.x1(), k.y1(), List.of())).toList();
        List<Key> want = new ArrayList<>();
        for (Box e : c.expected()) want.add(new Key(e.label(), e.score(), e.x0(), e.y0(), e.x1(), e.y1(), List.of()));
        want.sort(Comparator.comparing(Key::label).thenComparingDouble(x -> -x.score()).thenComparingDouble(Key::x0).thenComparingDouble(Key::y0));
        assertSameKeys(got, want, c.tolerance(), c.description());
        c.imageScores().forEach((k, v) -> assertThat(d.imageScores().get(k)).as("%s: image score of %s", c.description(), k)
            .isNotNull().isCloseTo(v, within(c.tolerance())));
      }
    }
  }

  @Nested @DisplayName("Errors")
  class Errors {
    @Test @DisplayName("A model of a task the detector does not declare is refused with a one-line XcamException")
    void undeclaredTask() {
      Model other = !anatomy() ? randomAnatomy(5, 1) : !classifier() ? new BandClassifier() : null;
      assumeTrue(other != null, "the detector declares both fixture tasks");
      Tensor x = other instanceof AnatomyTableModel a ? a.image(0) : randomBands(3, 1);
      assertThatThrownBy(() -> detector().detect(other, request(x, List.of())))
          .isInstanceOf(XcamException.class).satisfies(e -> assertThat(e.getMessage()).isNotBlank().doesNotContain("\n"));
    }

    @Test @DisplayName("A detector that cuts boxes from heatmaps fails with a one-line XcamException when the request has no method")
    void missingMethod() {
      assumeTrue(provider().usesExplainer(), "only for detectors that use a method's heatmaps");
      assertThatThrownBy(() -> detector().detect(new BandClassifier(), DetectRequest.builder(randomBands(3, 1)).build()))
          .isInstanceOf(XcamException.class).satisfies(e -> assertThat(e.getMessage()).isNotBlank().doesNotContain("\n"));
    }
  }
}
