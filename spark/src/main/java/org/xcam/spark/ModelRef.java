package org.xcam.spark;

import java.io.Serializable;
import java.util.Objects;

/**
 * Which model a job explains, as every executor must find it: a path (a bundle directory, an {@code .onnx} or a
 * {@code .pt}) that every executor can read (a shared mount, or any Hadoop filesystem URI such as {@code hdfs://} or
 * {@code s3a://}: it is copied to the executor's local disk once), or the name of a file or archive shipped with
 * {@code spark-submit --files/--archives}; plus the engine and device. The key of the per-JVM model cache.
 *
 * @param model  path or URI of the model
 * @param engine engine name, or null to choose as {@code xcam explain} does
 * @param device {@code auto}, {@code cpu} or {@code cuda}
 */
public record ModelRef(String model, String engine, String device) implements Serializable {
  public ModelRef {
    Objects.requireNonNull(model, "model");
    device = device == null || device.isBlank() ? "auto" : device;
    engine = engine == null || engine.isBlank() ? null : engine;
  }

  public static ModelRef of(String model) { return new ModelRef(model, null, "auto"); }
}
