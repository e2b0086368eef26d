package org.xcam.tck.engines;

import org.xcam.api.spi.EngineProvider;
import org.xcam.engine.onnx.OnnxEngineProvider;
import org.xcam.tck.EngineCompatibilityKit;

/** The engine kit on the ONNX Runtime engine, with its generated backward graphs (kept here for the same reason as DJL's). */
class OnnxEngineCompatibilityTest extends EngineCompatibilityKit {
  @Override protected EngineProvider provider() { return new OnnxEngineProvider(); }
}
