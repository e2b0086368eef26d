package org.xcam.tck.engines;

import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.xcam.api.spi.EngineProvider;
import org.xcam.engine.onnx.OnnxEngineProvider;
import org.xcam.tck.HessianVectorCompatibilityKit;

/** The Hessian-vector kit through ONNX Runtime on the CPU: tangents of the tail and of its generated backward graph. */
@DisplayName("ONNX: exact Hessian-vector product, forward-over-reverse through the generated backward graph")
class OnnxHessianVectorCompatibilityTest extends HessianVectorCompatibilityKit {
  @Override protected EngineProvider provider() { return new OnnxEngineProvider(); }

  @Override protected Map<String, String> options() { return Map.of("device", "cpu"); }
}
