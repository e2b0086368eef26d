package org.xcam.plugins.perturbation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.Tensor;
import org.xcam.api.compile.CompileRequest;
import org.xcam.api.compile.CompiledModel;
import org.xcam.api.spi.CompilerProvider;
import org.xcam.tck.CompileCompatibilityKit;
import org.xcam.tck.KitModels;
import org.xcam.tck.fixtures.Reference;

/**
 * The compile kit for recipro-cam (the one compilable method of this module): compiled by the ONNX compiler into
 * phantom-cxr, the reference bundle and the tiny torchvision ResNet / DenseNet, ONNX Runtime running the compiled file
 * gives the maps this module's Java method gives on the ONNX engine (batch 1 and 4; class index, all, size layer on the
 * first fixture). And, independently of the Java method: the compiled maps equal the numpy re-implementation of
 * OpenVINO XAI's algorithm ({@code tools/reciprocam_reference.py}, the fixtures of {@link ReciproCamReferenceTest}).
 */
class OnnxCompileCompatibilityTest extends CompileCompatibilityKit {
  @Override protected CompilerProvider compiler() {
    CompilerProvider p = KitModels.xcam().compilers().get("onnx");
    assumeTrue(p != null, "the onnx compiler (xcam-engine-onnx) is not on the test class path");
    return p;
  }

  @Test @DisplayName("compiled recipro-cam (target all, layer size) equals the numpy OpenVINO XAI reference: 2 layers x 2 kernels x 6 inputs x 3 classes")
  void numpyReference(@TempDir Path dir) throws Exception {
    int checked = 0;
    double worst = 0;
    for (String layer : new String[] {"features.10", "features.14"}) {
      for (String kernel : new String[] {"onehot", "gaussian"}) {
        Path out = dir.resolve(layer + "." + kernel + ".xcam.onnx");
        compiler().compile(CompileRequest.builder(Reference.bundle(), out).methods(List.of("recipro-cam")).layer(layer).target("all")
            .size(CompileRequest.MapSize.LAYER).options(Map.of("kernel", kernel)).engineOptions(Map.of("device", "cpu")).build());
        try (CompiledModel cm = compiler().open(out, Map.of("device", "cpu"))) {
          Tensor x = Tensor.stack(List.of(Reference.input(0), Reference.input(1), Reference.input(2), Reference.input(3),
              Reference.input(4), Reference.input(5)));
          Tensor maps = cm.run(x).get("xcam_recipro_cam");
          float[] got = maps.toArray();
          for (int i = 0; i < 6; i++) {
            Tensor ref = ReciproCamReferenceTest.reference(layer, kernel, i);
            int k = ref.dim(0), hw = ref.dim(1) * ref.dim(2);
            assertThat(maps.shape()).containsExactly(6, k, ref.dim(1), ref.dim(2));
            float[] all = ref.toArray();
            for (int t = 0; t < k; t++) {
              float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
              for (int p = 0; p < hw; p++) {
                min = Math.min(min, all[t * hw + p]);
                max = Math.max(max, all[t * hw + p]);
              }
              for (int p = 0; p < hw; p++) {
                double want = (all[t * hw + p] - min) / (double) (max - min);
                double d = Math.abs(got[(i * k + t) * hw + p] - want);
                worst = Math.max(worst, d);
                assertThat(d).as("%s %s input %d class %d position %d", layer, kernel, i, t, p).isLessThanOrEqualTo(1e-4);
              }
              checked++;
            }
          }
        }
        Files.delete(out);
      }
    }
    System.out.printf("compiled recipro-cam vs numpy OpenVINO XAI: %d maps, worst normalised diff %.2e%n", checked, worst);
    assertThat(checked).isEqualTo(72);
  }
}
