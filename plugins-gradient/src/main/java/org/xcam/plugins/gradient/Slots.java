package org.xcam.plugins.gradient;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.xcam.api.CancelledException;
import org.xcam.api.ExplainRequest;
import org.xcam.api.ModelInfo;
import org.xcam.api.Objective;
import org.xcam.api.Target;
import org.xcam.api.Tensor;

/**
 * What the input-level methods that call one engine operation on whole images (guided backprop, DeepLift, FullGrad,
 * Guided Grad-CAM, GradientSHAP) explain: one "slot" per (image, objective). When every target resolves to one
 * objective, slots are images and the objectives are resolved inside the operation's seed function from the output of
 * the image itself (no extra pass); a multilabel {@code all} target is resolved first with one forward pass and its
 * image repeated once per objective.
 */
final class Slots {
  private final ExplainRequest req;
  private final ModelInfo info;
  private final int[] image;
  private final Objective[] objective;
  private final boolean lazy;

  private Slots(ExplainRequest req, ModelInfo info, int[] image, Objective[] objective, boolean lazy) {
    this.req = req;
    this.info = info;
    this.image = image;
    this.objective = objective;
    this.lazy = lazy;
  }

  /** Slots for a request; {@code forward} runs the model (called only when some target yields several objectives). */
  static Slots of(ExplainRequest req, ModelInfo info, Function<Tensor, Tensor> forward) {
    int n = req.size();
    boolean single = true;
    for (Target t : req.targets()) if (t instanceof Target.AboveThreshold) single = false;
    if (single) {
      int[] im = new int[n];
      for (int i = 0; i < n; i++) im[i] = i;
      return new Slots(req, info, im, new Objective[n], true);
    }
    Tensor y = forward.apply(req.input());
    int k = y.dim(1);
    List<Integer> im = new ArrayList<>();
    List<Objective> ob = new ArrayList<>();
    float[] row = new float[k];
    for (int i = 0; i < n; i++) {
      y.copyTo(i * k, row, 0, k);
      for (Objective o : req.target(i).resolve(info, row.clone())) {
        im.add(i);
        ob.add(o);
      }
    }
    return new Slots(req, info, im.stream().mapToInt(Integer::intValue).toArray(), ob.toArray(Objective[]::new), false);
  }

  /** True when the objectives came from a forward pass of their own (one pass to count). */
  boolean resolvedFirst() { return !lazy; }

  int size() { return image.length; }

  int image(int slot) { return image[slot]; }

  /** The slot's objective (resolved by then: after the seed function ran on the slot's clean output). */
  Objective objective(int slot) { return objective[slot]; }

  /** The input rows: each slot's image. */
  Tensor inputs() {
    if (lazy) return req.input();
    List<Tensor> l = new ArrayList<>();
    for (int i : image) l.add(req.input().item(i));
    return Tensor.stack(l);
  }

  /**
   * The seed function for the rows of slots {@code from..from+n-1} ({@code rowsPerSlot} consecutive rows each, the
   * first of which is the slot's clean image when objectives are resolved lazily): {@code dObjective/dOutput} per row.
   */
  Function<Tensor, Tensor> seed(int from, int rowsPerSlot) {
    return y -> {
      int k = y.dim(1), rows = y.dim(0);
      float[] yd = y.toArray();
      float[] g = new float[yd.length];
      for (int r = 0; r < rows; r++) {
        int slot = from + r / rowsPerSlot;
        float[] row = Arrays.copyOfRange(yd, r * k, (r + 1) * k);
        if (objective[slot] == null) {
          if (r % rowsPerSlot != 0) throw new IllegalStateException("objective resolved from a row that is not the image");
          objective[slot] = req.target(image[slot]).resolve(info, row).get(0);
        }
        System.arraycopy(objective[slot].gradient(row), 0, g, r * k, k);
      }
      return Tensor.wrap(g, rows, k);
    };
  }

  /** Fails when the request's pass budget cannot hold {@code more} passes after {@code used}. */
  static void budget(ExplainRequest req, String name, long used, long more) {
    if (req.maxPasses() > 0 && used + more > req.maxPasses()) {
      throw new CancelledException("'" + name + "' needs more than the pass budget of " + req.maxPasses() + " (" + used
          + " used, " + more + " more needed); raise maxPasses or lower batch-size");
    }
  }
}
