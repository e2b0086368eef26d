package org.xcam.tck.engines;

import org.xcam.api.spi.EngineProvider;
import org.xcam.engine.djl.DjlEngineProvider;
import org.xcam.tck.EngineCompatibilityKit;

/**
 * The engine kit on the DJL engine. It lives in the kit's own tests because the kit runs its fixtures on engine-djl
 * (a test dependency of the kit), and Maven allows no cycle back.
 */
class DjlEngineCompatibilityTest extends EngineCompatibilityKit {
  @Override protected EngineProvider provider() { return new DjlEngineProvider(); }
}
