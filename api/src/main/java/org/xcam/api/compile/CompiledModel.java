package org.xcam.api.compile;

import java.util.List;
import java.util.Map;
import org.xcam.api.Tensor;

/**
 * A compiled model opened for running, as any runtime would run it: one call returns every output (the original ones
 * and the {@code xcam_<method>} maps). Used by the compile kit and the benchmark; a deployment needs no xcam at all.
 * Safe to call from several threads; close it when done.
 */
public interface CompiledModel extends AutoCloseable {
  /** Output names in the graph's order. */
  List<String> outputs();

  /** The model's metadata ({@code xcam.method}, {@code xcam.layer}, {@code xcam.target}, {@code xcam.version}, ...). */
  Map<String, String> metadata();

  /** Runs the graph on {@code [N, C, H, W]} and returns every output by name. */
  Map<String, Tensor> run(Tensor input);

  @Override void close();
}
