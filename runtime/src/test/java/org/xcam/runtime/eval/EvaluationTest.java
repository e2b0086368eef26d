package org.xcam.runtime.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.Box;
import org.xcam.api.Capability;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.InputSpec;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerHook;
import org.xcam.api.Metric;
import org.xcam.api.MetricContext;
import org.xcam.api.MetricResult;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.Objective;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.Passes;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.api.UnknownNameException;
import org.xcam.api.bundle.Json;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.api.spi.MetricProvider;
import org.xcam.runtime.Xcam;
import org.xcam.runtime.phantom.PhantomGenerator;

class EvaluationTest {
  // ------------------------------------------------------------------ fixtures: a model, two methods, three metrics

  /** 1 x 64 x 64 input, labels = the phantom kinds; logit k = mean pixel * (k + 1) (so the top-1 is always the last class). */
  static final class MeanModel implements Model {
    final ModelInfo info = new ModelInfo("mean-model", Task.MULTICLASS, PhantomGenerator.KINDS,
        new InputSpec(1, 64, 64, new float[] {0.5f}, new float[] {0.25f}), List.of(), "input", "java:mean", "java", Map.of());
    @Override public ModelInfo info() { return info; }
    @Override public Set<Capability> capabilities() { return EnumSet.of(Capability.FORWARD); }
    @Override public Tensor forward(Tensor b) {
      int n = b.dim(0), per = b.size() / n, k = info.numOutputs();
      float[] out = new float[n * k];
      for (int i = 0; i < n; i++) {
        double s = 0;
        for (int p = 0; p < per; p++) s += b.get(i * per + p);
        for (int j = 0; j < k; j++) out[i * k + j] = (float) (s / per * (j + 1));
      }
      return Tensor.wrap(out, n, k);
    }
    @Override public LayerHook layer(String l) { throw new UnsupportedOperationException(); }
    @Override public void close() { }
  }

  static final AtomicInteger CALLS = new AtomicInteger();
  static final AtomicInteger IMAGES = new AtomicInteger();

  /** Method "left-half": 1 on the left half of the image, 0 on the right. */
  public static class LeftHalf implements ExplainerProvider {
    @Override public String name() { return "left-half"; }
    @Override public String description() { return "test: the left half"; }
    @Override public Set<Capability> requires() { return Set.of(Capability.FORWARD); }
    @Override public List<OptionSpec> options() { return List.of(); }
    @Override public Explainer create(Options o) {
      return new Explainer() {
        @Override public String name() { return "left-half"; }
        @Override public List<Explanation> explain(Model m, ExplainRequest r) {
          CALLS.incrementAndGet();
          IMAGES.addAndGet(r.size());
          Tensor y = m.forward(r.input());
          List<Explanation> out = new ArrayList<>();
          int k = y.dim(1);
          for (int i = 0; i < r.size(); i++) {
            float[] row = new float[k];
            y.copyTo(i * k, row, 0, k);
            Objective obj = r.target(i).resolve(m.info(), row).get(0);
            float[] v = new float[8 * 8];
            for (int p = 0; p < v.length; p++) v[p] = p % 8 < 4 ? 1 : 0;
            out.add(Explanation.of(i, Heatmap.of(v, 8, 8, "left-half", "input", obj.describe(), Heatmap.Resolution.LAYER),
                64, 64, obj, obj.value(row), Passes.NONE, Map.of()));
          }
          return out;
        }
      };
    }
  }

  /** Method "flat": a constant map (normalises to all zeros). */
  public static class Flat extends LeftHalf {
    @Override public String name() { return "flat"; }
    @Override public Explainer create(Options o) {
      return new Explainer() {
        @Override public String name() { return "flat"; }
        @Override public List<Explanation> explain(Model m, ExplainRequest r) {
          List<Explanation> out = new ArrayList<>();
          Tensor y = m.forward(r.input());
          int k = y.dim(1);
          for (int i = 0; i < r.size(); i++) {
            float[] row = new float[k];
            y.copyTo(i * k, row, 0, k);
            Objective obj = r.target(i).resolve(m.info(), row).get(0);
            out.add(Explanation.of(i, Heatmap.of(new float[16], 4, 4, "flat", "input", "", Heatmap.Resolution.LAYER), 64, 64, obj, 0,
                Passes.NONE, Map.of()));
          }
          return out;
        }
      };
    }
  }

  /** Metric "mean-map": the mean of the [0,1] map, with the curve "profile" x = (0, 1), y = (mean, mean). */
  public static class MeanMap implements MetricProvider {
    @Override public String name() { return "mean-map"; }
    @Override public String description() { return "test: mean of the map"; }
    @Override public Range range() { return new Range(0, 1, true); }
    @Override public Set<MetricContext.Need> needs() { return Set.of(); }
    @Override public Metric create(Options o) {
      return ctx -> {
        double m = ctx.heatmap().sum() / (ctx.heatmap().height() * ctx.heatmap().width());
        return new MetricResult(m, Map.of("profile", new double[][] {{0, 1}, {m, m}}), "");
      };
    }
  }

  /** Metric "box-area": the ground-truth box area in input pixels (needs boxes). */
  public static class BoxArea implements MetricProvider {
    @Override public String name() { return "box-area"; }
    @Override public String description() { return "test: area of the boxes"; }
    @Override public Range range() { return new Range(0, Double.POSITIVE_INFINITY, false); }
    @Override public Set<MetricContext.Need> needs() { return Set.of(MetricContext.Need.BOXES); }
    @Override public Metric create(Options o) {
      return ctx -> MetricResult.of(ctx.boxes().stream().mapToDouble(Box::area).sum());
    }
  }

  /** Metric "human": needs a saliency map (no dataset here has one). */
  public static class Human extends MeanMap {
    @Override public String name() { return "human"; }
    @Override public Set<MetricContext.Need> needs() { return Set.of(MetricContext.Need.SALIENCY); }
  }

  static Xcam xcam;

  @BeforeAll
  static void discover(@TempDir Path dir) throws IOException {
    write(dir, ExplainerProvider.class, List.of(LeftHalf.class, Flat.class));
    write(dir, MetricProvider.class, List.of(MeanMap.class, BoxArea.class, Human.class));
    xcam = Xcam.create(new URLClassLoader(new URL[] {dir.toUri().toURL()}, EvaluationTest.class.getClassLoader()));
  }

  private static void write(Path dir, Class<?> service, List<Class<?>> impls) throws IOException {
    Path f = dir.resolve("META-INF/services/" + service.getName());
    Files.createDirectories(f.getParent());
    Files.writeString(f, String.join("\n", impls.stream().map(Class::getName).toList()) + "\n");
  }

  static Evaluation.Builder phantoms(Path out, int n) {
    return Evaluation.builder(xcam, new MeanModel(), Datasets.parse("phantom:" + n + ":100", 0), out)
        .methods(List.of("left-half", "flat")).metrics(List.of("mean-map", "box-area")).batch(4).overlays(3);
  }

  static List<List<String>> rows(Path csv) {
    List<List<String>> r = new ArrayList<>();
    Csv.read(csv, r::add);
    return r.subList(1, r.size());
  }

  // ------------------------------------------------------------------ tests

  @Nested @DisplayName("a run over phantoms")
  class Run {
    @Test @DisplayName("writes one row per image x method x metric, the summary, charts, overlays, index.html and the manifest")
    void files(@TempDir Path out) throws IOException {
      Evaluation.Outcome o = phantoms(out, 10).seed(5).build().run();
      assertThat(o.images()).isEqualTo(10);
      List<List<String>> rows = rows(out.resolve("results.csv"));
      assertThat(rows).hasSize(10 * 2 * 2);
      for (String f : List.of("summary.csv", "summary.json", "index.html", "manifest.json", "charts/profile.png", "charts/seconds.png",
          "overlays/phantom-100__image.png", "overlays/phantom-100__left-half.png", "overlays/phantom-102__flat.png")) {
        assertThat(out.resolve(f)).as(f).isRegularFile();
      }
      assertThat(out.resolve("overlays/phantom-103__image.png")).as("overlays only for the first 3").doesNotExist();
      BufferedImage chart = ImageIO.read(out.resolve("charts/profile.png").toFile());
      assertThat(chart.getWidth()).isEqualTo(640);
      Map<?, ?> manifest = (Map<?, ?>) Json.parse(Files.readString(out.resolve("manifest.json")));
      assertThat(manifest.get("seed")).isEqualTo(5L);
      assertThat(manifest.get("dataset")).isEqualTo("phantom:10:100");
      assertThat(Files.readString(out.resolve("index.html"))).contains("left-half").contains("mean-map").contains("charts/profile.png")
          .contains("overlays/phantom-100__left-half.png");
    }

    @Test @DisplayName("the left-half map has mean exactly 1/2 at 64 x 64 (8x8 -> 64x64 bilinear is symmetric about the middle); flat is 0")
    void means(@TempDir Path out) {
      // Bilinear upsampling of the 0/1 halves gives columns 0..27 = 1, 36..63 = 0 and a ramp 28..35 whose values
      // pair up to 1 around the middle (v(31-j) + v(32+j) = 1), so the mean is exactly 1/2.
      phantoms(out, 6).build().run();
      Map<String, String> mean = new java.util.HashMap<>();
      for (List<String> r : rows(out.resolve("summary.csv"))) if (r.get(2).equals("all")) mean.put(r.get(0) + "/" + r.get(1), r.get(4));
      assertThat(Double.parseDouble(mean.get("left-half/mean-map"))).isCloseTo(0.5, within(1e-4));
      assertThat(Double.parseDouble(mean.get("flat/mean-map"))).isCloseTo(0.0, within(1e-9));
      assertThat(mean).containsKey("left-half/seconds-per-image");
      assertThat(Double.parseDouble(mean.get("left-half/seconds-per-image"))).isPositive();
    }

    @Test @DisplayName("box metrics skip images without a lesion (normal phantoms): empty value with the reason, not a number")
    void normalsNotScored(@TempDir Path out) {
      phantoms(out, 12).build().run();
      for (List<String> r : rows(out.resolve("results.csv"))) {
        if (!r.get(2).equals("box-area")) continue;
        boolean normal = r.get(5).equals("normal");
        assertThat(r.get(3).isEmpty()).as(r.toString()).isEqualTo(normal);
        if (normal) assertThat(r.get(4)).contains("no ground-truth box");
        else assertThat(Double.parseDouble(r.get(3))).isPositive();
      }
    }

    @Test @DisplayName("box-area rows equal the phantom generator's lesion areas (the model input is the phantom's size)")
    void boxesFromGenerator(@TempDir Path out) {
      phantoms(out, 5).build().run();
      for (List<String> r : rows(out.resolve("results.csv"))) {
        if (!r.get(2).equals("box-area") || r.get(3).isEmpty()) continue;
        long seed = Long.parseLong(r.get(0).substring("phantom-".length()));
        double area = PhantomGenerator.generate(seed, 64).lesions().stream().mapToDouble(Box::area).sum();
        assertThat(Double.parseDouble(r.get(3))).isCloseTo(area, within(1e-3));
      }
    }

    @Test @DisplayName("summary splits by correct/wrong prediction and by class; the mean model always predicts the last class")
    void groups(@TempDir Path out) {
      phantoms(out, 12).build().run();
      List<List<String>> s = rows(out.resolve("summary.csv"));
      assertThat(s).anyMatch(r -> r.get(2).equals("wrong"));
      assertThat(s).anyMatch(r -> r.get(2).startsWith("class:"));
      for (List<String> r : s) {
        if (r.get(2).equals("correct")) {
          // only cardiomegaly (the last label) can be right
          assertThat(s).anyMatch(x -> x.get(2).equals("class:cardiomegaly"));
        }
      }
    }

    @Test @DisplayName("--target truth explains the ground-truth class: the target column equals the label")
    void truth(@TempDir Path out) {
      phantoms(out, 6).target("truth").build().run();
      for (List<String> r : rows(out.resolve("results.csv"))) assertThat(r.get(6)).isEqualTo(r.get(5));
    }
  }

  @Nested @DisplayName("resuming")
  class Resume {
    @Test @DisplayName("a second run computes nothing; after rows are removed only the missing image is explained again")
    void resume(@TempDir Path out) throws IOException {
      phantoms(out, 8).build().run();
      CALLS.set(0);
      IMAGES.set(0);
      Evaluation.Outcome again = phantoms(out, 8).build().run();
      assertThat(again.newRows()).isZero();
      assertThat(again.resumed()).isEqualTo(8);
      assertThat(IMAGES.get()).isZero();
      // drop the rows of phantom-103 (a killed run)
      List<String> lines = Files.readAllLines(out.resolve("results.csv"));
      Files.write(out.resolve("results.csv"), lines.stream().filter(l -> !l.startsWith("phantom-103,")).toList());
      Evaluation.Outcome third = phantoms(out, 8).build().run();
      assertThat(IMAGES.get()).isEqualTo(1);
      assertThat(third.newRows()).isEqualTo(4);
      assertThat(rows(out.resolve("results.csv"))).hasSize(8 * 4);
    }
  }

  @Nested @DisplayName("bad input")
  class BadInput {
    @Test @DisplayName("a missing image is reported in skipped.csv and counted; a box outside the image is clipped and flagged")
    void csv(@TempDir Path dir) throws IOException {
      Path imgs = Files.createDirectories(dir.resolve("img"));
      BufferedImage g = new BufferedImage(128, 128, BufferedImage.TYPE_BYTE_GRAY);
      ImageIO.write(g, "png", imgs.resolve("a.png").toFile());
      ImageIO.write(g, "png", imgs.resolve("b.png").toFile());
      Files.writeString(dir.resolve("set.csv"), "image,label,x,y,w,h\n"
          + "img/a.png,nodule,10,20,30,40\n"
          + "img/missing.png,mass,1,1,5,5\n"
          + "img/b.png,mass,100,100,60,10\n");
      Path out = dir.resolve("out");
      Evaluation.Outcome o = Evaluation.builder(xcam, new MeanModel(), Datasets.parse("csv:" + dir.resolve("set.csv"), 0), out)
          .methods(List.of("left-half")).metrics(List.of("box-area")).build().run();
      assertThat(o.skipped()).isEqualTo(1);
      assertThat(rows(out.resolve("skipped.csv"))).singleElement().satisfies(r -> {
        assertThat(r.get(0)).isEqualTo("missing");
        assertThat(r.get(1)).contains("missing.png");
      });
      Map<String, List<String>> byImage = new java.util.HashMap<>();
      for (List<String> r : rows(out.resolve("results.csv"))) byImage.put(r.get(0), r);
      // a: 30 x 40 px at 128 -> 15 x 20 at 64: area 300
      assertThat(Double.parseDouble(byImage.get("a").get(3))).isCloseTo(300, within(1e-6));
      assertThat(byImage.get("a").get(10)).isEmpty();
      // b: [100,160) clipped to [100,128) -> 28 x 10 at 128 -> 14 x 5 at 64: area 70
      assertThat(Double.parseDouble(byImage.get("b").get(3))).isCloseTo(70, within(1e-6));
      assertThat(byImage.get("b").get(10)).contains("clipped");
      Map<?, ?> summary = (Map<?, ?>) Json.parse(Files.readString(out.resolve("summary.json")));
      assertThat(((Map<?, ?>) summary.get("images")).get("skipped")).isEqualTo(1L);
      assertThat(((Map<?, ?>) summary.get("images")).get("flagged")).isEqualTo(1L);
    }

    @Test @DisplayName("unknown metric, method and dataset kind fail before any work, listing what exists")
    void unknown(@TempDir Path out) {
      assertThatThrownBy(() -> phantoms(out, 2).metrics(List.of("iou-energi-90")).build().run())
          .isInstanceOf(UnknownNameException.class).hasMessageContaining("box-area").hasMessageContaining("mean-map");
      assertThatThrownBy(() -> phantoms(out, 2).methods(List.of("gradcm")).build().run())
          .isInstanceOf(UnknownNameException.class).hasMessageContaining("left-half");
      assertThatThrownBy(() -> Datasets.parse("imagenet:/x", 0))
          .isInstanceOf(UnknownNameException.class).hasMessageContaining("nih:").hasMessageContaining("phantom:");
      assertThatThrownBy(() -> Datasets.parse("phantom:many", 0)).isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("phantom:<count>");
      assertThat(out.resolve("results.csv")).doesNotExist();
    }

    @Test @DisplayName("a metric that needs human saliency maps is refused for a dataset without them")
    void needs(@TempDir Path out) {
      assertThatThrownBy(() -> phantoms(out, 2).metrics(List.of("human")).build().run())
          .isInstanceOf(InvalidInputException.class).hasMessageContaining("saliency");
    }
  }

  @Nested @DisplayName("the NIH box list")
  class Nih {
    @Test @DisplayName("groups rows by image, scales boxes from the file's pixels to the model input, reads grayscale and RGBA")
    void nih(@TempDir Path dir) throws IOException {
      BufferedImage gray = new BufferedImage(256, 256, BufferedImage.TYPE_BYTE_GRAY);
      BufferedImage rgba = new BufferedImage(256, 128, BufferedImage.TYPE_INT_ARGB);
      ImageIO.write(gray, "png", dir.resolve("00000001_000.png").toFile());
      ImageIO.write(rgba, "png", dir.resolve("00000002_000.png").toFile());
      Files.writeString(dir.resolve("BBox_List_2017.csv"), "Image Index,Finding Label,Bbox [x,y,w,h],,,\n"
          + "00000001_000.png,Nodule,64,32,16,8\n"
          + "00000002_000.png,Mass,128,64,32,32\n"
          + "00000001_000.png,Mass,0,0,256,256\n");
      Dataset d = Datasets.parse("nih:" + dir.resolve("BBox_List_2017.csv") + ":" + dir, 0);
      assertThat(d.size()).isEqualTo(2);
      InputSpec spec = new InputSpec(1, 64, 64, new float[] {0.5f}, new float[] {0.25f});
      var it = d.entries();
      Sample a = it.next().load(spec, PhantomGenerator.KINDS);
      // 256 -> 64: factor 1/4
      assertThat(a.boxes()).containsExactly(Box.of(16, 8, 20, 10, "Nodule"), Box.of(0, 0, 64, 64, "Mass"));
      assertThat(a.label()).isEqualTo("Nodule");
      assertThat(a.labelIndex()).isEqualTo(1);
      assertThat(a.input().shape()).containsExactly(1, 64, 64);
      Sample b = it.next().load(spec, PhantomGenerator.KINDS);
      // 256 x 128 -> 64 x 64: x / 4, y / 2
      assertThat(b.boxes()).containsExactly(Box.of(32, 32, 40, 48, "Mass"));
      assertThat(b.display().getWidth()).isEqualTo(256);
    }
  }

  @Test @DisplayName("a folder of masks: the mask is resized to the input (bilinear, > 0.5) and its bounding box drawn; labels from a CSV")
  void masks(@TempDir Path dir) throws IOException {
    Path imgs = Files.createDirectories(dir.resolve("img")), masks = Files.createDirectories(dir.resolve("mask"));
    ImageIO.write(new BufferedImage(128, 128, BufferedImage.TYPE_BYTE_GRAY), "png", imgs.resolve("p1.png").toFile());
    BufferedImage m = new BufferedImage(128, 128, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 32; y < 64; y++) for (int x = 40; x < 80; x++) m.getRaster().setSample(x, y, 0, 255);
    ImageIO.write(m, "png", masks.resolve("p1.png").toFile());
    Files.writeString(dir.resolve("labels.csv"), "image,label\np1.png,mass\n");
    Dataset d = Datasets.parse("masks:" + imgs + ":" + masks + ":" + dir.resolve("labels.csv"), 0);
    Sample s = d.entries().next().load(new InputSpec(1, 64, 64, new float[] {0.5f}, new float[] {0.25f}), PhantomGenerator.KINDS);
    // 128 -> 64 halves the square: rows 16..31, columns 20..39 (each output pixel averages 2x2 inputs: exactly 0 or 1)
    int inside = 0;
    for (int i = 0; i < 64 * 64; i++) if (s.mask().get(i) > 0) inside++;
    assertThat(inside).isEqualTo(16 * 20);
    assertThat(s.boxes()).containsExactly(Box.of(20, 16, 40, 32, "mass"));
    assertThat(s.labelIndex()).isEqualTo(2);
  }

  @Test @DisplayName("bootstrap: constant values give a zero-width interval; 1000 fair coin flips give about mean +- 1.96 * 0.5 / sqrt(1000)")
  void bootstrap() {
    Stats.Estimate c = Stats.bootstrap(new double[] {2, 2, 2}, 500, 1);
    assertThat(c.low()).isEqualTo(2.0);
    assertThat(c.high()).isEqualTo(2.0);
    double[] v = new double[1000];
    for (int i = 0; i < v.length; i += 2) v[i] = 1;
    Stats.Estimate e = Stats.bootstrap(v, 4000, 7);
    double half = 1.96 * 0.5 / Math.sqrt(1000);   // normal-theory half width 0.03099
    assertThat(e.mean()).isEqualTo(0.5);
    assertThat(e.low()).isCloseTo(0.5 - half, within(0.004));
    assertThat(e.high()).isCloseTo(0.5 + half, within(0.004));
  }
}
