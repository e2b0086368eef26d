package com.example.maxgradcam;

import org.xcam.api.spi.ExplainerProvider;
import org.xcam.tck.CamExplainerCompatibilityKit;

/** The whole xcam compatibility kit for max-gradcam: discovery, contract, targets, sanity, engines, errors, hygiene. */
class MaxGradCamCompatibilityTest extends CamExplainerCompatibilityKit {
  @Override protected ExplainerProvider provider() { return new MaxGradCamProvider(); }
}
