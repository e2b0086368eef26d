package com.example.regionhull;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xcam.api.Box;
import org.xcam.api.Capability;
import org.xcam.api.DetectRequest;
import org.xcam.api.Detection;
import org.xcam.api.Detections;
import org.xcam.api.Detector;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.api.spi.DetectorProvider;

/**
 * {@code region-hull}: an example third-party detector for anatomy-detection bundles (the flat ADPD output of
 * plugins-anatomy/README.md). Per class, the anatomical regions whose presence is at least {@code presence-threshold}
 * and whose class probability is above {@code threshold} are merged into one box, their bounding hull, scored by the
 * most confident of them — where the {@code adpd} detector averages (weighted box fusion), this one covers. Depends on
 * {@code xcam-api} only; registered in {@code META-INF/services/org.xcam.api.spi.DetectorProvider}.
 */
public final class RegionHullProvider implements DetectorProvider {
  @Override public String name() { return "region-hull"; }

  @Override public String description() {
    return "positive anatomical regions of each class merged into their bounding hull, scored by the most confident (example plugin)";
  }

  @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD); }

  @Override public List<OptionSpec> options() {
    return List.of(new OptionSpec("threshold", "0.5", "a region counts for a class when its probability is above this"),
        new OptionSpec("presence-threshold", "0.5", "regions with a presence probability below this are ignored"));
  }

  @Override public Detector create(Options o) {
    double t = o.getDouble("threshold"), pt = o.getDouble("presence-threshold");
    if (!(t >= 0 && t <= 1 && pt >= 0 && pt <= 1)) throw new InvalidInputException("region-hull thresholds must be in [0, 1]");
    return new Hull(t, pt);
  }

  @Override public Set<Task> tasks() { return EnumSet.of(Task.ANATOMY_DETECTION); }

  @Override public List<String> classes(ModelInfo model) { return Anatomy.of(model).pathologies(); }

  /** The manifest's {@code anatomy} object: regions, pathologies, box format (identity class mapping). */
  record Anatomy(List<String> regions, List<String> pathologies, boolean cxcywh) {
    static Anatomy of(ModelInfo m) {
      if (m.task() != Task.ANATOMY_DETECTION || !(m.extra().get("anatomy") instanceof Map<?, ?> a)) {
        throw new InvalidInputException("region-hull reads anatomy-detection bundles; model '" + m.name() + "' has task " + m.task().id());
      }
      Anatomy s = new Anatomy(names(a.get("regions")), names(a.get("pathologies")), "cxcywh".equals(a.get("boxFormat")));
      if (m.numOutputs() != s.regions().size() * (5 + s.pathologies().size())) {
        throw new InvalidInputException("model '" + m.name() + "' has " + m.numOutputs() + " outputs, not R*(5+P)");
      }
      return s;
    }

    private static List<String> names(Object o) {
      if (!(o instanceof List<?> l) || l.isEmpty()) throw new InvalidInputException("the anatomy object needs regions and pathologies");
      return l.stream().map(String::valueOf).toList();
    }
  }

  private record Hull(double threshold, double presence) implements Detector {
    @Override public String name() { return "region-hull"; }

    @Override public List<Detections> detect(Model model, DetectRequest request) {
      Anatomy a = Anatomy.of(model.info());
      int r = a.regions().size(), p = a.pathologies().size();
      Tensor out = model.forward(request.input());
      int k = out.dim(1);
      float[] row = new float[k];
      List<Detections> res = new ArrayList<>();
      for (int i = 0; i < request.size(); i++) {
        out.copyTo(i * k, row, 0, k);
        DetectRequest.Frame f = request.frame(i);
        List<Box> regions = new ArrayList<>();
        for (int j = 0; j < r; j++) {
          double u = row[4 * j], v = row[4 * j + 1], w = row[4 * j + 2], h = row[4 * j + 3];
          double x0 = a.cxcywh() ? u - Math.abs(w) / 2 : Math.min(u, w), x1 = a.cxcywh() ? u + Math.abs(w) / 2 : Math.max(u, w);
          double y0 = a.cxcywh() ? v - Math.abs(h) / 2 : Math.min(v, h), y1 = a.cxcywh() ? v + Math.abs(h) / 2 : Math.max(v, h);
          regions.add(new Box(x0 * f.width(), y0 * f.height(), x1 * f.width(), y1 * f.height(), a.regions().get(j), row[4 * r + j])
              .clipped(f.width(), f.height()));
        }
        List<Detection> found = new ArrayList<>();
        for (int c = 0; c < p; c++) {
          String label = a.pathologies().get(c);
          if (!request.wants(label)) continue;
          double x0 = Double.POSITIVE_INFINITY, y0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
          double best = 0;
          List<String> from = new ArrayList<>();
          for (int j = 0; j < r; j++) {
            double q = row[5 * r + j * p + c];
            Box g = regions.get(j);
            if (g.score() < presence || !(q > threshold)) continue;
            x0 = Math.min(x0, g.x0()); y0 = Math.min(y0, g.y0()); x1 = Math.max(x1, g.x1()); y1 = Math.max(y1, g.y1());
            best = Math.max(best, q);
            from.add(g.label());
          }
          if (!from.isEmpty()) found.add(Detection.ofRegions(new Box(x0, y0, x1, y1, label, best), from));
        }
        found.sort(Comparator.comparingDouble((Detection d) -> -d.score()));
        res.add(new Detections(i, f.width(), f.height(), found, regions, new LinkedHashMap<>(), List.of()));
      }
      return res;
    }
  }
}
