package org.xcam.api.spi;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.xcam.api.Capability;
import org.xcam.api.Explainer;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;

/**
 * A heatmap method, found with {@link java.util.ServiceLoader} through
 * {@code META-INF/services/org.xcam.api.spi.ExplainerProvider}. Public no-arg constructor, no static side effects.
 *
 * <pre>{@code
 * public final class MaxGradCamProvider implements ExplainerProvider {
 *   public String name() { return "max-gradcam"; }
 *   public String description() { return "Grad-CAM with max-pooled gradients as channel weights"; }
 *   public Set<Capability> requires() { return EnumSet.of(Capability.LAYER_CUT, Capability.VJP); }
 *   public List<OptionSpec> options() { return List.of(); }
 *   public Explainer create(Options options) { return new MaxGradCam(); }
 * }
 * }</pre>
 *
 * <p>The runtime checks {@link #requires()} against the model's capabilities before calling the explainer.
 */
public interface ExplainerProvider {
  /** The method's id, used on the command line ({@code --method gradcam}). */
  String name();

  /** One line for {@code xcam list}. */
  String description();

  /** Capabilities the method needs from the model's engine. */
  Set<Capability> requires();

  /** Options with their defaults. */
  List<OptionSpec> options();

  /** A configured explainer; {@code options} were checked against {@link #options()}. */
  Explainer create(Options options);

  /** True for methods that ignore the target (EigenCAM, Hessian-CIAM); the manifest says so. */
  default boolean categoryIndependent() { return false; }

  /** True for methods that work at a layer (CAMs); false for input-level or model-agnostic methods. */
  default boolean layerBased() { return true; }

  /**
   * The method's cost in passes per image and layer, in words, e.g. {@code "1 head, 1 tail, 1 vjp"}. Measured passes
   * are recorded in each {@link org.xcam.api.Explanation}.
   */
  default String cost() { return "unspecified"; }

  /**
   * What the method needs computed beforehand from training-like images (e.g. IBA's activation statistics), which
   * {@code xcam estimate} runs; empty for methods that need nothing.
   */
  default Optional<Preparation> preparation() { return Optional.empty(); }
}
