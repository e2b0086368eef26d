package org.xcam.tck.broken;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.xcam.api.Box;
import org.xcam.api.Capability;
import org.xcam.api.DetectRequest;
import org.xcam.api.Detection;
import org.xcam.api.Detections;
import org.xcam.api.Detector;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.HeatmapBox;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.Target;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.api.spi.DetectorProvider;

/**
 * Anatomy-driven detection and CAM-derived boxes written here, independent of plugins-anatomy (a plain threshold
 * decoder, a small weighted box fusion with confidence max, a CAM box cut with the api's HeatmapBox), and deliberately
 * broken variants. The detector kit must pass on the good ones and fail, in the right group, on each broken one.
 */
public final class TestDetectors {
  private TestDetectors() { }

  /** How a variant misbehaves. */
  enum Defect { NONE, WBF, WBF_IOU_01, NO_CLIP, SCORE_LOGIT, FIRST_REGION, INFLATED, RANDOM }

  abstract static class Base implements DetectorProvider {
    abstract Defect defect();
    @Override public String description() { return "test ADPD decoder (" + defect() + ")"; }
    @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD); }
    @Override public List<OptionSpec> options() { return List.of(); }
    @Override public Set<Task> tasks() { return EnumSet.of(Task.ANATOMY_DETECTION); }
    @Override public List<String> classes(ModelInfo m) { return strings(anatomy(m).get("pathologies")); }
    @Override public Detector create(Options o) { return new Adpd(name(), defect()); }
  }

  public static final class GoodNoWbf extends Base {
    @Override public String name() { return "test-adpd"; }
    @Override Defect defect() { return Defect.NONE; }
  }

  public static final class GoodWbf extends Base {
    @Override public String name() { return "test-adpd-wbf"; }
    @Override Defect defect() { return Defect.WBF; }
  }

  public static final class WrongIou extends Base {
    @Override public String name() { return "broken-wbf-iou"; }
    @Override Defect defect() { return Defect.WBF_IOU_01; }
  }

  public static final class NoClip extends Base {
    @Override public String name() { return "broken-no-clip"; }
    @Override Defect defect() { return Defect.NO_CLIP; }
  }

  public static final class ScoreLogit extends Base {
    @Override public String name() { return "broken-score-logit"; }
    @Override Defect defect() { return Defect.SCORE_LOGIT; }
  }

  public static final class FirstRegion extends Base {
    @Override public String name() { return "broken-first-region"; }
    @Override Defect defect() { return Defect.FIRST_REGION; }
  }

  public static final class Inflated extends Base {
    @Override public String name() { return "broken-inflated"; }
    @Override Defect defect() { return Defect.INFLATED; }
  }

  public static final class RandomScores extends Base {
    @Override public String name() { return "broken-random"; }
    @Override Defect defect() { return Defect.RANDOM; }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> anatomy(ModelInfo m) {
    if (m.task() != Task.ANATOMY_DETECTION || !(m.extra().get("anatomy") instanceof Map<?, ?> a)) {
      throw new InvalidInputException("model '" + m.name() + "' is not an anatomy-detection model");
    }
    return (Map<String, Object>) a;
  }

  static List<String> strings(Object o) { return ((List<?>) o).stream().map(String::valueOf).toList(); }

  /** The test decoder: presence >= .5 and probability > .5 make a region a box of that pathology. */
  static final class Adpd implements Detector {
    private final String name;
    private final Defect defect;
    private final Random random = new Random();

    Adpd(String name, Defect defect) {
      this.name = name;
      this.defect = defect;
    }

    @Override public String name() { return name; }

    @Override public List<Detections> detect(Model model, DetectRequest request) {
      Map<String, Object> a = anatomy(model.info());
      List<String> regions = strings(a.get("regions")), paths = strings(a.get("pathologies"));
      boolean cxcywh = "cxcywh".equals(a.get("boxFormat"));
      int r = regions.size(), p = paths.size();
      Tensor out = model.forward(request.input());
      int k = out.dim(1);
      List<Detections> res = new ArrayList<>();
      for (int i = 0; i < request.size(); i++) {
        float[] row = new float[k];
        out.copyTo(i * k, row, 0, k);
        DetectRequest.Frame f = request.frame(i);
        List<Box> regionBoxes = new ArrayList<>();
        for (int j = 0; j < r; j++) {
          double u = row[4 * j], v = row[4 * j + 1], w = row[4 * j + 2], h = row[4 * j + 3];
          double x0 = cxcywh ? u - w / 2 : u, y0 = cxcywh ? v - h / 2 : v, x1 = cxcywh ? u + w / 2 : w, y1 = cxcywh ? v + h / 2 : h;
          Box b = new Box(x0 * f.width(), y0 * f.height(), x1 * f.width(), y1 * f.height(), regions.get(j), row[4 * r + j]);
          regionBoxes.add(defect == Defect.NO_CLIP ? b : b.clipped(f.width(), f.height()));
        }
        List<Detection> ds = new ArrayList<>();
        Map<String, Double> image = new LinkedHashMap<>();
        for (int c = 0; c < p; c++) {
          String label = paths.get(c);
          if (!request.wants(label)) continue;
          double best = 0;
          List<Detection> cands = new ArrayList<>();
          for (int j = 0; j < r; j++) {
            double q = row[5 * r + j * p + c];
            best = Math.max(best, q);
            if (row[4 * r + j] < .5 || !(q > .5)) continue;
            double s = defect == Defect.SCORE_LOGIT ? Math.log(q / (1 - q)) + 1 : defect == Defect.RANDOM ? q * (0.9 + 0.1 * random.nextDouble()) : q;
            Box rb = regionBoxes.get(j);
            cands.add(Detection.ofRegions(new Box(rb.x0(), rb.y0(), rb.x1(), rb.y1(), label, s), List.of(regions.get(j))));
            if (defect == Defect.FIRST_REGION) break;
          }
          image.put(label, best);
          ds.addAll(switch (defect) {
            case WBF -> fuse(cands, .03, false, f);
            case WBF_IOU_01 -> fuse(cands, .1, false, f);
            case INFLATED -> fuse(cands, .03, true, f);
            default -> cands;
          });
        }
        ds.sort(Comparator.comparingDouble((Detection d) -> -d.score()));
        res.add(new Detections(i, f.width(), f.height(), ds, regionBoxes.stream().map(b -> b.clipped(f.width(), f.height())).toList(),
            image, List.of()));
      }
      return res;
    }

    /** Weighted box fusion of one class, confidence max: join the cluster whose fused box has the largest IoU > thr. */
    static List<Detection> fuse(List<Detection> cands, double thr, boolean inflate, DetectRequest.Frame f) {
      List<Detection> sorted = new ArrayList<>(cands);
      sorted.sort(Comparator.comparingDouble((Detection d) -> -d.score()));
      List<List<Detection>> clusters = new ArrayList<>();
      List<Box> fused = new ArrayList<>();
      for (Detection d : sorted) {
        int best = -1;
        double bestIou = thr;
        for (int c = 0; c < clusters.size(); c++) {
          double iou = fused.get(c).iou(d.box());
          if (iou > bestIou) { bestIou = iou; best = c; }
        }
        if (best < 0) {
          clusters.add(new ArrayList<>(List.of(d)));
          fused.add(d.box());
        } else {
          clusters.get(best).add(d);
          double sw = 0, x0 = 0, y0 = 0, x1 = 0, y1 = 0, mx = 0;
          for (Detection m : clusters.get(best)) {
            double s = m.score();
            sw += s; x0 += s * m.box().x0(); y0 += s * m.box().y0(); x1 += s * m.box().x1(); y1 += s * m.box().y1();
            mx = Math.max(mx, s);
          }
          fused.set(best, new Box(x0 / sw, y0 / sw, x1 / sw, y1 / sw, d.label(), mx));
        }
      }
      List<Detection> out = new ArrayList<>();
      for (int c = 0; c < clusters.size(); c++) {
        Box b = fused.get(c);
        if (inflate) {
          double dx = 0.1 * b.width(), dy = 0.1 * b.height();
          b = new Box(b.x0() - dx, b.y0() - dy, b.x1() + dx, b.y1() + dy, b.label(), b.score()).clipped(f.width(), f.height());
        }
        out.add(Detection.ofRegions(b, clusters.get(c).stream().flatMap(d -> d.from().stream()).toList()));
      }
      return out;
    }
  }

  /** CAM-derived boxes written here: per class, the api's HeatmapBox at 0.5 of the max, scored by the sigmoid. */
  public static class GoodCam implements DetectorProvider {
    @Override public String name() { return "test-cam-boxes"; }
    @Override public String description() { return "test CAM boxes"; }
    @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD); }
    @Override public List<OptionSpec> options() { return List.of(); }
    @Override public Set<Task> tasks() { return EnumSet.of(Task.MULTILABEL); }
    @Override public boolean usesExplainer() { return true; }
    boolean checksMethod() { return true; }

    @Override public Detector create(Options o) {
      return new Detector() {
        @Override public String name() { return GoodCam.this.name(); }

        @Override public List<Detections> detect(Model model, DetectRequest request) {
          if (model.info().task() != Task.MULTILABEL) throw new InvalidInputException("not a multilabel model");
          if (checksMethod() && request.explainer().isEmpty()) throw new InvalidInputException("needs a method");
          Explainer e = request.explainer().get();
          float[] y = model.forward(request.input()).toArray();
          int k = model.info().numOutputs();
          List<List<Detection>> per = new ArrayList<>();
          for (int i = 0; i < request.size(); i++) per.add(new ArrayList<>());
          for (int c = 0; c < k; c++) {
            String label = model.info().labels().get(c);
            if (!request.wants(label)) continue;
            for (Explanation x : e.explain(model, ExplainRequest.builder(request.input()).target(Target.classIndex(c)).build())) {
              int i = x.index();
              DetectRequest.Frame f = request.frame(i);
              double prob = 1 / (1 + Math.exp(-y[i * k + c]));
              HeatmapBox.largestComponent(x.map(), 0.5, label, prob).ifPresent(b -> per.get(i).add(
                  Detection.ofMap(b.scaled(f.width() / (double) x.map().width(), f.height() / (double) x.map().height()), e.name())));
            }
          }
          List<Detections> out = new ArrayList<>();
          for (int i = 0; i < request.size(); i++) {
            per.get(i).sort(Comparator.comparingDouble((Detection d) -> -d.score()));
            DetectRequest.Frame f = request.frame(i);
            out.add(new Detections(i, f.width(), f.height(), per.get(i), List.of(), Map.of(), List.of()));
          }
          return out;
        }
      };
    }
  }

  /** Uses the request's method without checking that there is one (a NoSuchElementException, not a one-line error). */
  public static final class CamNoCheck extends GoodCam {
    @Override public String name() { return "broken-cam-no-check"; }
    @Override boolean checksMethod() { return false; }
  }
}
