package org.xcam.tck.engines;

import org.junit.jupiter.api.DisplayName;
import org.xcam.api.spi.EngineProvider;
import org.xcam.engine.djl.DjlEngineProvider;
import org.xcam.tck.HessianVectorCompatibilityKit;

/** The Hessian-vector kit through DJL: double backward through the TorchScript tail. */
@DisplayName("DJL: exact Hessian-vector product by double backward")
class DjlHessianVectorCompatibilityTest extends HessianVectorCompatibilityKit {
  @Override protected EngineProvider provider() { return new DjlEngineProvider(); }

  /** TorchScript's executor optimises after its profiling runs: check that it stays exact after them. */
  @Override protected int repeats() { return 4; }
}
