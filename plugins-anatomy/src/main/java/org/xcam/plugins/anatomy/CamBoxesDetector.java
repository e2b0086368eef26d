package org.xcam.plugins.anatomy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xcam.api.Box;
import org.xcam.api.DetectRequest;
import org.xcam.api.Detection;
import org.xcam.api.Detections;
import org.xcam.api.Detector;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.HeatmapBox;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Model;
import org.xcam.api.Target;
import org.xcam.api.Task;
import org.xcam.api.Tensor;

/**
 * CAM-derived boxes (see {@link CamBoxesDetectorProvider}). Per request: one forward pass for the class probabilities
 * and one explain call per wanted class over the whole batch. Stateless and thread-safe.
 */
final class CamBoxesDetector implements Detector {
  private final String name;
  private final double threshold;

  CamBoxesDetector(String name, double threshold) {
    this.name = name;
    this.threshold = threshold;
  }

  @Override public String name() { return name; }

  @Override public List<Detections> detect(Model model, DetectRequest request) {
    Explainer explainer = request.explainer().orElseThrow(() -> new InvalidInputException(
        "detector '" + name + "' cuts boxes from heatmaps and needs a method; name one (e.g. --method gradcam)"));
    Task task = model.info().task();
    if (task != Task.MULTICLASS && task != Task.MULTILABEL) {
      throw new InvalidInputException("detector '" + name + "' reads classifiers (multiclass or multilabel); model '"
          + model.info().name() + "' has task " + task.id());
    }
    List<String> labels = model.info().labels();
    for (String c : request.classes()) {
      if (!labels.contains(c)) {
        throw new InvalidInputException("model '" + model.info().name() + "' has no class '" + c + "'; its classes: " + labels);
      }
    }
    Tensor x = request.input();
    int n = request.size(), k = model.info().numOutputs();
    float[] probs = probabilities(model, x);
    List<List<Detection>> perImage = new ArrayList<>();
    List<List<String>> notes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      perImage.add(new ArrayList<>());
      notes.add(new ArrayList<>());
    }
    for (int ci = 0; ci < k; ci++) {
      String c = labels.get(ci);
      if (!request.wants(c)) continue;
      List<Explanation> ex = explainer.explain(model, ExplainRequest.builder(x).target(Target.classIndex(ci))
          .layers(request.layers()).seed(request.seed()).build());
      for (Explanation e : ex) {
        int i = e.index();
        Heatmap map = e.map();
        DetectRequest.Frame f = request.frame(i);
        double sx = f.width() / (double) map.width(), sy = f.height() / (double) map.height();
        var box = HeatmapBox.largestComponent(map, threshold, c, probs[i * k + ci]);
        if (box.isPresent()) perImage.get(i).add(Detection.ofMap(box.get().scaled(sx, sy), explainer.name()));
        else notes.get(i).add(c + ": the " + explainer.name() + " map has no positive pixel, no box");
      }
    }
    List<Detections> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      List<Detection> ds = perImage.get(i);
      ds.sort(Comparator.comparingDouble((Detection d) -> -d.score()));
      Map<String, Double> image = new LinkedHashMap<>();
      for (int ci = 0; ci < k; ci++) if (request.wants(labels.get(ci))) image.put(labels.get(ci), (double) probs[i * k + ci]);
      DetectRequest.Frame f = request.frame(i);
      out.add(new Detections(i, f.width(), f.height(), ds, List.<Box>of(), image, notes.get(i)));
    }
    return out;
  }

  /**
   * Softmax (multiclass) or sigmoid (otherwise) of the classifier's outputs, flat [N*K], in float as stored; the outputs
   * themselves when the model's outputs are already probabilities.
   */
  static float[] probabilities(Model m, Tensor x) {
    float[] y = m.forward(x).toArray();
    int k = m.info().numOutputs(), n = y.length / k;
    if (m.info().outputsProbabilities()) return y;
    if (m.info().task() == Task.MULTICLASS) {
      for (int i = 0; i < n; i++) {
        double mx = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < k; j++) mx = Math.max(mx, y[i * k + j]);
        for (int j = 0; j < k; j++) sum += Math.exp(y[i * k + j] - mx);
        for (int j = 0; j < k; j++) y[i * k + j] = (float) (Math.exp(y[i * k + j] - mx) / sum);
      }
    } else {
      for (int i = 0; i < y.length; i++) y[i] = (float) (1 / (1 + Math.exp(-y[i])));
    }
    return y;
  }
}
