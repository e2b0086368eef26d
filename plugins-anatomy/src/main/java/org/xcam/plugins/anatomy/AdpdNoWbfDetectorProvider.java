package org.xcam.plugins.anatomy;

import java.nio.file.Path;
import java.util.EnumSet;
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
 * {@code adpd-no-wbf}: the "w/o WBF" rows of the ADPD paper — {@code adpd} without the fusion, so every region positive
 * for a class is its own box. Same options as {@code adpd} except the fusion's.
 */
public final class AdpdNoWbfDetectorProvider implements DetectorProvider {
  private final AdpdDetectorProvider base = new AdpdDetectorProvider();

  @Override public String name() { return "adpd-no-wbf"; }

  @Override public String description() {
    return "anatomy-driven pathology detection without box fusion: every region positive for a class is a box";
  }

  @Override public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD); }

  @Override public List<OptionSpec> options() {
    return AdpdDecoder.Config.options().stream().filter(o -> !o.name().startsWith("wbf")).toList();
  }

  @Override public Detector create(Options o) {
    AdpdDecoder.Config c = new AdpdDecoder.Config(o.getDouble("threshold"), o.getDouble("presence-threshold"), false,
        AdpdDecoder.Config.defaults().wbfIou(), o.getBoolean("top1"), o.getDouble("lse-r"));
    return new AdpdDetector(name(), c);
  }

  @Override public Set<Task> tasks() { return EnumSet.of(Task.ANATOMY_DETECTION); }

  @Override public List<String> classes(ModelInfo model) { return base.classes(model); }

  @Override public Map<String, Path> sampleModels() { return base.sampleModels(); }
}
