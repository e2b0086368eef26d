package org.xcam.tck.engines;

import org.xcam.api.spi.EngineProvider;
import org.xcam.engine.djl.DjlEngineProvider;
import org.xcam.tck.ZooCompatibilityKit;

/** The zoo kit through DJL (the bundles' frozen TorchScript cuts); here, not in engine-djl, for the reason DJL's engine kit is. */
class DjlZooCompatibilityTest extends ZooCompatibilityKit {
  @Override protected EngineProvider provider() { return new DjlEngineProvider(); }
}
