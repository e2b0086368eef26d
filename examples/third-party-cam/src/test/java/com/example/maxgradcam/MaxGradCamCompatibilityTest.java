package com.example.maxgradcam;

import java.util.List;
import org.xcam.api.Target;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.tck.CamExplainerCompatibilityKit;
import org.xcam.tck.fixtures.PoolLinearModel;

/** The whole xcam compatibility kit for max-gradcam: discovery, contract, targets, sanity, engines, errors, hygiene. */
class MaxGradCamCompatibilityTest extends CamExplainerCompatibilityKit {
  @Override protected ExplainerProvider provider() { return new MaxGradCamProvider(); }

  /**
   * A closed form worked by hand. Input x = [[1,-2],[3,0]] (1 channel, 2x2); a 1x1 convolution with weights [1] and [-1]
   * and ReLU gives A0 = [[1,0],[3,0]], A1 = [[0,2],[0,0]]; the tail averages each channel and applies
   * Wfc = [[1, 0.5], [-1, 2]]. For class 0, dY/dA_k = Wfc[0][k] / 4 everywhere, so the max over space equals it:
   * w = [0.25, 0.125] and the map is 0.25 A0 + 0.125 A1 = [[0.25, 0.25], [0.75, 0]].
   */
  @Override protected List<GoldenCase> goldenCases() {
    PoolLinearModel m = new PoolLinearModel(new float[][] {{1}, {-1}}, new float[] {0, 0}, PoolLinearModel.averagePool(2, 2),
        new float[][] {{1, 0.5f}, {-1, 2}}, new float[] {0, 0}, 2, 2, Task.MULTICLASS);
    Tensor x = Tensor.of(new float[] {1, -2, 3, 0}, 1, 1, 2, 2);
    return List.of(new GoldenCase("hand-worked 2-channel 2x2 case", m, x, Target.classIndex(0), "features",
        new float[] {0.25f, 0.25f, 0.75f, 0f}, 0.9999, 1e-6));
  }
}
