package org.xcam.api;

/**
 * Scores one explanation against ground truth or the model (localisation, saliency agreement, faithfulness).
 * Configured by its {@link org.xcam.api.spi.MetricProvider}; stateless and thread-safe.
 *
 * <pre>{@code
 * Metric m = xcam.metric("pointing-game");
 * MetricResult r = m.score(MetricContext.builder(explanation.map()).boxes(List.of(lesion)).build());
 * }</pre>
 */
@FunctionalInterface
public interface Metric {
  MetricResult score(MetricContext context);
}
