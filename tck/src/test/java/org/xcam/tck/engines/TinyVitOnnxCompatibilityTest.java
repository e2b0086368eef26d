package org.xcam.tck.engines;

import java.nio.file.Path;
import org.xcam.api.spi.EngineProvider;
import org.xcam.tck.EngineCompatibilityKit;
import org.xcam.tck.fixtures.Reference;

/**
 * The engine kit on a transformer with token layers (issue 13): tiny-vit's raw activations [N, 65, 64] and the
 * gradients of its logits there equal the recorded eager PyTorch tensors; loaded from the plain torch.onnx.export file (block outputs found by the engine).
 */
class TinyVitOnnxCompatibilityTest extends EngineCompatibilityKit {
  @Override protected EngineProvider provider() { return new org.xcam.engine.onnx.OnnxEngineProvider(); }
  @Override protected String fixture() { return "tiny-vit"; }
  @Override protected Path bundle() { return Reference.root().resolve("tiny-vit/model.onnx"); }
}
