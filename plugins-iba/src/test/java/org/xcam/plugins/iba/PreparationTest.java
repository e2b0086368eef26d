package org.xcam.plugins.iba;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Options;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.api.UnknownNameException;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.api.spi.Preparation;
import org.xcam.tck.fixtures.PoolLinearModel;

/**
 * IBA's statistics through the preparation SPI, as {@code xcam estimate} runs them: every IBA method declares the same
 * preparation, and a run over streamed batches writes the mean and sample std that a plain two-pass computation over
 * all activations gives (per element and per channel).
 */
class PreparationTest {
  static final PoolLinearModel MODEL = Fixtures.randomModel(3, 5, 4, 2, Task.MULTICLASS);

  static Options opts(Preparation p, String mode) { return Options.of("t", p.options(), Map.of("mode", mode)); }

  @Test @DisplayName("iba, inverse-iba, regression-iba and multilayer-iba declare one preparation, activation-stats")
  void declared() {
    for (ExplainerProvider p : List.of(new IbaProvider(), new InverseIbaProvider(), new RegressionIbaProvider(), new MultiLayerIbaProvider())) {
      assertThat(p.preparation()).as(p.name()).isPresent();
      assertThat(p.preparation().get().name()).isEqualTo("activation-stats");
    }
  }

  @Test @DisplayName("streamed in three batches, the written mean and std equal a two-pass computation over all 23 images")
  void matchesTwoPass(@TempDir Path dir) {
    Preparation prep = new IbaProvider().preparation().orElseThrow();
    List<Tensor> batches = List.of(Fixtures.uniform(new Random(1), 10, 2, 5, 4), Fixtures.uniform(new Random(2), 7, 2, 5, 4),
        Fixtures.uniform(new Random(3), 6, 2, 5, 4));
    for (String mode : List.of("element", "channel")) {
      Path out = dir.resolve(mode);
      Preparation.Run run = prep.start(MODEL, new Preparation.Request(List.of("features"), opts(prep, mode), Optional.of(out), "test"));
      for (Tensor b : batches) run.add(b);
      Preparation.Result r = run.finish();
      assertThat(r.files()).allMatch(Files::isRegularFile).hasSize(3);
      assertThat(r.warnings()).anyMatch(w -> w.contains("only 23 images"));
      assertThat(r.lines()).hasSize(1);
      // reference: all activations at once, two passes in double
      Tensor all = MODEL.layer("features").activation(Tensor.concat(batches));
      int n = all.dim(0), k = all.dim(1), hw = all.dim(2) * all.dim(3);
      boolean element = mode.equals("element");
      int size = element ? k * hw : k;
      double[] mean = new double[size], m2 = new double[size];
      long per = element ? n : (long) n * hw;
      for (int i = 0; i < n; i++) for (int c = 0; c < k; c++) for (int p = 0; p < hw; p++) mean[element ? c * hw + p : c] += all.get((i * k + c) * hw + p);
      for (int j = 0; j < size; j++) mean[j] /= per;
      for (int i = 0; i < n; i++) for (int c = 0; c < k; c++) for (int p = 0; p < hw; p++) {
        double d = all.get((i * k + c) * hw + p) - mean[element ? c * hw + p : c];
        m2[element ? c * hw + p : c] += d * d;
      }
      ActivationStats s = ActivationStats.read(out, "features");
      assertThat(s.count()).isEqualTo(23);
      assertThat(s.mode().id()).isEqualTo(mode);
      for (int j = 0; j < size; j++) {
        assertThat((double) s.mean()[j]).as("%s mean %d", mode, j).isCloseTo(mean[j], within(1e-6));
        assertThat((double) s.std()[j]).as("%s std %d", mode, j).isCloseTo(Math.sqrt(m2[j] / (per - 1)), within(1e-6));
      }
    }
  }

  @Test @DisplayName("a bad layer or mode fails in one line at start, before any image is read")
  void preconditions(@TempDir Path dir) {
    Preparation prep = new IbaProvider().preparation().orElseThrow();
    assertThatThrownBy(() -> prep.start(MODEL, new Preparation.Request(List.of("feature"), opts(prep, "element"), Optional.of(dir), "t")))
        .isInstanceOf(UnknownNameException.class).hasMessageContaining("features");
    assertThatThrownBy(() -> prep.start(MODEL, new Preparation.Request(List.of("features"), opts(prep, "pixel"), Optional.of(dir), "t")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("element or channel");
    Preparation.Run run = prep.start(MODEL, new Preparation.Request(List.of("features"), opts(prep, "element"), Optional.of(dir), "t"));
    run.add(Fixtures.uniform(new Random(1), 1, 2, 5, 4));
    assertThatThrownBy(run::finish).isInstanceOf(InvalidInputException.class).hasMessageContaining("at least 2 images");
  }

  @Test @DisplayName("the iba benchmark is registered and measures exactly 1 head + 10 tails + 10 VJPs per call for iba and inverse-iba")
  void benchmark() {
    var found = java.util.ServiceLoader.load(org.xcam.api.spi.BenchmarkProvider.class).stream()
        .map(java.util.ServiceLoader.Provider::get).filter(b -> b.name().equals("iba")).findFirst();
    assertThat(found).isPresent();
    var b = found.get();
    var out = new java.io.ByteArrayOutputStream();
    var rows = b.run(MODEL, Options.of("t", b.options(), Map.of("repeats", "1", "warmup", "0", "stats-count", "8")),
        new java.io.PrintStream(out, true));
    assertThat(rows).extracting(r -> r.get("method")).containsExactly("iba", "inverse-iba");
    for (var r : rows) {
      assertThat(r.get("heads")).isEqualTo(1L);
      assertThat(r.get("tails")).isEqualTo(10L);
      assertThat(r.get("vjps")).isEqualTo(10L);
    }
    assertThat(out.toString()).contains("| iba ").contains("floor (1 head + 10 x tail+VJP");
  }
}
