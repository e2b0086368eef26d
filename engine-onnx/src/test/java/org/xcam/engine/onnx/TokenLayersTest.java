package org.xcam.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerLayout;
import org.xcam.api.ModelInfo;
import org.xcam.api.Tensor;

/**
 * Issue 13: plain torch.onnx.export files of a ViT and a Swin (the pytorch-grad-cam references' own files, kept in
 * the tck's reference data) load with their block outputs as layers, named by module, with the layout inferred; the
 * default layer moves past a head that reads only the class token; engine option {@code layout.<name>=<spec>}.
 */
class TokenLayersTest {
  static Path ref(String model) {
    return Path.of("../tck/src/main/resources/org/xcam/tck/reference").resolve(model).resolve("model.onnx");
  }

  @Test @DisplayName("ViT: the four block outputs and the final norm are token layers (1 prefix + 8x8); default blocks.2, with the reason")
  void vit() {
    try (OnnxModel m = OnnxModel.load(ref("tiny-vit"), Map.of("device", "cpu"))) {
      ModelInfo info = m.info();
      assertThat(info.layerNames()).contains("blocks.0", "blocks.1", "blocks.2", "blocks.3", "norm");
      for (String l : new String[] {"blocks.0", "blocks.3", "norm"}) {
        assertThat(info.layer(l).layout()).isEqualTo(LayerLayout.tokens(1, 8, 8, 64));
        assertThat(info.layer(l).shape()).containsExactly(64, 8, 8);
      }
      // mid-block residual sums and norm outputs inside blocks are not listed (not module outputs / not clean cuts)
      assertThat(info.layerNames()).noneMatch(n -> n.contains("Add_output") || n.contains("norm1"));
      assertThat(info.defaultLayer()).isEqualTo("blocks.2");
      assertThat((String) info.extra().get(ModelInfo.DEFAULT_LAYER_REASON)).contains("norm, blocks.3").contains("exactly zero");
      // the hook takes and returns the raw layout
      Tensor a = m.layer("blocks.2").activation(Tensor.zeros(2, 1, 64, 64));
      assertThat(a.shape()).containsExactly(2, 65, 64);
    }
  }

  @Test @DisplayName("Swin: stage outputs are channels-last and named by stage (features.1, features.3)")
  void swin() {
    try (OnnxModel m = OnnxModel.load(ref("tiny-swin"), Map.of("device", "cpu"))) {
      ModelInfo info = m.info();
      assertThat(info.layer("features.1").layout()).isEqualTo(LayerLayout.channelsLast(16, 16, 24));
      assertThat(info.layer("features.3").layout()).isEqualTo(LayerLayout.channelsLast(8, 8, 48));
      assertThat(info.layer("features.1.0").layout().kind()).isEqualTo(LayerLayout.Kind.CHANNELS_LAST);
      assertThat(info.layer("features.3").shape()).containsExactly(48, 8, 8);
    }
  }

  @Test @DisplayName("A bundle whose manifest has no \"onnx\" map still cuts its token layers at the module outputs, with the manifest's layouts")
  void bundleWithoutOnnxMap(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    Path b = tmp.resolve("vit");
    java.nio.file.Files.createDirectories(b);
    Path src = ref("tiny-vit").getParent();
    java.nio.file.Files.copy(src.resolve("bundle/xcam-model.json"), b.resolve("xcam-model.json"));
    java.nio.file.Files.copy(src.resolve("model.onnx"), b.resolve("model.onnx"));
    try (OnnxModel m = OnnxModel.load(b, Map.of("device", "cpu"))) {
      assertThat(m.info().layerNames()).containsExactly("blocks.2", "blocks.3");
      assertThat(m.info().layer("blocks.3").layout()).isEqualTo(LayerLayout.tokens(1, 8, 8, 64));
      assertThat(m.info().defaultLayer()).isEqualTo("blocks.2");
      assertThat(m.info().extra()).containsKey(ModelInfo.DEFAULT_LAYER_REASON);
    }
  }

  @Test @DisplayName("layout.<tensor>=<spec> adds a clean cut as a layer; a spec that does not fit fails with one line")
  void option() {
    try (OnnxModel m = OnnxModel.load(ref("tiny-vit"), Map.of("device", "cpu", "layout./blocks.2/Add_output_0", "tokens:1:8x8"))) {
      assertThat(m.info().layer("/blocks.2/Add_output_0").layout()).isEqualTo(LayerLayout.tokens(1, 8, 8, 64));
    }
    assertThatThrownBy(() -> OnnxModel.load(ref("tiny-vit"), Map.of("device", "cpu", "layout.blocks.2", "tokens:2")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("layout.blocks.2=tokens:2").hasMessageNotContaining("\n");
    assertThatThrownBy(() -> OnnxModel.load(ref("tiny-vit"), Map.of("device", "cpu", "layout./blocks.2/norm1/Add_1_output_0", "tokens")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("not a cut point");
  }
}
