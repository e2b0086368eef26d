package org.xcam.plugins.gradient;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.xcam.api.spi.CompilerProvider;
import org.xcam.tck.CompileCompatibilityKit;
import org.xcam.tck.KitModels;

/**
 * The compile kit on the ONNX compiler (found by discovery, as the CLI finds it): every compilable gradient method,
 * compiled into phantom-cxr, the pytorch-grad-cam reference bundle and the tiny torchvision ResNet / DenseNet, gives the
 * maps this module's Java methods give on the ONNX engine.
 */
class OnnxCompileCompatibilityTest extends CompileCompatibilityKit {
  @Override protected CompilerProvider compiler() {
    CompilerProvider p = KitModels.xcam().compilers().get("onnx");
    assumeTrue(p != null, "the onnx compiler (xcam-engine-onnx) is not on the test class path");
    return p;
  }
}
