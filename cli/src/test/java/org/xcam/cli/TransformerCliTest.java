package org.xcam.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.xcam.cli.ExplainCommandTest.xcam;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.Tensor;
import org.xcam.tck.fixtures.Reference;

/** Issue 13 from the command line: a ViT from torch.onnx.export and its exported bundle, with no option. */
class TransformerCliTest {
  @TempDir Path tmp;

  @Test @DisplayName("xcam layers shows the token layout and why the default is blocks.2, on both engines")
  void layers() {
    for (String[] m : new String[][] {{"tiny-vit/model.onnx", "onnx"}, {"tiny-vit/bundle", "djl"}}) {
      var r = xcam("layers", "--model", Reference.root().resolve(m[0]).toString(), "--engine", m[1]);
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(r.out()).contains("tokens [65, 64]: 1 prefix + 8x8 grid, view [64, 8, 8]  (default)")
          .contains("default layer blocks.2: the head reads only the prefix");
    }
    var swin = xcam("layers", "--model", Reference.root().resolve("tiny-swin/model.onnx").toString());
    assertThat(swin.code()).isZero();
    assertThat(swin.out()).contains("features.3").contains("channels-last [8, 8, 48], view [48, 8, 8]");
  }

  @Test @DisplayName("xcam explain --method gradcam on a plain ViT ONNX file needs no option and writes a non-zero map")
  void explain() throws Exception {
    Path in = tmp.resolve("x.npy");
    Reference.tensor("tiny-vit/inputs/1.npy").writeNpy(in);
    var r = xcam("explain", "--model", Reference.root().resolve("tiny-vit/model.onnx").toString(), "--method", "gradcam",
        "--out", tmp.resolve("out").toString(), in.toString());
    assertThat(r.code()).as(r.err()).isZero();
    Tensor raw = Tensor.readNpy(tmp.resolve("out/x.gradcam.raw.npy"));
    assertThat(raw.shape()).containsExactly(8, 8);
    float max = 0;
    for (float v : raw.toArray()) max = Math.max(max, v);
    assertThat(max).isPositive();
    assertThat(Files.readString(tmp.resolve("out/manifest.json"))).contains("blocks.2");
  }
}
