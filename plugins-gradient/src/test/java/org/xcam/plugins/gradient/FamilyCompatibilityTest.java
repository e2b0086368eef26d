package org.xcam.plugins.gradient;

import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.tck.CamExplainerCompatibilityKit;
import org.xcam.tck.ExplainerCompatibilityKit;

/**
 * Every other method of the family through the compatibility kit (Grad-CAM has its own class with a golden case):
 * the pytorch-grad-cam references where the kit has them, the contract, target sensitivity, the sanity check,
 * engine agreement, errors and hygiene.
 */
class FamilyCompatibilityTest {
  @Nested @DisplayName("gradcam-plusplus") class GradCamPlusPlus extends CamExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.GradCamPlusPlus(); }
  }

  @Nested @DisplayName("hirescam") class HiResCam extends CamExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.HiResCam(); }
  }

  @Nested @DisplayName("gradcam-elementwise") class ElementWise extends CamExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.GradCamElementWise(); }
  }

  @Nested @DisplayName("xgradcam") class XGradCam extends CamExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.XGradCam(); }
  }

  @Nested @DisplayName("layercam") class LayerCam extends CamExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.LayerCam(); }
  }

  @Nested @DisplayName("eigencam") class EigenCam extends CamExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.EigenCamProvider(); }
  }

  @Nested @DisplayName("eigengradcam") class EigenGradCam extends CamExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.EigenGradCam(); }
  }

  @Nested @DisplayName("hessian-ciam") class HessianCiam extends CamExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.HessianCiamProvider(); }
    // Hv is a finite difference of two float32 VJPs divided by r = 0.01: the engine's batch-vs-single rounding
    // (~1e-7 relative) is amplified about 100-fold, so batch and single maps agree to 1e-3, not 1e-4 (measured 1.0e-3).
    @Override protected double tolerance() { return 3e-3; }
    // On the confident phantom-cxr model (logits up to 11.6) the log-sum-exp Hessian is at float32 noise: the method
    // flags it (extras hvpWarning) and its maps are not reproducible there, so the kit runs on the reference bundle.
    @Override protected java.util.List<org.xcam.tck.KitModels.ModelCase> models() { return org.xcam.tck.KitModels.reference(); }
  }

  @Nested @DisplayName("gg-cam") class GgCam extends CamExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.GgCam(); }
  }

  @Nested @DisplayName("shapleycam") class ShapleyCam extends CamExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.ShapleyCamProvider(); }
  }

  @Nested @DisplayName("smooth-gradcam-plusplus") class SmoothGradCamPlusPlus extends CamExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.SmoothGradCamPlusPlus(); }
    @Override protected Map<String, String> options() { return Map.of("samples", "5"); }
  }

  @Nested @DisplayName("kpca-cam") class KpcaCam extends CamExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.KpcaCamProvider(); }
  }

  @Nested @DisplayName("fem") class Fem extends CamExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.FemProvider(); }
  }

  @Nested @DisplayName("random-cam") class RandomCam extends CamExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.RandomCamProvider(); }
  }

  @Nested @DisplayName("finer-cam") class FinerCam extends CamExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.FinerCamProvider(); }
  }

  @Nested @DisplayName("fullgrad") class FullGrad extends ExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.FullGradProvider(); }
    // The kit found it: FullGrad min-max normalises |bias x gradient| channel by channel, which removes the sign and
    // scale the top layer sets; on a global-average-pool + linear head the spatial pattern of each channel's gradient is
    // its ReLU mask whatever the class weights, so re-initialising the top layer hardly moves the map (mean Spearman
    // 0.994 on phantom-small, ONNX; the maps equal pytorch-grad-cam's to 5e-7). The threshold still fails a method
    // that ignores the top layer altogether (Spearman 1).
    @Override protected double sanityThreshold() { return 0.999; }
  }

  @Nested @DisplayName("guided-backprop") class GuidedBackprop extends ExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.GuidedBackpropProvider(); }
  }

  @Nested @DisplayName("guided-gradcam") class GuidedGradCam extends ExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.GuidedGradCamProvider(); }
  }

  @Nested @DisplayName("deeplift") class DeepLift extends ExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.DeepLiftProvider(); }
  }

  @Nested @DisplayName("gradient-shap") class GradientShap extends ExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.GradientShapProvider(); }
    @Override protected Map<String, String> options() { return Map.of("samples", "8"); }
  }

  @Nested @DisplayName("saliency") class Saliency extends ExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.Saliency(); }
  }

  @Nested @DisplayName("gradient-x-input") class GradientXInput extends ExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.GradientXInput(); }
  }

  @Nested @DisplayName("integrated-gradients") class IntegratedGradients extends ExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.IntegratedGradientsProvider(); }
    @Override protected Map<String, String> options() { return Map.of("steps", "16", "tolerance", "0"); }
  }

  @Nested @DisplayName("smoothgrad") class SmoothGrad extends ExplainerCompatibilityKit {
    @Override protected ExplainerProvider provider() { return new GradientProviders.SmoothGrad(); }
    @Override protected Map<String, String> options() { return Map.of("samples", "5"); }
  }
}
