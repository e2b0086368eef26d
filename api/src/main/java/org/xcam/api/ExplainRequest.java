package org.xcam.api;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Everything one {@link Explainer#explain} call needs besides the model: the images, the targets, the layers, and
 * the run's controls (seed, progress, cancellation, pass budget).
 *
 * <pre>{@code
 * ExplainRequest r = ExplainRequest.builder(batch)          // [N, C, H, W], already normalised
 *     .target(Target.predicted())                           // one for all, or .targets(list) one per image
 *     .layers(List.of("features.14"))                       // empty: the model's default layer
 *     .seed(7).progress(bar).build();
 * }</pre>
 *
 * @param input     images {@code [N, C, H, W]} normalised as the model's input spec says; never modified
 * @param targets   one target for all images, or exactly N targets
 * @param layers    layers to explain at; empty means the model's default layer; several average their maps
 * @param seed      seed for every random choice (noise, masks)
 * @param progress  progress callback
 * @param cancelled polled between batches; when true the method stops with {@link CancelledException}
 * @param maxPasses upper bound on network passes (0 = unbounded); exceeding it stops with {@link CancelledException}
 */
public record ExplainRequest(Tensor input, List<Target> targets, List<String> layers, long seed,
                             ProgressListener progress, BooleanSupplier cancelled, long maxPasses) {
  public ExplainRequest {
    if (input.rank() == 3) input = input.unsqueeze();
    if (input.rank() != 4) {
      throw new InvalidInputException("input must be [N, C, H, W] or [C, H, W], got " + java.util.Arrays.toString(input.shape()));
    }
    int bad = input.firstNonFinite();
    if (bad >= 0) throw new InvalidInputException("input contains a non-finite value (" + input.get(bad) + ") at flat index " + bad + "; fix the image or .npy");
    targets = List.copyOf(targets.isEmpty() ? List.of(Target.predicted()) : targets);
    if (targets.size() != 1 && targets.size() != input.dim(0)) {
      throw new InvalidInputException(targets.size() + " targets for " + input.dim(0) + " images; give one target for all or one per image");
    }
    layers = List.copyOf(layers);
    progress = progress == null ? ProgressListener.NONE : progress;
    cancelled = cancelled == null ? () -> false : cancelled;
  }

  public static Builder builder(Tensor input) { return new Builder(input); }

  /** Number of images. */
  public int size() { return input.dim(0); }

  /** The target of image {@code i}. */
  public Target target(int i) { return targets.size() == 1 ? targets.get(0) : targets.get(i); }

  /** Throws {@link CancelledException} when the caller has cancelled. */
  public void checkCancelled() {
    if (cancelled.getAsBoolean()) throw new CancelledException("cancelled by the caller");
  }

  /** A copy with other images and targets (same controls). */
  public ExplainRequest withInput(Tensor newInput, List<Target> newTargets) {
    return new ExplainRequest(newInput, newTargets, layers, seed, progress, cancelled, maxPasses);
  }

  public static final class Builder {
    private final Tensor input;
    private List<Target> targets = new ArrayList<>();
    private List<String> layers = List.of();
    private long seed = 0;
    private ProgressListener progress = ProgressListener.NONE;
    private BooleanSupplier cancelled = () -> false;
    private long maxPasses = 0;

    private Builder(Tensor input) { this.input = input; }

    public Builder target(Target t) { this.targets = List.of(t); return this; }
    public Builder targets(List<Target> t) { this.targets = List.copyOf(t); return this; }
    public Builder layer(String l) { this.layers = List.of(l); return this; }
    public Builder layers(List<String> l) { this.layers = List.copyOf(l); return this; }
    public Builder seed(long s) { this.seed = s; return this; }
    public Builder progress(ProgressListener p) { this.progress = p; return this; }
    public Builder cancelled(BooleanSupplier c) { this.cancelled = c; return this; }
    public Builder maxPasses(long m) { this.maxPasses = m; return this; }

    public ExplainRequest build() {
      return new ExplainRequest(input, targets, layers, seed, progress, cancelled, maxPasses);
    }
  }
}
