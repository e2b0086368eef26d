package org.xcam.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Everything one {@link Detector#detect} call needs besides the model: the images, the pixel frame each image's boxes
 * are reported in, and, for detectors that cut boxes from heatmaps, the method to explain with.
 *
 * <pre>{@code
 * DetectRequest r = DetectRequest.builder(batch)              // [N, C, H, W], normalised per the model's input spec
 *     .frames(List.of(new DetectRequest.Frame(1024, 1024)))   // boxes in pixels of the original 1024 x 1024 image
 *     .explainer(xcam.explainer("gradcam"))                   // only for detectors whose provider uses one
 *     .classes(List.of("effusion"))                           // optional: only these classes
 *     .build();
 * }</pre>
 *
 * @param input     images {@code [N, C, H, W]} normalised as the model's input spec says; never modified
 * @param frames    one frame for all images, or exactly N; empty means the input's own {@code W x H}
 * @param explainer the method whose heatmaps a CAM-derived detector turns into boxes; empty for other detectors
 * @param classes   the classes to detect; empty means every class the detector knows for the model. A detector
 *                  returns boxes of these classes only (and may skip work for the others, e.g. CAMs)
 * @param layers    layers the explainer explains at; empty means the model's default layer
 * @param seed      seed for every random choice
 */
public record DetectRequest(Tensor input, List<Frame> frames, Optional<Explainer> explainer, List<String> classes,
                            List<String> layers, long seed) {
  /** A pixel frame: boxes are reported in {@code [0, width) x [0, height)}. */
  public record Frame(int width, int height) {
    public Frame {
      if (width <= 0 || height <= 0) throw new InvalidInputException("a detection frame must be positive, got " + width + "x" + height);
    }
  }

  public DetectRequest {
    if (input.rank() == 3) input = input.unsqueeze();
    if (input.rank() != 4) {
      throw new InvalidInputException("input must be [N, C, H, W] or [C, H, W], got " + java.util.Arrays.toString(input.shape()));
    }
    int bad = input.firstNonFinite();
    if (bad >= 0) throw new InvalidInputException("input contains a non-finite value (" + input.get(bad) + ") at flat index " + bad + "; fix the image or .npy");
    frames = List.copyOf(frames);
    if (frames.size() > 1 && frames.size() != input.dim(0)) {
      throw new InvalidInputException(frames.size() + " frames for " + input.dim(0) + " images; give one frame for all or one per image");
    }
    explainer = explainer == null ? Optional.empty() : explainer;
    classes = List.copyOf(classes);
    layers = List.copyOf(layers);
  }

  public static Builder builder(Tensor input) { return new Builder(input); }

  /** Number of images. */
  public int size() { return input.dim(0); }

  /** The frame of image {@code i}. */
  public Frame frame(int i) {
    if (frames.isEmpty()) return new Frame(input.dim(3), input.dim(2));
    return frames.size() == 1 ? frames.get(0) : frames.get(i);
  }

  /** True when boxes of class {@code label} are wanted. */
  public boolean wants(String label) { return classes.isEmpty() || classes.contains(label); }

  /** A copy with other images (and the frames that go with them), same explainer, classes, layers and seed. */
  public DetectRequest withInput(Tensor newInput, List<Frame> newFrames) {
    return new DetectRequest(newInput, newFrames, explainer, classes, layers, seed);
  }

  public static final class Builder {
    private final Tensor input;
    private List<Frame> frames = List.of();
    private Explainer explainer;
    private List<String> classes = List.of();
    private List<String> layers = List.of();
    private long seed;

    private Builder(Tensor input) { this.input = input; }

    public Builder frame(int width, int height) { this.frames = List.of(new Frame(width, height)); return this; }
    public Builder frames(List<Frame> f) { this.frames = new ArrayList<>(f); return this; }
    public Builder explainer(Explainer e) { this.explainer = e; return this; }
    public Builder classes(List<String> c) { this.classes = List.copyOf(c); return this; }
    public Builder layers(List<String> l) { this.layers = List.copyOf(l); return this; }
    public Builder seed(long s) { this.seed = s; return this; }

    public DetectRequest build() { return new DetectRequest(input, frames, Optional.ofNullable(explainer), classes, layers, seed); }
  }
}
