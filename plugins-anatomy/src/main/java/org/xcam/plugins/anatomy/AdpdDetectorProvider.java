package org.xcam.plugins.anatomy;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xcam.api.Capability;
import org.xcam.api.Detector;
import org.xcam.api.ModelInfo;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.Task;
import org.xcam.api.spi.DetectorProvider;

/**
 * {@code adpd}: anatomy-driven pathology detection (Müller et al., MICCAI 2023) with the paper's decoding — every
 * region whose class probability is above {@code threshold} becomes a box of that class, and each class's boxes are
 * merged by weighted box fusion (IoU 0.03, conf max). Reads bundles with task {@code anatomy-detection}; ships the
 * Loc-ADPD and MIL-ADPD phantom fixtures as sample models. Options: {@link AdpdDecoder.Config#options()}.
 */
public final class AdpdDetectorProvider implements DetectorProvider {
  @Override public String name() { return "adpd"; }

  @Override public String description() {
    return "anatomy-driven pathology detection: regions positive for a class become boxes, fused per class by WBF (IoU 0.03, conf max)";
  }

  @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD); }

  @Override public List<OptionSpec> options() { return AdpdDecoder.Config.options(); }

  @Override public Detector create(Options o) { return new AdpdDetector(name(), AdpdDecoder.Config.of(o)); }

  @Override public Set<Task> tasks() { return EnumSet.of(Task.ANATOMY_DETECTION); }

  @Override public List<String> classes(ModelInfo model) { return AnatomySpec.of(model).classNames(); }

  /** The Loc-ADPD (region-level labels) and MIL-ADPD (image-level labels) fixtures, trained on phantoms. */
  @Override public Map<String, Path> sampleModels() {
    Map<String, Path> m = new LinkedHashMap<>();
    m.put("Loc-ADPD", AdpdFixtures.bundle("loc"));
    m.put("MIL-ADPD", AdpdFixtures.bundle("mil"));
    return m;
  }
}
