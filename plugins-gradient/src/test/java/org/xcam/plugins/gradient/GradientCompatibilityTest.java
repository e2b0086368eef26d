package org.xcam.plugins.gradient;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.xcam.api.Target;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.tck.CamExplainerCompatibilityKit;

/**
 * Grad-CAM, the family's reference member, passes the CAM compatibility kit on every engine on the test class path
 * (pytorch-grad-cam references included), with a hand-worked closed form as its golden case. Every other method of
 * the family runs on the same core; their own closed forms are in {@link ClosedFormTest}.
 */
@DisplayName("Grad-CAM passes the CAM compatibility kit")
class GradientCompatibilityTest extends CamExplainerCompatibilityKit {
  @Override protected ExplainerProvider provider() { return new GradientProviders.GradCam(); }

  @Override protected List<GoldenCase> goldenCases() {
    // ReLU((A0 - A1) / 9) on the 2-channel 3x3 fixture, class 0 (worked by hand in ClosedFormTest)
    return List.of(new GoldenCase("Grad-CAM on the hand-sized pooling + linear model", Fx.model(), Fx.input(),
        Target.classIndex(0), "features", new float[] {1 / 9f, 1 / 9f, 0, 0, 3 / 9f, 1 / 9f, 1 / 9f, 0, 0}, 0.999999, 1e-6));
  }
}
