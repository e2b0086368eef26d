package org.xcam.plugins.gradient;

import java.util.List;
import java.util.SplittableRandom;
import org.xcam.api.AttributionMap;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Model;

/**
 * GradientSHAP (Lundberg and Lee 2017; Captum's {@code GradientShap}): expected gradients over random baselines and
 * noisy inputs. For each of {@code n} samples ({@code samples}, default 20), drawn from the request's seed: a baseline
 * {@code b} (option {@code baselines}), Gaussian noise {@code e ~ N(0, (sigma * range)^2)} on the input
 * ({@code sigma}, default 0.1 of the image's value range; Captum's {@code stdevs}), and a point {@code alpha ~ U(0, 1)}
 * on the path from {@code b} to {@code x + e}; the attribution is the mean of
 * {@code (x + e - b) ⊙ grad f(b + alpha (x + e - b))}, as Captum computes it. In expectation its sum is
 * {@code f(x) - E f(b)}.
 *
 * <p>Baselines: {@code uniform} (default: every pixel uniform in the image's [min, max]), {@code gaussian}
 * ({@code N(mean, std^2)} of the image's pixels), {@code zeros}, {@code blurred} (the input blurred with
 * {@code blur-sigma} pixels). The same draws serve every image of a request (a batch equals single calls) and the same
 * seed gives the same map. The raw map is the channel sum through the option {@code map} ({@link AttributionMap}).
 * Cost: one tail and one VJP on {@code n + 1} rows per image (the clean row resolves the target), batched.
 */
final class GradientShap implements Explainer {
  private final String name;
  private final GradientCam.Common common;
  private final int samples;
  private final double sigma;
  private final String baselines;
  private final double blurSigma;
  private final AttributionMap mode;

  GradientShap(String name, GradientCam.Common common, int samples, double sigma, String baselines, double blurSigma, AttributionMap mode) {
    this.name = name;
    this.common = common;
    this.samples = samples;
    this.sigma = sigma;
    this.baselines = baselines;
    this.blurSigma = blurSigma;
    this.mode = mode;
  }

  @Override public String name() { return name; }

  @Override public List<Explanation> explain(Model model, ExplainRequest req) {
    return new Seeded(req.seed()).explain(model, req);
  }

  /** The clean row and {@code samples} path points per image, through the tail and back ({@link GradientCam#plan}). */
  @Override public org.xcam.api.Plan plan(Model model, ExplainRequest req) { return new Seeded(req.seed()).plan(model, req); }

  /** One request's draws: baselines, noise and path points from its seed. */
  private final class Seeded extends GradientCam {
    private final long seed;

    Seeded(long seed) {
      super(GradientShap.this.name, GradientShap.this.common);
      this.seed = seed;
    }

    @Override protected boolean inputLevel() { return true; }

    @Override protected int activationReplicas() { return samples + 1; }

    /** Per sample s: the noisy input minus its baseline ({@code delta[s]}) and the path point ({@code point[s]}). */
    private float[][][] draws(float[] a, int k, int h, int w) {
      SplittableRandom r = new SplittableRandom(seed);
      float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
      double mean = 0, sq = 0;
      for (float v : a) {
        min = Math.min(min, v);
        max = Math.max(max, v);
        mean += v;
        sq += (double) v * v;
      }
      mean /= a.length;
      double std = Math.sqrt(Math.max(0, sq / a.length - mean * mean));
      double sd = sigma * (max - min);
      float[] blur = baselines.equals("blurred") ? CamMath.blur(a, k, h, w, blurSigma) : null;
      float[][] delta = new float[samples][a.length], point = new float[samples][a.length];
      for (int s = 0; s < samples; s++) {
        double alpha = r.nextDouble();
        for (int i = 0; i < a.length; i++) {
          double b = switch (baselines) {
            case "zeros" -> 0;
            case "blurred" -> blur[i];
            case "gaussian" -> mean + std * gauss(r);
            default -> min + (max - min) * r.nextDouble();
          };
          double noisy = a[i] + (sd > 0 ? sd * gauss(r) : 0);
          delta[s][i] = (float) (noisy - b);
          point[s][i] = (float) (b + alpha * (noisy - b));
        }
      }
      return new float[][][] {delta, point};
    }

    @Override protected void expand(float[] a, int k, int h, int w, float[][] out) {
      float[][] point = draws(a, k, h, w)[1];
      for (int s = 0; s < samples; s++) System.arraycopy(point[s], 0, out[s + 1], 0, a.length);
    }

    @Override protected double[] map(Rows rows) {
      float[] a = rows.a()[0];
      int k = rows.k(), hw = rows.hw();
      float[][] delta = draws(a, k, rows.h(), rows.w())[0];
      double[] sum = new double[hw];
      double total = 0;
      for (int s = 0; s < samples; s++) {
        float[] g = rows.g()[s + 1];
        for (int c = 0; c < k; c++)
          for (int p = 0, o = c * hw; p < hw; p++) {
            double v = (double) delta[s][o + p] * g[o + p] / samples;
            sum[p] += v;
            total += v;
          }
      }
      if (rows.extras() != null) {
        rows.extras().put("attributionSum", total);
        rows.extras().put("samples", samples);
        rows.extras().put("baselines", baselines);
        rows.extras().put("map", mode.id());
      }
      return mode.apply(sum);
    }
  }

  /** A standard normal deviate (Box-Muller on SplittableRandom: fixed across JDKs, unlike Random's cached pair). */
  static double gauss(SplittableRandom r) {
    double u = r.nextDouble(), v = r.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
  }
}
