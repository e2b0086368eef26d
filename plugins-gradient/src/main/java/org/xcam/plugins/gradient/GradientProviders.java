package org.xcam.plugins.gradient;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.xcam.api.AttributionMap;
import org.xcam.api.BackwardRule;
import org.xcam.api.Capability;
import org.xcam.api.Explainer;
import org.xcam.api.InvalidInputException;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.plugins.gradient.WeightedCam.Kind;

/**
 * The providers of the gradient family, one per method, registered in
 * {@code META-INF/services/org.xcam.api.spi.ExplainerProvider}. Each is a few lines over {@link GradientCam}; the
 * costs are per batch of images and layer (a batched call counts once, whatever its rows).
 */
public final class GradientProviders {
  private GradientProviders() { }

  private static final Set<Capability> LAYER_GRAD = EnumSet.of(Capability.LAYER_CUT, Capability.VJP);
  private static final Set<Capability> INPUT_GRAD = EnumSet.of(Capability.INPUT_GRADIENT);
  private static final String SINGLE = "1 head, 1 tail, 1 vjp (fused tail+vjp); multilabel 'all' adds 1 tail";

  /** Base for the providers: name, description, needs, options (the shared ones first), cost. */
  abstract static class Base implements ExplainerProvider {
    private final String name;
    private final String description;
    private final String cost;

    Base(String name, String description, String cost) {
      this.name = name;
      this.description = description;
      this.cost = cost;
    }

    @Override public String name() { return name; }
    @Override public String description() { return description; }
    @Override public Set<Capability> requires() { return LAYER_GRAD; }
    @Override public String cost() { return cost; }

    /** Options beyond the shared ones. */
    List<OptionSpec> own() { return List.of(); }

    @Override public List<OptionSpec> options() {
      List<OptionSpec> all = new ArrayList<>(GradientCam.commonOptions());
      all.addAll(own());
      return all;
    }

    @Override public Explainer create(Options options) {
      return create(GradientCam.Common.of(options), options);
    }

    abstract Explainer create(GradientCam.Common common, Options options);
  }

  abstract static class Weighted extends Base {
    private final Kind kind;

    Weighted(String name, Kind kind, String description) {
      super(name, description, SINGLE);
      this.kind = kind;
    }

    @Override Explainer create(GradientCam.Common c, Options o) { return new WeightedCam(name(), kind, c); }
  }

  public static final class GradCam extends Weighted {
    public GradCam() { super("gradcam", Kind.GRADCAM, "Grad-CAM: channel weights = spatial mean of dY/dA"); }
  }

  public static final class GradCamPlusPlus extends Weighted {
    public GradCamPlusPlus() { super("gradcam-plusplus", Kind.GRADCAM_PLUSPLUS, "Grad-CAM++: higher-order alpha-weighted positive gradients"); }
  }

  public static final class HiResCam extends Weighted {
    public HiResCam() { super("hirescam", Kind.HIRESCAM, "HiResCAM: ReLU(sum_k g * A), element-wise, faithful to the logit"); }
  }

  public static final class GradCamElementWise extends Weighted {
    public GradCamElementWise() { super("gradcam-elementwise", Kind.ELEMENTWISE, "Grad-CAM element-wise: sum_k ReLU(g * A)"); }
  }

  public static final class XGradCam extends Weighted {
    public XGradCam() { super("xgradcam", Kind.XGRADCAM, "XGrad-CAM: weights sum(g A) / sum(A), axiom-based"); }
  }

  public static final class LayerCam extends Weighted {
    public LayerCam() { super("layercam", Kind.LAYERCAM, "LayerCAM: sum_k ReLU(g) * A, fine-grained at shallow layers"); }
  }

  public static final class EigenGradCam extends Weighted {
    public EigenGradCam() { super("eigengradcam", Kind.EIGENGRADCAM, "EigenGradCAM: first principal component of g * A"); }
  }

  public static final class GgCam extends Base {
    public GgCam() { super("gg-cam", "Global-guidance CAM: Grad-CAM weights on A rectified by ReLU(sum_k g * A), 3x3 smoothed", SINGLE); }

    @Override List<OptionSpec> own() {
      return List.of(new OptionSpec("smoothing", "true", "3x3 binomial smoothing of the map at layer resolution"));
    }

    @Override Explainer create(GradientCam.Common c, Options o) {
      return new WeightedCam(name(), Kind.GGCAM, c, 0, 0, o.getBoolean("smoothing"));
    }
  }

  public static final class SmoothGradCamPlusPlus extends Base {
    public SmoothGradCamPlusPlus() {
      super("smooth-gradcam-plusplus", "Smooth Grad-CAM++: mean of Grad-CAM++ maps over n noisy inputs (seeded)",
          "1 head, 1 tail, 1 vjp on (n + 1) rows per image (batched by batch-size)");
    }

    @Override List<OptionSpec> own() {
      return List.of(new OptionSpec("samples", "25", "noisy copies per image"),
          new OptionSpec("sigma", "0.15", "noise standard deviation as a fraction of the image's value range"));
    }

    @Override Explainer create(GradientCam.Common c, Options o) {
      return new WeightedCam(name(), Kind.GRADCAM_PLUSPLUS, c, positive(o, "samples"), nonNegative(o, "sigma"), true);
    }
  }

  public static final class EigenCamProvider extends Base {
    public EigenCamProvider() {
      super("eigencam", "EigenCAM: first principal component of the activations (category-independent, no gradient)",
          "1 head, 1 tail (the tail gives the category-independent score)");
    }

    @Override public Set<Capability> requires() { return EnumSet.of(Capability.LAYER_CUT); }
    @Override public boolean categoryIndependent() { return true; }

    @Override public List<OptionSpec> options() {
      return List.of(new OptionSpec("aug-smooth", "false", "average over horizontal flip x intensity 0.9/1/1.1"),
          new OptionSpec("fusion", "mean", "several layers: mean or max of the per-layer normalised maps"),
          new OptionSpec("batch-size", "64", "rows per call (0 = one call)"));
    }

    @Override Explainer create(GradientCam.Common c, Options o) { return new EigenCam(name(), c); }
  }

  /** Base of the gradient-free, category-independent CAMs (EigenCAM's options). */
  abstract static class ActivationOnly extends Base {
    ActivationOnly(String name, String description) { super(name, description, "1 head, 1 tail (the tail gives the category-independent score)"); }

    @Override public Set<Capability> requires() { return EnumSet.of(Capability.LAYER_CUT); }
    @Override public boolean categoryIndependent() { return true; }

    @Override public List<OptionSpec> options() {
      List<OptionSpec> l = new ArrayList<>(List.of(new OptionSpec("aug-smooth", "false", "average over horizontal flip x intensity 0.9/1/1.1"),
          new OptionSpec("fusion", "mean", "several layers: mean or max of the per-layer normalised maps"),
          new OptionSpec("batch-size", "64", "rows per call (0 = one call)")));
      l.addAll(own());
      return l;
    }
  }

  public static final class KpcaCamProvider extends ActivationOnly {
    public KpcaCamProvider() {
      super("kpca-cam", "KPCA-CAM: first kernel principal component of the activations (sigmoid kernel; category-independent, no gradient)");
    }

    @Override List<OptionSpec> own() {
      return List.of(new OptionSpec("kernel", "sigmoid", "sigmoid, rbf, poly, linear or cosine (scikit-learn's definitions)"),
          new OptionSpec("gamma", "0", "kernel coefficient; 0 = 1 / channels (scikit-learn's default)"),
          new OptionSpec("coef0", "1", "kernel offset for sigmoid and poly"),
          new OptionSpec("degree", "3", "degree of the poly kernel"),
          new OptionSpec("sign", "activation", "activation: the map follows the activation sum (as eigencam); sklearn: pytorch-grad-cam's sign"));
    }

    @Override Explainer create(GradientCam.Common c, Options o) {
      double gamma = o.getDouble("gamma");
      if (gamma < 0) throw new InvalidInputException("option gamma of kpca-cam must be >= 0 (0 = 1 / channels), got " + gamma);
      return new KpcaCam(name(), c, o.getChoice("kernel", "sigmoid", "rbf", "poly", "linear", "cosine"), gamma,
          o.getDouble("coef0"), positive(o, "degree"), o.getChoice("sign", "activation", "sklearn").equals("sklearn"));
    }
  }

  public static final class FemProvider extends ActivationOnly {
    public FemProvider() {
      super("fem", "FEM: channels weighted by the share of positions above mean + k std (category-independent, no gradient)");
    }

    @Override List<OptionSpec> own() {
      return List.of(new OptionSpec("k", "2", "threshold in population standard deviations above each channel's mean"));
    }

    @Override Explainer create(GradientCam.Common c, Options o) { return new FemCam(name(), c, o.getDouble("k")); }
  }

  public static final class RandomCamProvider extends ActivationOnly {
    public RandomCamProvider() {
      super("random-cam", "Random-CAM: seeded uniform [-1, 1] channel weights, the baseline for sanity checks and metric tables");
    }

    @Override public List<OptionSpec> options() {
      List<OptionSpec> l = new ArrayList<>(super.options());
      l.add(new OptionSpec("eigen-smooth", "false", "map = first principal component of the weighted activations instead of their sum"));
      return l;
    }

    @Override Explainer create(GradientCam.Common c, Options o) { return new RandomCam(name(), c); }
  }

  public static final class FinerCamProvider extends Base {
    public FinerCamProvider() {
      super("finer-cam", "Finer-CAM: the target's logit contrasted with its most similar classes (softmax-weighted), Grad-CAM of that", SINGLE);
    }

    @Override List<OptionSpec> own() {
      return List.of(new OptionSpec("comparisons", "3", "how many of the closest classes to contrast with (capped at the other classes)"),
          new OptionSpec("alpha", "1", "contrast strength: y_t - alpha y_j"),
          new OptionSpec("base", "gradcam", "the CAM of the contrast: gradcam, gradcam-plusplus, hirescam, xgradcam, layercam or gradcam-elementwise"));
    }

    @Override Explainer create(GradientCam.Common c, Options o) {
      Kind base = switch (o.getChoice("base", "gradcam", "gradcam-plusplus", "hirescam", "xgradcam", "layercam", "gradcam-elementwise")) {
        case "gradcam-plusplus" -> Kind.GRADCAM_PLUSPLUS;
        case "hirescam" -> Kind.HIRESCAM;
        case "xgradcam" -> Kind.XGRADCAM;
        case "layercam" -> Kind.LAYERCAM;
        case "gradcam-elementwise" -> Kind.ELEMENTWISE;
        default -> Kind.GRADCAM;
      };
      return new FinerCam(name(), c, base, positive(o, "comparisons"), o.getDouble("alpha"));
    }
  }

  public static final class HessianCiamProvider extends Base {
    public HessianCiamProvider() {
      super("hessian-ciam", "Hessian-CIAM: category-independent map from a finite-difference Hessian-vector product",
          "1 head, 1 tail, 1 vjp on 2 rows per image ([A, A + r]) (fused)");
    }

    @Override public boolean categoryIndependent() { return true; }

    @Override public List<OptionSpec> options() {
      return List.of(new OptionSpec("r", "0.01", "finite-difference step along v = 1, in activation units"),
          new OptionSpec("smoothing", "true", "SVD smoothing of A_H with the paper's polarity rule"),
          new OptionSpec("objective", "auto", "auto, log-sum-exp, sum-sigmoid or max-logit"),
          new OptionSpec("fusion", "mean", "several layers: mean or max of the per-layer normalised maps"),
          new OptionSpec("batch-size", "64", "rows per fused call (0 = one call)"));
    }

    @Override Explainer create(GradientCam.Common c, Options o) {
      double r = o.getDouble("r");
      if (!(r > 0)) throw new InvalidInputException("option r of hessian-ciam must be > 0, got " + r);
      return new HessianCiam(name(), c, r, o.getBoolean("smoothing"),
          o.getChoice("objective", "auto", "log-sum-exp", "sum-sigmoid", "max-logit"));
    }
  }

  public static final class ShapleyCamProvider extends Base {
    public ShapleyCamProvider() {
      super("shapleycam", "ShapleyCAM: weights mean(g - H A / 2), H A the engine's exact Hessian-vector product (finite differences where none)",
          "1 head, 1 tail, 2 vjp (tail + double backward) per batch; finite difference: 1 head, 1 tail, 1 vjp on 2 rows per image");
    }

    @Override List<OptionSpec> own() {
      return List.of(new OptionSpec("hvp", "auto", "auto (exact where the engine offers it), exact or finite-difference"),
          new OptionSpec("r", "0.01", "relative finite-difference step along A (hvp=finite-difference)"));
    }

    @Override Explainer create(GradientCam.Common c, Options o) {
      double r = o.getDouble("r");
      if (!(r > 0)) throw new InvalidInputException("option r of shapleycam must be > 0, got " + r);
      return new ShapleyCam(name(), c, r, o.getChoice("hvp", "auto", "exact", "finite-difference"));
    }
  }

  /** Base of the input-level methods: no layer by default, input gradients needed. */
  abstract static class InputBase extends Base {
    InputBase(String name, String description, String cost) { super(name, description, cost); }

    @Override public Set<Capability> requires() { return INPUT_GRAD; }
    @Override public boolean layerBased() { return false; }
  }

  public static final class Saliency extends InputBase {
    public Saliency() { super("saliency", "Saliency: max over channels of |dY/dx|", "1 tail, 1 vjp at the input (fused)"); }

    @Override Explainer create(GradientCam.Common c, Options o) {
      return new InputGradient(name(), InputGradient.Kind.SALIENCY, c, AttributionMap.POSITIVE, 0, 0);
    }
  }

  public static final class GradientXInput extends InputBase {
    public GradientXInput() { super("gradient-x-input", "Gradient x input: sum_c x_c dY/dx_c", "1 tail, 1 vjp at the input (fused)"); }

    @Override List<OptionSpec> own() { return List.of(mapOption()); }

    @Override Explainer create(GradientCam.Common c, Options o) {
      return new InputGradient(name(), InputGradient.Kind.GRADIENT_X_INPUT, c, mapMode(o), 0, 0);
    }
  }

  public static final class SmoothGrad extends InputBase {
    public SmoothGrad() {
      super("smoothgrad", "SmoothGrad: mean saliency over n noisy inputs (seeded)",
          "1 tail, 1 vjp at the input on (n + 1) rows per image (batched by batch-size)");
    }

    @Override List<OptionSpec> own() {
      return List.of(new OptionSpec("samples", "25", "noisy copies per image"),
          new OptionSpec("sigma", "0.15", "noise standard deviation as a fraction of the image's value range"));
    }

    @Override Explainer create(GradientCam.Common c, Options o) {
      return new InputGradient(name(), InputGradient.Kind.SMOOTHGRAD, c, AttributionMap.POSITIVE, positive(o, "samples"), nonNegative(o, "sigma"));
    }
  }

  public static final class IntegratedGradientsProvider extends InputBase {
    public IntegratedGradientsProvider() {
      super("integrated-gradients", "Integrated gradients along a straight path from a baseline; completeness recorded",
          "1 tail + 1 vjp per batch-size rows, steps + 1 (trapezoid) or steps + 2 (gauss-legendre) rows per image; "
              + "repeated with doubled steps while the completeness error exceeds the tolerance");
    }

    @Override List<OptionSpec> own() {
      return List.of(new OptionSpec("steps", "50", "integration intervals (trapezoid) or nodes (gauss-legendre)"),
          new OptionSpec("rule", "trapezoid", "trapezoid or gauss-legendre"),
          new OptionSpec("baseline", "zeros", "zeros or blurred"),
          new OptionSpec("blur-sigma", "5", "Gaussian blur of the blurred baseline, in pixels"),
          new OptionSpec("tolerance", "0.01", "completeness error above which steps are doubled (0 = never)"),
          new OptionSpec("max-steps", "400", "upper bound for the doubling"),
          mapOption());
    }

    @Override Explainer create(GradientCam.Common c, Options o) {
      double sigma = o.getDouble("blur-sigma");
      if (!(sigma > 0)) throw new InvalidInputException("option blur-sigma of integrated-gradients must be > 0, got " + sigma);
      return new IntegratedGradients(name(), c, positive(o, "steps"),
          o.getChoice("rule", "trapezoid", "gauss-legendre").equals("gauss-legendre"),
          o.getChoice("baseline", "zeros", "blurred").equals("blurred"), sigma, mapMode(o),
          nonNegative(o, "tolerance"), positive(o, "max-steps"));
    }
  }

  public static final class GuidedBackpropProvider extends InputBase {
    public GuidedBackpropProvider() {
      super("guided-backprop", "Guided backpropagation (Captum's GuidedBackprop): gradient with ReLUs passing positive gradients only",
          "1 tail, 1 guided backward at the input (a head too at a named layer)");
    }

    @Override public Set<Capability> requires() { return EnumSet.of(Capability.INPUT_GRADIENT, Capability.MODIFIED_BACKWARD); }
    @Override public List<OptionSpec> options() {
      return List.of(mapOption(), new OptionSpec("batch-size", "64", "images per call (0 = one call)"));
    }
    @Override Explainer create(GradientCam.Common c, Options o) {
      return new RuleAttribution(name(), BackwardRule.GUIDED_RELU, mapMode(o), false, 0, c.batchSize());
    }
  }

  public static final class DeepLiftProvider extends InputBase {
    public DeepLiftProvider() {
      super("deeplift", "DeepLift, rescale rule (Captum's DeepLift): (x - x0) times multipliers against a baseline",
          "1 tail (input and baseline together), 1 rescale backward, 1 tail of the baselines (for the convergence delta)");
    }

    @Override public Set<Capability> requires() { return EnumSet.of(Capability.INPUT_GRADIENT, Capability.MODIFIED_BACKWARD); }
    @Override public List<OptionSpec> options() {
      return List.of(new OptionSpec("baseline", "zeros", "zeros (Captum's default) or blurred"),
          new OptionSpec("blur-sigma", "5", "Gaussian blur of the blurred baseline, in pixels"), mapOption(),
          new OptionSpec("batch-size", "64", "images per call (0 = one call)"));
    }
    @Override Explainer create(GradientCam.Common c, Options o) {
      double sigma = o.getDouble("blur-sigma");
      if (!(sigma > 0)) throw new InvalidInputException("option blur-sigma of deeplift must be > 0, got " + sigma);
      return new RuleAttribution(name(), BackwardRule.DEEPLIFT_RESCALE, mapMode(o),
          o.getChoice("baseline", "zeros", "blurred").equals("blurred"), sigma, c.batchSize());
    }
  }

  public static final class GuidedGradCamProvider extends Base {
    public GuidedGradCamProvider() {
      super("guided-gradcam", "Guided Grad-CAM (Captum's GuidedGradCam): guided backprop times the nearest-upsampled Grad-CAM",
          "1 head, 1 tail, 1 vjp at the layer; 1 tail, 1 guided backward at the input");
    }

    @Override public Set<Capability> requires() {
      return EnumSet.of(Capability.LAYER_CUT, Capability.VJP, Capability.INPUT_GRADIENT, Capability.MODIFIED_BACKWARD);
    }
    @Override public List<OptionSpec> options() {
      return List.of(mapOption(), new OptionSpec("batch-size", "64", "rows per fused tail+VJP call (0 = all rows in one call)"));
    }
    @Override Explainer create(GradientCam.Common c, Options o) { return new GuidedGradCam(name(), c, mapMode(o)); }
  }

  public static final class GradientShapProvider extends InputBase {
    public GradientShapProvider() {
      super("gradient-shap", "GradientSHAP (Captum's GradientShap): expected gradients over random baselines and noisy inputs (seeded)",
          "1 tail, 1 vjp at the input on (samples + 1) rows per image (batched by batch-size)");
    }

    @Override List<OptionSpec> own() {
      return List.of(new OptionSpec("samples", "20", "baseline / noise / path-point draws per image"),
          new OptionSpec("sigma", "0.1", "input noise standard deviation as a fraction of the image's value range (Captum's stdevs)"),
          new OptionSpec("baselines", "uniform", "uniform, gaussian, zeros or blurred"),
          new OptionSpec("blur-sigma", "5", "Gaussian blur of the blurred baseline, in pixels"), mapOption());
    }

    @Override Explainer create(GradientCam.Common c, Options o) {
      double sigma = o.getDouble("blur-sigma");
      if (!(sigma > 0)) throw new InvalidInputException("option blur-sigma of gradient-shap must be > 0, got " + sigma);
      return new GradientShap(name(), c, positive(o, "samples"), nonNegative(o, "sigma"),
          o.getChoice("baselines", "uniform", "gaussian", "zeros", "blurred"), sigma, mapMode(o));
    }
  }

  public static final class FullGradProvider extends InputBase {
    public FullGradProvider() {
      super("fullgrad", "FullGrad: |x dy/dx| plus |bias dy/d(out)| of every bias layer, each normalised, at input resolution",
          "1 forward, 1 vjp (the input and every bias layer's output in one backward graph)");
    }

    @Override public Set<Capability> requires() { return EnumSet.of(Capability.BIAS_GRADIENTS); }
    @Override public List<OptionSpec> options() { return List.of(); }
    @Override Explainer create(GradientCam.Common c, Options o) { return new FullGrad(name()); }
  }

  /** Base of the two rollouts: no layer, no shared CAM options. */
  abstract static class RolloutBase implements ExplainerProvider {
    private final String name, description, cost;

    RolloutBase(String name, String description, String cost) {
      this.name = name;
      this.description = description;
      this.cost = cost;
    }

    @Override public String name() { return name; }
    @Override public String description() { return description; }
    @Override public String cost() { return cost; }
    @Override public boolean layerBased() { return false; }

    static OptionSpec prefixOption() {
      return new OptionSpec("prefix-tokens", "auto", "class/distillation/register tokens before the patch grid (auto: the P in 1..4 that leaves a square grid)");
    }

    static int prefix(Options o) {
      String v = o.getString("prefix-tokens");
      if (v.equals("auto")) return -1;
      try {
        int p = Integer.parseInt(v.trim());
        if (p >= 1) return p;
      } catch (NumberFormatException e) {
        // below
      }
      throw new InvalidInputException("option prefix-tokens must be auto or an integer >= 1 (the class token is one), got '" + v + "'");
    }
  }

  public static final class AttentionRolloutProvider extends RolloutBase {
    public AttentionRolloutProvider() {
      super("attention-rollout", "Attention rollout (Abnar & Zuidema 2020): heads fused, low attention discarded, identity added, rows renormalised, multiplied through the blocks; class-token row",
          "1 forward (the attention probabilities of every block as extra outputs)");
    }

    @Override public Set<Capability> requires() { return EnumSet.of(Capability.ATTENTION); }
    @Override public boolean categoryIndependent() { return true; }

    @Override public List<OptionSpec> options() {
      return List.of(new OptionSpec("head-fusion", "mean", "mean, max or min over the heads"),
          new OptionSpec("discard-ratio", "0.9", "fraction of each fused attention matrix's lowest entries set to 0 (0 keeps all)"),
          prefixOption());
    }

    @Override public Explainer create(Options o) {
      String f = o.getChoice("head-fusion", "mean", "max", "min");
      double d = o.getDouble("discard-ratio");
      if (!(d >= 0 && d < 1)) throw new InvalidInputException("option discard-ratio of attention-rollout must be in [0, 1), got " + d);
      return new Rollout(name(), false, Rollout.Fusion.valueOf(f.toUpperCase(java.util.Locale.ROOT)), d, prefix(o));
    }
  }

  public static final class GradientRolloutProvider extends RolloutBase {
    public GradientRolloutProvider() {
      super("gradient-rollout", "Gradient-weighted attention rollout (Chefer, Gur & Wolf 2021): R += mean_heads(max(0, dS/dA * A)) R from the identity; class-token row",
          "1 forward, 1 vjp (the gradient at every block's attention probabilities in one backward graph)");
    }

    @Override public Set<Capability> requires() { return EnumSet.of(Capability.ATTENTION, Capability.ATTENTION_GRADIENT); }
    @Override public List<OptionSpec> options() { return List.of(prefixOption()); }
    @Override public Explainer create(Options o) { return new Rollout(name(), true, Rollout.Fusion.MEAN, 0, prefix(o)); }
  }

  private static OptionSpec mapOption() { return AttributionMap.option(); }

  private static AttributionMap mapMode(Options o) { return AttributionMap.of(o); }

  private static int positive(Options o, String name) {
    int v = o.getInt(name);
    if (v < 1) throw new InvalidInputException("option " + name + " must be >= 1, got " + v);
    return v;
  }

  private static double nonNegative(Options o, String name) {
    double v = o.getDouble(name);
    if (v < 0) throw new InvalidInputException("option " + name + " must be >= 0, got " + v);
    return v;
  }
}
