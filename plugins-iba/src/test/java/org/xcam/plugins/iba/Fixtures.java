package org.xcam.plugins.iba;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.tck.fixtures.PoolLinearModel;

/** Small pure-Java models and data for the IBA tests. */
final class Fixtures {
  private Fixtures() { }

  /** Uniform [0,1) images [n, c, h, w]. */
  static Tensor uniform(Random r, int n, int c, int h, int w) {
    float[] v = new float[n * c * h * w];
    for (int i = 0; i < v.length; i++) v[i] = r.nextFloat();
    return Tensor.wrap(v, n, c, h, w);
  }

  /** Batches of uniform images, for estimating statistics. */
  static List<Tensor> uniformBatches(long seed, int batches, int per, int c, int h, int w) {
    Random r = new Random(seed);
    List<Tensor> l = new ArrayList<>();
    for (int b = 0; b < batches; b++) l.add(uniform(r, per, c, h, w));
    return l;
  }

  /** A uniform image [1, c, h, w] with {@code add} added inside the box (y0, x0, y1, x1). */
  static Tensor brightBox(long seed, int c, int h, int w, int[] box, float add) {
    float[] v = uniform(new Random(seed), 1, c, h, w).toArray();
    for (int ch = 0; ch < c; ch++)
      for (int y = box[0]; y < box[2]; y++) for (int x = box[1]; x < box[3]; x++) v[(ch * h + y) * w + x] += add;
    return Tensor.wrap(v, 1, c, h, w);
  }

  /**
   * PoolLinearModel: 1 input channel -> 16 feature channels {@code a_k = (1 - k/32) x}, of which the tail reads only
   * the first two: class 1 logit = 6 * (pooled a_0 + pooled a_1) - 9, about -3.1 when the pooled region holds
   * uniform [0,1) noise and +2.4 when it is 0.5 brighter (not saturated, so the cross-entropy reacts as soon as the
   * bottleneck removes evidence). The 14 unread channels stand for the many channels of a real
   * layer that carry nothing about the class (they also set the per-element weight beta / (C H W) to a realistic
   * scale: with 2 channels the capacity term would swamp the cross-entropy of this tiny model).
   */
  static PoolLinearModel regionModel(int h, int w, float[] pool, Task task) {
    int k = 16;
    float[][] w1 = new float[k][1];
    float[][] wfc = new float[2][k];
    for (int i = 0; i < k; i++) w1[i][0] = 1f - i / 32f;
    wfc[1][0] = 6f;
    wfc[1][1] = 6f;
    return new PoolLinearModel(w1, new float[k], pool, wfc, new float[] {0f, -9f}, h, w, task);
  }

  /** A random PoolLinearModel (C=2 -> K=3, J classes) with a random positive pooling, for gradient checks. */
  static PoolLinearModel randomModel(long seed, int h, int w, int classes, Task task) {
    Random r = new Random(seed);
    float[][] w1 = new float[3][2];
    float[] b1 = new float[3];
    for (int k = 0; k < 3; k++) {
      for (int c = 0; c < 2; c++) w1[k][c] = (float) r.nextGaussian();
      b1[k] = 0.5f + 0.2f * (float) r.nextGaussian();
    }
    float[] pool = new float[h * w];
    for (int p = 0; p < pool.length; p++) pool[p] = (0.2f + r.nextFloat()) / (h * w);
    float[][] wfc = new float[classes][3];
    float[] bfc = new float[classes];
    for (int j = 0; j < classes; j++) {
      for (int k = 0; k < 3; k++) wfc[j][k] = 2f * (float) r.nextGaussian();
      bfc[j] = 0.3f * (float) r.nextGaussian();
    }
    return new PoolLinearModel(w1, b1, pool, wfc, bfc, h, w, task);
  }

  /** Sum of the map over the box, divided by the map's total. */
  static double fractionInside(float[] map, int w, int[] box) {
    double in = 0, all = 0;
    for (int i = 0; i < map.length; i++) {
      all += map[i];
      if (TwoRegionModel.inBox(i / w, i % w, box)) in += map[i];
    }
    return in / all;
  }

  /** Mean of the map over the box. */
  static double meanInside(float[] map, int w, int[] box) {
    double s = 0;
    int n = 0;
    for (int y = box[0]; y < box[2]; y++) for (int x = box[1]; x < box[3]; x++) { s += map[y * w + x]; n++; }
    return s / n;
  }
}
