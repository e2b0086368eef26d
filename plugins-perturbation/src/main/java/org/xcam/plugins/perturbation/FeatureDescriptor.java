package org.xcam.plugins.perturbation;

import org.xcam.api.Tensor;

/**
 * An edge/feature descriptor F of an image for Feature CAM: a map in [0,1] at the image's resolution.
 *
 * <p>Built in: {@code sobel} (Sobel gradient magnitude, the default), {@code canny} (binary Canny edges), and
 * {@code model:<path>} (an edge network such as HED, loaded through whichever
 * {@link org.xcam.api.spi.EngineProvider} on the class path can load the path — see {@link ModelDescriptor}).
 * More descriptors are found with {@link java.util.ServiceLoader} through
 * {@code META-INF/services/org.xcam.plugins.perturbation.FeatureDescriptor} (public no-arg constructor) and chosen by
 * {@link #name()} with the {@code descriptor} option.
 *
 * <pre>{@code
 * public final class LaplacianDescriptor implements FeatureDescriptor {
 *   public String name() { return "laplacian"; }
 *   public float[] describe(Tensor image) { ... }   // [C,H,W] in, H*W values in [0,1] out
 * }
 * }</pre>
 *
 * <p>Implementations are thread-safe and never return NaN (a flat image gives all zeros).
 */
public interface FeatureDescriptor {
  /** The id used in the {@code descriptor} option, e.g. {@code sobel}. */
  String name();

  /**
   * The descriptor of one image {@code [C, H, W]}, normalised as the classifier's input: {@code H * W} values in [0,1],
   * row-major.
   */
  float[] describe(Tensor image);

  /** One line for listings. */
  default String description() { return name(); }
}
