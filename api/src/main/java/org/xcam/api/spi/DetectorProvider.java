package org.xcam.api.spi;

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

/**
 * A detector, found with {@link java.util.ServiceLoader} through
 * {@code META-INF/services/org.xcam.api.spi.DetectorProvider}. Public no-arg constructor, no static side effects. In
 * the style of {@link ExplainerProvider}:
 *
 * <pre>{@code
 * public final class RegionHullProvider implements DetectorProvider {
 *   public String name() { return "region-hull"; }
 *   public String description() { return "positive anatomical regions of a class merged into their bounding hull"; }
 *   public Set<Capability> requires() { return EnumSet.of(Capability.FORWARD); }
 *   public List<OptionSpec> options() { return List.of(new OptionSpec("threshold", "0.5", "...")); }
 *   public Detector create(Options o) { return new RegionHull(o.getDouble("threshold")); }
 *   public Set<Task> tasks() { return EnumSet.of(Task.ANATOMY_DETECTION); }
 * }
 * }</pre>
 *
 * <p>The runtime checks {@link #requires()}, {@link #tasks()} and {@link #usesExplainer()} against the model and the
 * request before calling the detector; {@code xcam list} shows detectors under "Detectors", {@code xcam detect
 * --detector NAME} runs one, {@code xcam evaluate --task detection} scores every installed one, and {@code xcam tck
 * --plugin} runs the {@code DetectorCompatibilityKit} against it.
 */
public interface DetectorProvider {
  /** The detector's id, used on the command line ({@code --detector adpd}). */
  String name();

  /** One line for {@code xcam list}. */
  String description();

  /** Capabilities the detector needs from the model's engine (usually just {@link Capability#FORWARD}). */
  Set<Capability> requires();

  /** Options with their defaults. */
  List<OptionSpec> options();

  /** A configured detector; {@code options} were checked against {@link #options()}. */
  Detector create(Options options);

  /** The model tasks the detector reads (e.g. {@code anatomy-detection}); the runtime refuses other models up front. */
  default Set<Task> tasks() { return EnumSet.allOf(Task.class); }

  /**
   * True for detectors that cut boxes from heatmaps: they need the request's explainer
   * ({@link org.xcam.api.DetectRequest#explainer()}), e.g. {@code xcam detect --detector cam-boxes --method gradcam}.
   */
  default boolean usesExplainer() { return false; }

  /**
   * The class labels this detector's boxes can carry on {@code model} (for scoring and for
   * {@link org.xcam.api.DetectRequest#classes()}); by default the model's labels. Fails in one line when the model
   * does not fit the detector.
   */
  default List<String> classes(ModelInfo model) { return model.labels(); }

  /**
   * Small sample models the plugin ships, by display label (e.g. {@code "Loc-ADPD"}), for demos and for
   * {@code xcam evaluate --task detection} when the user names no model. Extracted on first call; empty by default.
   */
  default Map<String, Path> sampleModels() { return Map.of(); }
}
