package org.xcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.cli.testing.Cli;
import org.xcam.runtime.Fixtures;

/** The embedded transformers: layers lists attention blocks, the demo runs the rollouts, refusals are one line. */
class TransformerDemoTest {
  @Test @DisplayName("xcam layers lists phantom-vit's four attention blocks with kind attention, on both engines")
  void layers() {
    for (String engine : new String[] {"djl", "onnx"}) {
      Cli.Run r = Cli.xcam("layers", "--model", Fixtures.bundle("phantom-vit").toString(), "--engine", engine);
      assertThat(r.code()).as(r.err()).isZero();
      for (int b = 0; b < 4; b++) assertThat(r.out()).as(engine).containsPattern("blocks\\." + b + "\\.attn +\\[4, 65, 65\\] +attention");
      assertThat(r.out()).contains("ATTENTION").contains("ATTENTION_GRADIENT");
    }
  }

  @Test @DisplayName("xcam demo --model phantom-vit runs attention-rollout and gradient-rollout; --model phantom-swin refuses them in one line")
  void demo(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("vit");
    Cli.Run r = Cli.xcam("demo", "--model", "phantom-vit", "--methods", "attention-rollout,gradient-rollout", "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(Files.readString(out.resolve("index.html"))).contains("phantom-vit").contains("attention-rollout").contains("gradient-rollout");
    Path swin = dir.resolve("swin");
    Cli.Run s = Cli.xcam("demo", "--model", "phantom-swin", "--methods", "attention-rollout", "--out", swin.toString());
    assertThat(s.err()).contains("attention-rollout");
    Cli.Run x = Cli.xcam("demo", "--model", "phantom-bert", "--out", dir.resolve("x").toString());
    assertThat(x.code()).isEqualTo(2);
    assertThat(x.errLines()).hasSize(1);
    assertThat(x.err()).contains("phantom-vit");
    assertThat(dir.resolve("x")).doesNotExist();
  }
}
