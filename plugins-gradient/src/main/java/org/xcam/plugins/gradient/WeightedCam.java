package org.xcam.plugins.gradient;

/**
 * The single-pass gradient CAMs: one head, one fused tail + VJP, then Java math on the activation {@code A} and the
 * gradient {@code g = dY/dA}. The formulas are pytorch-grad-cam's (commit 084273b), with its guards against division
 * by zero, so maps are never NaN:
 *
 * <ul>
 *   <li>{@code gradcam}: {@code w_k = mean_ij g}; {@code ReLU(sum_k w_k A_k)}.</li>
 *   <li>{@code gradcam-plusplus}: {@code alpha = g^2 / (2 g^2 + sum_ab(A) g^3 + 1e-6)}, {@code alpha = 0} where
 *       {@code g = 0}; {@code w_k = sum_ij ReLU(g) alpha}.</li>
 *   <li>{@code hirescam}: {@code ReLU(sum_k g ⊙ A)}; {@code gradcam-elementwise}: {@code sum_k ReLU(g ⊙ A)}.</li>
 *   <li>{@code xgradcam}: {@code w_k = sum_ij(g A) / (sum_ij A + 1e-7)}; {@code layercam}: {@code sum_k ReLU(g) ⊙ A}.</li>
 *   <li>{@code eigengradcam}: the first principal component of the centred {@code g ⊙ A} (always; sign fixed to
 *       correlate with {@code sum_k g ⊙ A}).</li>
 *   <li>{@code gg-cam} (Fahim et al., "Rethinking gradient weight's influence over saliency map estimation", Sensors
 *       2022): global guidance {@code G = ReLU(sum_k g_k ⊙ A_k)}; {@code ReLU(sum_k w_k (G ⊙ A_k))} with
 *       {@code w_k = mean_ij g_k}; then smoothed at the layer resolution with a 3 x 3 binomial kernel
 *       ({@code [1,2,1]/4} separable, about a Gaussian of sigma 0.7 cells) before the usual min-max normalisation and
 *       bilinear upsampling. The kernel is our choice; the option {@code smoothing=false} turns it off.</li>
 *   <li>{@code smooth-gradcam-plusplus}: the mean of {@code gradcam-plusplus} maps over {@code n} noisy inputs
 *       (the noise is set up by the core; targets come from the clean image).</li>
 * </ul>
 *
 * With {@code eigen-smooth} the sum over channels of the weighted activations is replaced by their first principal
 * component (as pytorch-grad-cam's {@code eigen_smooth}), signed to correlate with that sum.
 */
final class WeightedCam extends GradientCam {
  enum Kind { GRADCAM, GRADCAM_PLUSPLUS, HIRESCAM, ELEMENTWISE, XGRADCAM, LAYERCAM, EIGENGRADCAM, GGCAM }

  private static final double[] BINOMIAL = {0.25, 0.5, 0.25};

  private final Kind kind;
  private final int samples;
  private final double sigma;
  private final boolean smoothing;

  WeightedCam(String name, Kind kind, Common common, int samples, double sigma, boolean smoothing) {
    super(name, common);
    this.kind = kind;
    this.samples = samples;
    this.sigma = sigma;
    this.smoothing = smoothing;
  }

  WeightedCam(String name, Kind kind, Common common) { this(name, kind, common, 0, 0, true); }

  @Override protected int noiseSamples() { return samples; }

  @Override protected double noiseSigma() { return sigma; }

  @Override protected double[] map(Rows rows) {
    return cam(kind, rows.a()[0], rows.g()[0], rows.k(), rows.h(), rows.w(), common.eigenSmooth(), smoothing);
  }

  static double[] cam(Kind kind, float[] a, float[] g, int k, int h, int w, boolean eigenSmooth, boolean smoothing) {
    int hw = h * w;
    switch (kind) {
      case GRADCAM: {
        return CamMath.finish(CamMath.weighted(CamMath.channelMeans(g, k, hw), a, k, hw), k, hw, eigenSmooth);
      }
      case GRADCAM_PLUSPLUS: {
        double[] sumA = CamMath.channelSums(a, k, hw);
        double[] wts = new double[k];
        for (int c = 0; c < k; c++) {
          double s = 0;
          for (int p = 0, o = c * hw; p < hw; p++) {
            double gv = g[o + p];
            if (gv == 0) continue;
            double g2 = gv * gv, g3 = g2 * gv;
            double alpha = g2 / (2 * g2 + sumA[c] * g3 + 1e-6);
            if (gv > 0) s += gv * alpha;
          }
          wts[c] = s;
        }
        return CamMath.finish(CamMath.weighted(wts, a, k, hw), k, hw, eigenSmooth);
      }
      case HIRESCAM: {
        double[] comp = new double[k * hw];
        for (int i = 0; i < comp.length; i++) comp[i] = (double) g[i] * a[i];
        return CamMath.finish(comp, k, hw, eigenSmooth);
      }
      case ELEMENTWISE: {
        double[] comp = new double[k * hw];
        for (int i = 0; i < comp.length; i++) comp[i] = Math.max(0, (double) g[i] * a[i]);
        return CamMath.finish(comp, k, hw, eigenSmooth);
      }
      case XGRADCAM: {
        double[] sumA = CamMath.channelSums(a, k, hw);
        double[] wts = new double[k];
        for (int c = 0; c < k; c++) {
          double s = 0;
          for (int p = 0, o = c * hw; p < hw; p++) s += (double) g[o + p] * a[o + p];
          wts[c] = s / (sumA[c] + 1e-7);
        }
        return CamMath.finish(CamMath.weighted(wts, a, k, hw), k, hw, eigenSmooth);
      }
      case LAYERCAM: {
        double[] comp = new double[k * hw];
        for (int i = 0; i < comp.length; i++) comp[i] = Math.max(0, (double) g[i]) * a[i];
        return CamMath.finish(comp, k, hw, eigenSmooth);
      }
      case EIGENGRADCAM: {
        double[] comp = new double[k * hw];
        for (int i = 0; i < comp.length; i++) comp[i] = (double) g[i] * a[i];
        return CamMath.finish(comp, k, hw, true);
      }
      case GGCAM: {
        double[] gw = new double[k * hw];
        for (int i = 0; i < gw.length; i++) gw[i] = (double) g[i] * a[i];
        double[] guide = CamMath.relu(CamMath.channelSum(gw, k, hw));
        double[] wts = CamMath.channelMeans(g, k, hw);
        double[] comp = new double[k * hw];
        for (int c = 0; c < k; c++) for (int p = 0, o = c * hw; p < hw; p++) comp[o + p] = wts[c] * guide[p] * a[o + p];
        double[] m = CamMath.finish(comp, k, hw, eigenSmooth);
        return smoothing ? CamMath.smooth(m, h, w, BINOMIAL) : m;
      }
      default: throw new IllegalStateException(kind.toString());
    }
  }
}
