package org.xcam.api;

import java.util.Map;

/**
 * A metric's value, with optional curves (e.g. the insertion curve, IoU vs energy) for reports.
 *
 * @param value  the score; {@code NaN} only when the metric is undefined for this input (and {@code note} says why)
 * @param curves named curves as {x..., y...} pairs: {@code curves.get("insertion")[0]} are x, {@code [1]} are y
 * @param note   why the value is undefined, or a remark; empty if none
 */
public record MetricResult(double value, Map<String, double[][]> curves, String note) {
  public MetricResult {
    curves = curves == null ? Map.of() : Map.copyOf(curves);
    note = note == null ? "" : note;
  }

  public static MetricResult of(double value) { return new MetricResult(value, Map.of(), ""); }

  public static MetricResult undefined(String why) { return new MetricResult(Double.NaN, Map.of(), why); }
}
