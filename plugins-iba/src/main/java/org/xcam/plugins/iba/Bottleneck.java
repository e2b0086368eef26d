package org.xcam.plugins.iba;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerLayout;
import org.xcam.api.TailGradient;
import org.xcam.api.Tensor;

/**
 * The per-sample information bottleneck, optimised in Java over the engine's tail and VJP at one layer.
 *
 * <h2>The model (Schulz et al. 2020; Khakzar et al. 2021 for the inverse form)</h2>
 * <pre>
 *   lambda = S( sigmoid(alpha) )                  S: Gaussian blur over space (sigma_s = 1, kernel 5), alpha init 5
 *   eps    = mu + sigma * n,  n ~ N(0, 1)         mu, sigma: the layer's activation statistics (sigma floored)
 *   Z      = lambda * F + (1 - lambda) * eps      (IBA)
 *   Z      = lambda * eps + (1 - lambda) * F      (Inverse IBA: lambda marks what is removed)
 *   KL_e   = -1/2 (1 + log sz^2 - mz^2 - sz^2),   mz = lambda (F - mu) / sigma,  sz = 1 - lambda
 *   Loss   = sign * mean_s model_loss(tail(Z_s)) + beta * mean_e KL_e      (sign = +1 IBA, -1 Inverse IBA)
 * </pre>
 * The capacity KL is the same formula in both forms (as in the reference code with {@code reverse_lambda}): it is the
 * information carried by the elements lambda marks.
 *
 * <h2>The gradient, assembled in Java</h2>
 * One batched {@link LayerHook#tailWithGradient} over all S noise samples of all jobs gives {@code dLoss/dZ_s}
 * (its seed is {@code sign * dmodel_loss/dy / S} per row). Then
 * <pre>
 *   dLoss/dlambda_e = sum_s dLoss/dZ_se * (F_e - eps_se) * sign_z  +  beta / (C H W) * dKL_e/dlambda_e
 *   dKL/dlambda     = 1 / (1 - lambda) + lambda * fn^2 - (1 - lambda),        fn = (F - mu) / sigma
 *   dLoss/dalpha    = S^T(dLoss/dlambda) * sigmoid(alpha) * (1 - sigmoid(alpha))
 * </pre>
 * ({@code sign_z = -1} for the inverse form, where {@code dZ/dlambda = eps - F}). The KL uses
 * {@code min(lambda, 1 - 1e-7)} so a saturated sigmoid gives a large finite capacity and a zero KL gradient, never
 * {@code log 0}. Everything is double precision; only Z crosses to the engine as float32.
 *
 * <h2>Optimisation</h2>
 * Adam (PyTorch's update: beta1 0.9, beta2 0.999, eps 1e-8, bias-corrected) with lr 1 for 10 steps, 10 noise samples
 * per step: per step exactly one batched tail and one batched VJP, whatever the number of jobs in the chunk. The noise
 * of job j at step t is drawn from {@code Random(mix(seed_j, t))}, so results do not depend on how jobs are batched.
 * The result is the capacity (KL, nats) at the final alpha.
 */
public final class Bottleneck {
  /** lambda is capped here inside the KL (documented above). */
  static final double LAMBDA_MAX = 1 - 1e-7;

  /** Hyper-parameters. */
  public record Config(double beta, int steps, double lr, int samples, double alphaInit, double smoothSigma, int kernel,
                       float minStd, boolean inverse) {
    public static Config iba() { return new Config(10, 10, 1, 10, 5, 1, 5, ActivationStats.MIN_STD, false); }
    public static Config inverseIba() { return new Config(30, 10, 1, 10, 5, 1, 5, ActivationStats.MIN_STD, true); }

    public Config withBeta(double b) { return new Config(b, steps, lr, samples, alphaInit, smoothSigma, kernel, minStd, inverse); }
    public Config withSteps(int s) { return new Config(beta, s, lr, samples, alphaInit, smoothSigma, kernel, minStd, inverse); }
    public Config withSamples(int s) { return new Config(beta, steps, lr, s, alphaInit, smoothSigma, kernel, minStd, inverse); }
    public Config withAlphaInit(double a) { return new Config(beta, steps, lr, samples, a, smoothSigma, kernel, minStd, inverse); }
    public Config withMinStd(float m) { return new Config(beta, steps, lr, samples, alphaInit, smoothSigma, kernel, m, inverse); }
    public Config withSmoothing(double sigma, int k) { return new Config(beta, steps, lr, samples, alphaInit, sigma, k, minStd, inverse); }

    GaussianSmoother smoother() {
      return smoothSigma > 0 && kernel > 1 ? new GaussianSmoother(smoothSigma, kernel) : GaussianSmoother.none();
    }
  }

  /** One image x one objective at one layer: the activation, the prior, the loss, and the optimiser state. */
  public static final class Job {
    final float[] f;
    final float[] mu;
    final float[] sd;
    final int c;
    final int h;
    final int w;
    final long seed;
    ModelLoss loss;
    final double[] alpha;
    final double[] m;
    final double[] v;
    double lastModelLoss = Double.NaN;
    double lastLoss = Double.NaN;
    /** The raw activation row (token layers: prefix tokens included), or null for channels-first layers. */
    float[] raw;

    /**
     * @param f    the activation {@code [C,H,W]} flat
     * @param mu   the prior mean per element
     * @param sd   the prior std per element, already floored
     * @param loss the model loss (may be set later, before the first evaluation's gradient)
     * @param seed the job's noise seed
     */
    public Job(float[] f, float[] mu, float[] sd, int c, int h, int w, ModelLoss loss, long seed, double alphaInit) {
      this.f = f;
      this.mu = mu;
      this.sd = sd;
      this.c = c;
      this.h = h;
      this.w = w;
      this.loss = loss;
      this.seed = seed;
      this.alpha = new double[f.length];
      java.util.Arrays.fill(alpha, alphaInit);
      this.m = new double[f.length];
      this.v = new double[f.length];
    }

    /** The job's raw activation row, whose prefix tokens pass the bottleneck unchanged (token layers); returns this job. */
    public Job raw(float[] rawRow) {
      this.raw = rawRow;
      return this;
    }

    public double[] alpha() { return alpha; }
    public void setLoss(ModelLoss l) { this.loss = l; }
    public double lastLoss() { return lastLoss; }
    public double lastModelLoss() { return lastModelLoss; }
  }

  private final Config cfg;
  private final GaussianSmoother smoother;
  private LayerLayout layout = LayerLayout.channelsFirst();

  public Bottleneck(Config cfg) {
    this.cfg = cfg;
    this.smoother = cfg.smoother();
  }

  public Config config() { return cfg; }

  /**
   * The layer's layout: for token and channels-last layers the bottleneck acts on the spatial view and the rows sent
   * to the tail are rebuilt in the raw layout (each job's prefix tokens from {@link Job#raw}); clean rows passed to
   * {@link #evaluate} are then raw rows. Returns this.
   */
  public Bottleneck layout(LayerLayout l) {
    this.layout = l;
    return this;
  }

  /** Standard-normal draws {@code [S][CHW]} of a job at a step (deterministic). */
  public double[][] noise(Job job, int step) {
    SplittableRandom r = new SplittableRandom(mix(job.seed, step)); // Java 17: ziggurat nextGaussian, ~5x java.util.Random
    double[][] n = new double[cfg.samples()][job.f.length];
    for (double[] row : n) for (int e = 0; e < row.length; e++) row[e] = r.nextGaussian();
    return n;
  }

  static long mix(long a, long b) {
    long z = a * 0x9E3779B97F4A7C15L + b + 0x632BE59BD9B4E019L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** lambda = S(sigmoid(alpha)). */
  public double[] lambda(Job job) {
    double[] s = new double[job.alpha.length];
    for (int e = 0; e < s.length; e++) s[e] = sigmoid(job.alpha[e]);
    return smoother.apply(s, job.c, job.h, job.w);
  }

  /** Per-element capacity (KL, nats) at lambda. */
  public double[] capacity(Job job, double[] lambda) {
    double[] kl = new double[lambda.length];
    for (int e = 0; e < kl.length; e++) {
      double l = Math.min(Math.max(lambda[e], 0), LAMBDA_MAX);
      double fn = (job.f[e] - job.mu[e]) / (double) job.sd[e];
      double mz = l * fn, sz = 1 - l;
      kl[e] = -0.5 * (1 + 2 * Math.log(sz) - mz * mz - sz * sz);
    }
    return kl;
  }

  /**
   * Loss and gradient of every job at its current alpha, for fixed standard-normal draws ({@code noise.get(j)} is job
   * j's {@code [S][CHW]}). One batched tail+VJP call. When {@code clean} is given ({@code [M, C, H, W]} activations),
   * their rows are prepended to the same call with zero gradient seed, and {@code onClean} receives their outputs
   * ({@code [M][K]}) before the jobs' losses are evaluated (so targets such as "predicted" resolve without an extra
   * pass).
   *
   * @return the gradient dLoss/dalpha per job; each job's {@link Job#lastLoss()} is updated
   */
  public double[][] evaluate(LayerHook hook, List<Job> jobs, List<double[][]> noise, float[][] clean, Consumer<float[][]> onClean) {
    int s = cfg.samples(), m = clean == null ? 0 : clean.length;
    int chw = jobs.get(0).f.length;
    int rows = m + jobs.size() * s;
    Job first = jobs.get(0);
    float[] z = new float[rows * chw];
    boolean viewed = !layout.identity();
    if (!viewed) for (int i = 0; i < m; i++) System.arraycopy(clean[i], 0, z, i * chw, chw);
    double[][] lambdas = new double[jobs.size()][];
    for (int j = 0; j < jobs.size(); j++) {
      Job job = jobs.get(j);
      double[] lam = lambda(job);
      lambdas[j] = lam;
      double[][] n = noise.get(j);
      for (int k = 0; k < s; k++) {
        int off = (m + j * s + k) * chw;
        for (int e = 0; e < chw; e++) {
          double eps = job.mu[e] + job.sd[e] * n[k][e];
          double l = lam[e];
          z[off + e] = (float) (cfg.inverse() ? l * eps + (1 - l) * job.f[e] : l * job.f[e] + (1 - l) * eps);
        }
      }
    }
    double sign = cfg.inverse() ? -1 : 1;
    double[] modelLoss = new double[jobs.size()];
    Tensor zt;
    int rs = layout.rawSize();
    if (viewed) {
      float[] zr = new float[rows * rs];
      for (int i = 0; i < m; i++) System.arraycopy(clean[i], 0, zr, i * rs, rs);
      for (int j = 0; j < jobs.size(); j++) {
        for (int k = 0; k < s; k++) {
          int r = m + j * s + k;
          System.arraycopy(jobs.get(j).raw, 0, zr, r * rs, rs);
          layout.fromView(z, r * chw, zr, r * rs);
        }
      }
      int[] shape = layout.rawShape();
      int[] batched = new int[shape.length + 1];
      batched[0] = rows;
      System.arraycopy(shape, 0, batched, 1, shape.length);
      zt = Tensor.wrap(zr, batched);
    } else {
      zt = Tensor.wrap(z, rows, first.c, first.h, first.w);
    }
    TailGradient tg = hook.tailWithGradient(zt, y -> {
      int kOut = y.dim(1);
      float[] out = y.toArray();
      if (m > 0 && onClean != null) {
        float[][] cleanOut = new float[m][kOut];
        for (int i = 0; i < m; i++) System.arraycopy(out, i * kOut, cleanOut[i], 0, kOut);
        onClean.accept(cleanOut);
      }
      float[] seed = new float[rows * kOut];
      float[] row = new float[kOut];
      for (int j = 0; j < jobs.size(); j++) {
        Job job = jobs.get(j);
        double acc = 0;
        for (int k = 0; k < s; k++) {
          int r = m + j * s + k;
          System.arraycopy(out, r * kOut, row, 0, kOut);
          acc += job.loss.value(row);
          double[] g = job.loss.gradient(row);
          for (int q = 0; q < kOut; q++) seed[r * kOut + q] = (float) (sign * g[q] / s);
        }
        modelLoss[j] = sign * acc / s;
      }
      return Tensor.wrap(seed, rows, kOut);
    });
    float[] gz = layout.toView(tg.gradient()).toArray();
    double[][] grads = new double[jobs.size()][];
    for (int j = 0; j < jobs.size(); j++) {
      Job job = jobs.get(j);
      double[] lam = lambdas[j];
      double[][] n = noise.get(j);
      double[] gl = new double[chw];
      for (int k = 0; k < s; k++) {
        int off = (m + j * s + k) * chw;
        for (int e = 0; e < chw; e++) {
          double eps = job.mu[e] + job.sd[e] * n[k][e];
          double dzdl = cfg.inverse() ? eps - job.f[e] : job.f[e] - eps;
          gl[e] += gz[off + e] * dzdl;
        }
      }
      double[] kl = capacity(job, lam);
      double klMean = 0, scale = cfg.beta() / chw;
      for (int e = 0; e < chw; e++) {
        klMean += kl[e];
        double l = Math.max(lam[e], 0);
        if (l < LAMBDA_MAX) {
          double fn = (job.f[e] - job.mu[e]) / (double) job.sd[e];
          gl[e] += scale * (1 / (1 - l) + l * fn * fn - (1 - l));
        }
      }
      klMean /= chw;
      job.lastModelLoss = modelLoss[j];
      job.lastLoss = modelLoss[j] + cfg.beta() * klMean;
      double[] gs = smoother.adjoint(gl, job.c, job.h, job.w);
      for (int e = 0; e < chw; e++) {
        double sg = sigmoid(job.alpha[e]);
        gs[e] *= sg * (1 - sg);
      }
      grads[j] = gs;
    }
    return grads;
  }

  /** One Adam step on every job's alpha (t counts from 1). */
  public void adam(List<Job> jobs, double[][] grads, int t) {
    double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    double c1 = 1 - Math.pow(b1, t), c2 = 1 - Math.pow(b2, t);
    for (int j = 0; j < jobs.size(); j++) {
      Job job = jobs.get(j);
      double[] g = grads[j];
      for (int e = 0; e < g.length; e++) {
        double ge = Double.isFinite(g[e]) ? g[e] : 0;
        job.m[e] = b1 * job.m[e] + (1 - b1) * ge;
        job.v[e] = b2 * job.v[e] + (1 - b2) * ge * ge;
        job.alpha[e] -= cfg.lr() * (job.m[e] / c1) / (Math.sqrt(job.v[e] / c2) + eps);
      }
    }
  }

  /**
   * Runs the whole optimisation on a chunk of jobs: {@code steps} batched tail+VJP calls. The first call carries the
   * {@code clean} rows (may be null) and reports their outputs to {@code onClean}.
   *
   * @param step called after each step (progress, cancellation); may be null
   */
  public void optimise(LayerHook hook, List<Job> jobs, float[][] clean, Consumer<float[][]> onClean, Runnable step) {
    for (int t = 1; t <= cfg.steps(); t++) {
      java.util.List<double[][]> noise = new java.util.ArrayList<>(jobs.size());
      for (Job j : jobs) noise.add(noise(j, t));
      double[][] g = evaluate(hook, jobs, noise, t == 1 ? clean : null, onClean);
      adam(jobs, g, t);
      if (step != null) step.run();
    }
  }

  /** The result map: capacity summed over channels, in bits, {@code [H*W]} at the layer's resolution. */
  public float[] bitsMap(Job job) {
    double[] kl = capacity(job, lambda(job));
    int hw = job.h * job.w;
    double[] map = new double[hw];
    for (int ch = 0; ch < job.c; ch++) for (int p = 0; p < hw; p++) map[p] += kl[ch * hw + p];
    float[] out = new float[hw];
    double ln2 = Math.log(2);
    for (int p = 0; p < hw; p++) out[p] = (float) Math.max(0, map[p] / ln2);
    return out;
  }

  static double sigmoid(double a) {
    return a >= 0 ? 1 / (1 + Math.exp(-a)) : Math.exp(a) / (1 + Math.exp(a));
  }
}
