package org.xcam.plugins.perturbation;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.LayerInfo;
import org.xcam.api.Model;
import org.xcam.api.Tensor;
import org.xcam.api.spi.ExplainerProvider;

/**
 * Feature CAM ("Feature CAM: Interpretability in Image Classification with Improved Visual Attention"): a base CAM
 * fused with an edge feature descriptor of the input.
 *
 * <pre>
 *   M_c  = base CAM map, min-max normalised to [0,1] at the input's H x W    (the base explanation's map())
 *   F0   = descriptor(x) in [0,1]                                             (sobel | canny | model:path | SPI)
 *   I    = channel-mean of x, min-max scaled to [0,1]
 *   F    = F0                              version feature
 *        = (2 I + F0) / 3                  version enhanced-2-1   (feature-enhanced image, image : feature = 2 : 1)
 *        = (I + F0) / 2                    version enhanced-1-1   (feature-enhanced image, 1 : 1)
 *   map  = k F + M_c                       mode add (Experiment 1; k = 0.25)
 *        = (1 - F) * M_c                   mode complement (Experiment 3)
 * </pre>
 *
 * <p>The raw map is this fused map at the input's resolution (layer {@code input}); the explanation's {@code map} is
 * it min-max normalised. The base CAM is found by name at run time through {@link org.xcam.api.spi.Providers}, so this
 * plugin has no compile-time dependency on plugins-gradient; objectives, score and the base's notes come from the base
 * explanation.
 */
final class FeatureCam implements Explainer {
  static final String NAME = "feature-cam";
  private final ExplainerProvider baseProvider;
  private final Explainer base;
  private final FeatureDescriptor descriptor;
  private final String version;
  private final String mode;
  private final double k;

  FeatureCam(ExplainerProvider baseProvider, Explainer base, FeatureDescriptor descriptor, String version, String mode, double k) {
    this.baseProvider = baseProvider;
    this.base = base;
    this.descriptor = descriptor;
    this.version = version;
    this.mode = mode;
    this.k = k;
  }

  @Override public String name() { return NAME; }

  /** F for one image [C,H,W]. */
  float[] feature(Tensor image) {
    int c = image.dim(0), hw = image.dim(1) * image.dim(2);
    float[] f0 = descriptor.describe(image);
    if (version.equals("feature")) return f0;
    float[] img = Filters.minMax(Filters.gray(image.toArray(), 0, c, hw));
    float[] f = new float[hw];
    for (int p = 0; p < hw; p++) {
      f[p] = version.equals("enhanced-2-1") ? (2 * img[p] + f0[p]) / 3f : (img[p] + f0[p]) / 2f;
    }
    return f;
  }

  /** The fusion of a normalised CAM {@code m} with a descriptor {@code f} (same length). */
  float[] fuse(float[] m, float[] f) {
    float[] out = new float[m.length];
    for (int p = 0; p < m.length; p++) {
      out[p] = mode.equals("add") ? (float) (k * f[p] + m[p]) : (1 - f[p]) * m[p];
    }
    return out;
  }

  @Override public List<Explanation> explain(Model model, ExplainRequest request) {
    model.require(baseProvider.requires(), NAME + " (base " + baseProvider.name() + ")");
    List<Explanation> baseExplanations = base.explain(model, request);
    Tensor x = request.input();
    int hh = x.dim(2), ww = x.dim(3);
    Map<Integer, float[]> features = new HashMap<>();
    List<Explanation> out = new ArrayList<>();
    for (Explanation b : baseExplanations) {
      float[] f = features.computeIfAbsent(b.index(), i -> feature(x.item(i)));
      Heatmap m = b.map();
      float[] mc = m.height() == hh && m.width() == ww ? m.values() : b.raw().toInput(hh, ww).values();
      float[] fused = fuse(mc, f);
      Heatmap raw = Heatmap.of(fused, hh, ww, NAME, LayerInfo.INPUT, b.raw().target(), Heatmap.Resolution.LAYER);
      Heatmap map = raw.toInput(hh, ww);
      Map<String, Object> extras = new HashMap<>(b.extras());
      extras.put("base", baseProvider.name());
      extras.put("baseLayer", b.raw().layer());
      extras.put("descriptor", descriptor.name());
      extras.put("version", version);
      extras.put("mode", mode);
      if (mode.equals("add")) extras.put("k", k);
      List<String> notes = new ArrayList<>(b.notes());
      if (raw.constant()) notes.add("the fused map is constant (" + raw.max() + "), so the normalised map is all zeros");
      out.add(new Explanation(b.index(), raw, map, b.classIndex(), b.label(), b.score(), b.objective(), b.passes(),
          extras, notes));
    }
    return out;
  }
}
