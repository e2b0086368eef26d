package org.xcam.plugins.anatomy;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xcam.api.Capability;
import org.xcam.api.Detector;
import org.xcam.api.HeatmapBox;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.Task;
import org.xcam.api.spi.DetectorProvider;

/**
 * {@code cam-boxes}: the weakly supervised baseline of the ADPD paper's Table 1 — on a classifier, for every image and
 * class, the heatmap of the request's method for that class becomes one box ({@link HeatmapBox}: pixels at least
 * {@code threshold} of the maximum, largest 8-connected component), scored with the classifier's probability of the
 * class (softmax for multiclass models, sigmoid otherwise). Ships the phantom pathology classifier as sample model.
 *
 * <pre>
 *   xcam detect --detector cam-boxes --method gradcam --model CLASSIFIER --out DIR IMAGE...
 * </pre>
 */
public final class CamBoxesDetectorProvider implements DetectorProvider {
  @Override public String name() { return "cam-boxes"; }

  @Override public String description() {
    return "boxes cut from a method's heatmaps of a classifier (largest component >= threshold x max), scored by the class probability";
  }

  @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD); }

  @Override public List<OptionSpec> options() {
    return List.of(new OptionSpec("threshold", String.valueOf(HeatmapBox.DEFAULT_THRESHOLD),
        "keep pixels at least this fraction of the map's maximum, then the largest 8-connected component"));
  }

  @Override public Detector create(Options o) {
    double t = o.getDouble("threshold");
    HeatmapBox.largestComponent(new float[] {1}, 1, 1, t, null, 1);   // a bad threshold fails now, not after the CAMs
    return new CamBoxesDetector(name(), t);
  }

  @Override public Set<Task> tasks() { return EnumSet.of(Task.MULTICLASS, Task.MULTILABEL); }

  @Override public boolean usesExplainer() { return true; }

  /** The multilabel CNN trained on the same phantoms with image-level labels (one cut layer, {@code features}). */
  @Override public Map<String, Path> sampleModels() {
    return Map.of("phantom-pathology-classifier", AdpdFixtures.bundle("classifier"));
  }
}
