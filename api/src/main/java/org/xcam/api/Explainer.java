package org.xcam.api;

import java.util.List;

/**
 * A heatmap method, configured (options fixed) and ready to run on any model whose engine has the capabilities its
 * provider declared. Written once in Java over {@link Model#forward} and {@link LayerHook}.
 *
 * <pre>{@code
 * Explainer gradcam = xcam.explainer("gradcam");
 * Explanation e = gradcam.explain(model, image, Target.predicted());
 * e.map();    // [0,1], input H x W
 * e.raw();    // layer resolution
 * }</pre>
 *
 * <p>Implementations are stateless between calls and thread-safe, never modify the input tensor, and give the same
 * maps for a batch of N as for N single calls (and for the same seed).
 */
public interface Explainer {
  /** The method's name (its provider's name), e.g. {@code gradcam}. */
  String name();

  /**
   * Explains every image of the request. Returns one explanation per image and objective, in image order (a target
   * such as {@code all} may yield several per image).
   */
  List<Explanation> explain(Model model, ExplainRequest request);

  /**
   * Checks, before any network pass, what this method needs beyond its declared capabilities (e.g. IBA's activation
   * statistics for the request's layers), and says what the request will cost. Throws an {@link XcamException} with a
   * one-line message naming what is missing and how to get it. Must be cheap: no network passes. The default checks
   * nothing and does not estimate; a costly method should override it so that a caller can refuse a month-long run
   * before it starts.
   */
  default Plan plan(Model model, ExplainRequest request) { return Plan.UNKNOWN; }

  /** One image ({@code [C,H,W]} or {@code [1,C,H,W]}) and one target; returns the first explanation. */
  default Explanation explain(Model model, Tensor image, Target target) {
    return explain(model, ExplainRequest.builder(image).target(target).build()).get(0);
  }
}
