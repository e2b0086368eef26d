package org.xcam.plugins.iba;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xcam.api.Explainer;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Model;

/**
 * Multi-layer IBA (Khakzar et al. 2021): IBA at several layers (default: every layer the model lists), each bits map
 * resized to the input and thresholded; the maps are combined at input resolution.
 *
 * <ul>
 *   <li>{@code combine=product} (default): the first layer's bits map times the binarised maps of the others, a graded
 *       map at the first layer's detail that keeps only what every deeper bottleneck also kept.</li>
 *   <li>{@code combine=intersection}: the intersection of all binarised maps (0/1).</li>
 * </ul>
 * Threshold {@code T}: {@code pNN} keeps pixels at or above the map's NN-th percentile (default {@code p50});
 * a plain number keeps pixels with at least that many bits. Layers run in the order given (network order by default),
 * so "first" is the shallowest, highest-resolution one. Cost: the per-layer IBA cost, summed.
 */
public final class MultiLayerIbaExplainer implements Explainer {
  private final IbaExplainer iba;
  private final String threshold;
  private final boolean product;

  public MultiLayerIbaExplainer(IbaExplainer iba, String threshold, String combine) {
    this.iba = iba;
    this.threshold = threshold.trim().toLowerCase(Locale.ROOT);
    parseThreshold(this.threshold);
    this.product = switch (combine.trim().toLowerCase(Locale.ROOT)) {
      case "product" -> true;
      case "intersection" -> false;
      default -> throw new InvalidInputException("multilayer-iba: combine must be product or intersection, got '" + combine + "'");
    };
  }

  @Override public String name() { return "multilayer-iba"; }

  private static double parseThreshold(String t) {
    try {
      if (t.startsWith("p")) {
        double p = Double.parseDouble(t.substring(1));
        if (p < 0 || p > 100) throw new NumberFormatException();
        return p;
      }
      return Double.parseDouble(t);
    } catch (NumberFormatException e) {
      throw new InvalidInputException("multilayer-iba: threshold must be pNN (a percentile 0..100) or a number of bits, got '" + t + "'");
    }
  }

  /** 1 where {@code map >= T}, else 0. */
  float[] binarise(float[] map) {
    double t;
    if (threshold.startsWith("p")) {
      float[] s = map.clone();
      Arrays.sort(s);
      double p = parseThreshold(threshold) / 100.0 * (s.length - 1);
      int lo = (int) Math.floor(p), hi = Math.min(lo + 1, s.length - 1);
      t = s[lo] + (p - lo) * (s[hi] - s[lo]);
    } else {
      t = parseThreshold(threshold);
    }
    float[] b = new float[map.length];
    for (int i = 0; i < map.length; i++) b[i] = map[i] >= t ? 1f : 0f;
    return b;
  }

  /** Statistics for every layer before any pass; the cost is one IBA run per layer. */
  @Override public org.xcam.api.Plan plan(Model model, ExplainRequest request) {
    List<String> layers = request.layers().isEmpty() ? model.info().layerNames() : request.layers();
    if (layers.isEmpty()) throw new InvalidInputException("multilayer-iba: model '" + model.info().name() + "' lists no layers; pass --layer");
    for (String layer : layers) iba.checkStats(model, layer);
    return org.xcam.api.Plan.of(layers.size() * (1 + 2L * iba.config().steps()),
        layers.size() + " layer(s) x (1 head + " + iba.config().steps() + " x (tail + VJP))");
  }

  @Override public List<Explanation> explain(Model model, ExplainRequest request) {
    List<String> layers = request.layers().isEmpty() ? model.info().layerNames() : request.layers();
    if (layers.isEmpty()) throw new InvalidInputException("multilayer-iba: model '" + model.info().name() + "' lists no layers; pass --layer");
    int inH = request.input().dim(2), inW = request.input().dim(3);
    List<List<Explanation>> per = new ArrayList<>();
    for (String l : layers) per.add(iba.explainAt(model, request, l));
    List<Explanation> out = new ArrayList<>();
    for (int q = 0; q < per.get(0).size(); q++) {
      float[] combined = null;
      double bits = 0;
      for (int li = 0; li < per.size(); li++) {
        Explanation e = per.get(li).get(q);
        bits += ((Number) e.extras().get("totalBits")).doubleValue();
        float[] up = Heatmap.resizeBilinear(e.raw().values(), e.raw().height(), e.raw().width(), inH, inW);
        float[] bin = binarise(up);
        if (combined == null) {
          combined = product ? up : bin;
        } else {
          for (int p = 0; p < combined.length; p++) combined[p] *= bin[p];
        }
      }
      Explanation first = per.get(0).get(q);
      Heatmap raw = Heatmap.of(combined, inH, inW, name(), String.join("+", layers), first.objective(), Heatmap.Resolution.INPUT);
      Map<String, Object> extras = new LinkedHashMap<>(first.extras());
      extras.put("totalBits", bits);
      extras.put("layers", String.join(",", layers));
      extras.put("threshold", threshold);
      extras.put("combine", product ? "product" : "intersection");
      List<String> notes = new ArrayList<>(first.notes());
      if (raw.constant()) notes.add("the combined map is constant (" + raw.max() + "), so the normalised map is all zeros");
      out.add(new Explanation(first.index(), raw, raw.toInput(inH, inW), first.classIndex(), first.label(), first.score(),
          first.objective(), first.passes(), extras, notes));
    }
    return out;
  }
}
