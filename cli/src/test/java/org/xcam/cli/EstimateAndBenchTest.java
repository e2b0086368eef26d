package org.xcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.Tensor;
import org.xcam.cli.ExplainCommandTest.Run;
import org.xcam.tck.fixtures.Reference;

/** {@code xcam estimate} through the preparation SPI and {@code xcam bench iba} contributed by plugins-iba. */
class EstimateAndBenchTest {
  @Test @DisplayName("estimate (no --method: the one installed preparation, IBA's) writes mean, std and json; few images warn")
  void estimate(@TempDir Path dir) {
    Path out = dir.resolve("stats");
    Run r = ExplainCommandTest.xcam("estimate", "--model", Reference.bundle().toString(), "--layer", "features.14",
        "--images", "phantom:20", "--mode", "channel", "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("warning: only 20 images");
    assertThat(r.out()).contains("features.14: 20 images, channel statistics");
    assertThat(Tensor.readNpy(out.resolve("features.14.std.npy")).shape()).containsExactly(64);
    assertThat(out.resolve("features.14.json")).isRegularFile();
  }

  @Test @DisplayName("estimate for a method that needs no preparation, or with a bad option, fails in one line, exit 2")
  void estimateErrors(@TempDir Path dir) throws Exception {
    Run r = ExplainCommandTest.xcam("estimate", "--method", "gradcam", "--model", Reference.bundle().toString(), "--layer", "features.14",
        "--images", "phantom:20", "--out", dir.resolve("a").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("method 'gradcam' needs no preparation");
    Run b = ExplainCommandTest.xcam("estimate", "--method", "iba", "--option", "mode=pixel", "--model", Reference.bundle().toString(),
        "--layer", "features.14", "--images", "phantom:20", "--out", dir.resolve("b").toString());
    assertThat(b.code()).isEqualTo(2);
    assertThat(b.err()).contains("use element or channel");
    assertThat(Files.exists(dir.resolve("b"))).isFalse();
  }

  @Test @DisplayName("bench iba comes from plugins-iba: it runs and writes its CSV with the measured pass counts")
  void benchIba(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("iba.csv");
    Run r = ExplainCommandTest.xcam("bench", "iba", "--model", Reference.bundle().toString(), "--repeats", "1", "--warmup", "0",
        "--stats-count", "8", "--out", csv.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("| iba ", "| inverse-iba ");
    String text = Files.readString(csv);
    assertThat(text).startsWith("model,engine,layer,batch,method,ms_per_image,ratio_to_grad,ratio_to_floor,heads,tails,vjps\n");
    assertThat(text).contains(",iba,").contains(",1,10,10\n");
    Run help = ExplainCommandTest.xcam("bench", "--help");
    assertThat(help.out()).contains("iba", "gradient", "soak");
  }

  @Test @DisplayName("bench perturbation passes engine options to the engine and runs Score-CAM with parallel calls next to as many bare calls")
  void benchPerturbationParallel(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("p.csv");
    Run r = ExplainCommandTest.xcam("bench", "perturbation", "--model", Reference.bundle().toString(), "--methods", "scorecam",
        "--engine-option", "maxBatch=3", "--parallel", "2", "--batch", "4", "--scorecam-batches", "4", "--repeats", "1",
        "--warmup", "0", "--memory-channels", "0", "--out", csv.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("{maxBatch=3}", "parallel 2", "| scorecam ");
    assertThat(Files.readString(csv)).contains(",scorecam,4,");
    Run bad = ExplainCommandTest.xcam("bench", "perturbation", "--model", Reference.bundle().toString(), "--methods", "scorecam",
        "--engine-option", "maxBatch=0", "--repeats", "1", "--warmup", "0", "--memory-channels", "0");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("maxBatch='0' must be a positive integer");
    Run zero = ExplainCommandTest.xcam("bench", "perturbation", "--parallel", "0", "--memory-channels", "0");
    assertThat(zero.code()).isEqualTo(2);
    assertThat(zero.err()).contains("--parallel must be in [1, 64], got 0");
  }
}
