package org.xcam.engine.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.ModelLoadException;
import org.xcam.api.Tensor;
import org.xcam.api.UnknownNameException;
import org.xcam.api.XcamException;

@DisplayName("DJL engine: bad input fails with a one-line error that names the problem and the fix")
class DjlBadInputTest {

  private static AbstractThrowableAssert<?, ? extends Throwable> assertOneLine(AbstractThrowableAssert<?, ? extends Throwable> a) {
    return a.satisfies(e -> assertThat(e.getMessage()).as("one line").doesNotContain("\n").doesNotContain("\r"));
  }

  @Nested
  @DisplayName("Loading a broken bundle")
  class Loading {
    @Test
    @DisplayName("a missing tail file is named with the fix (re-export)")
    void missingFile(@TempDir Path tmp) throws IOException {
      Path b = Fixtures.copyBundle(tmp);
      Files.delete(b.resolve("layers/features.10.tail.pt"));
      assertOneLine(assertThatThrownBy(() -> new DjlEngineProvider().load(b, Map.of()))
          .isInstanceOf(ModelLoadException.class)
          .hasMessageContaining("layers/features.10.tail.pt").hasMessageContaining("export_bundle.py"));
    }

    @Test
    @DisplayName("a missing model.pt is named")
    void missingModel(@TempDir Path tmp) throws IOException {
      Path b = Fixtures.copyBundle(tmp);
      Files.delete(b.resolve("model.pt"));
      assertOneLine(assertThatThrownBy(() -> new DjlEngineProvider().load(b, Map.of()))
          .isInstanceOf(ModelLoadException.class).hasMessageContaining("model.pt"));
    }

    @Test
    @DisplayName("a directory with model.pt but no manifest says to export a bundle")
    void missingManifest(@TempDir Path tmp) throws IOException {
      Path b = Fixtures.copyBundle(tmp);
      Files.delete(b.resolve("xcam-model.json"));
      assertOneLine(assertThatThrownBy(() -> new DjlEngineProvider().load(b, Map.of()))
          .isInstanceOf(ModelLoadException.class).hasMessageContaining("xcam-model.json").hasMessageContaining("export"));
    }

    @Test
    @DisplayName("a manifest listing a layer whose files are missing names both files")
    void manifestLayerWithoutFiles(@TempDir Path tmp) throws IOException {
      Path b = Fixtures.copyBundle(tmp);
      editManifest(b, "\"features.14\"\n  ],", "\"features.14\", \"features.12\"\n  ],");
      assertOneLine(assertThatThrownBy(() -> new DjlEngineProvider().load(b, Map.of()))
          .isInstanceOf(ModelLoadException.class)
          .hasMessageContaining("layers/features.12.head.pt").hasMessageContaining("layers/features.12.tail.pt"));
    }

    @Test
    @DisplayName("a manifest with more labels than the model has outputs is refused")
    void labelCount(@TempDir Path tmp) throws IOException {
      Path b = Fixtures.copyBundle(tmp);
      editManifest(b, "\"effusion\"", "\"effusion\", \"mass\"");
      assertOneLine(assertThatThrownBy(() -> new DjlEngineProvider().load(b, Map.of()))
          .isInstanceOf(ModelLoadException.class).hasMessageContaining("4 labels").hasMessageContaining("3 outputs"));
    }

    @Test
    @DisplayName("a manifest input shape the model cannot take is refused at load, naming the manifest's input")
    void inputShape(@TempDir Path tmp) throws IOException {
      Path b = Fixtures.copyBundle(tmp);
      editManifest(b, "\"channels\": 1", "\"channels\": 3");
      editManifest(b, "\"mean\": [\n      0.5\n    ]", "\"mean\": [0.5, 0.5, 0.5]");
      editManifest(b, "\"std\": [\n      0.25\n    ]", "\"std\": [0.25, 0.25, 0.25]");
      assertOneLine(assertThatThrownBy(() -> new DjlEngineProvider().load(b, Map.of()))
          .isInstanceOf(ModelLoadException.class).hasMessageContaining("model.pt").hasMessageContaining("\"input\""));
    }

    @Test
    @DisplayName("layer files swapped between layers are caught by the tail(head(x)) == model(x) check at load")
    void swappedLayerFiles(@TempDir Path tmp) throws IOException {
      Path b = Fixtures.copyBundle(tmp);
      // features.10's tail takes [48,16,16]; feed it features.14's head output instead
      Files.copy(b.resolve("layers/features.14.head.pt"), b.resolve("layers/features.10.head.pt"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      assertOneLine(assertThatThrownBy(() -> new DjlEngineProvider().load(b, Map.of()))
          .isInstanceOf(ModelLoadException.class).hasMessageContaining("features.10"));
    }

    @Test
    @DisplayName("a truncated model.pt is named as truncated with the fix")
    void truncated(@TempDir Path tmp) throws IOException {
      Path b = Fixtures.copyBundle(tmp);
      byte[] all = Files.readAllBytes(b.resolve("model.pt"));
      Files.write(b.resolve("model.pt"), Arrays.copyOf(all, all.length / 2));
      assertOneLine(assertThatThrownBy(() -> new DjlEngineProvider().load(b, Map.of()))
          .isInstanceOf(ModelLoadException.class)
          .hasMessageContaining("model.pt").hasMessageContaining("truncated").hasMessageContaining("export_bundle.py"));
    }

    @Test
    @DisplayName("a head file that is not TorchScript at all is named")
    void garbage(@TempDir Path tmp) throws IOException {
      Path b = Fixtures.copyBundle(tmp);
      Files.writeString(b.resolve("layers/features.14.head.pt"), "this is not a zip archive");
      assertOneLine(assertThatThrownBy(() -> new DjlEngineProvider().load(b, Map.of()))
          .isInstanceOf(ModelLoadException.class).hasMessageContaining("features.14.head.pt"));
    }

    @Test
    @DisplayName("a bare .pt file without the input option says how to give the input shape")
    void bareFileNeedsInput(@TempDir Path tmp) throws IOException {
      Path f = Files.copy(Fixtures.bundle().resolve("model.pt"), tmp.resolve("net.pt"));
      assertOneLine(assertThatThrownBy(() -> new DjlEngineProvider().load(f, Map.of()))
          .isInstanceOf(ModelLoadException.class).hasMessageContaining("input=CxHxW"));
    }

    @Test
    @DisplayName("a bare .pt file with input=1x64x64 loads with forward and input gradients only")
    void bareFile(@TempDir Path tmp) throws IOException {
      Path f = Files.copy(Fixtures.bundle().resolve("model.pt"), tmp.resolve("net.pt"));
      try (Model m = new DjlEngineProvider().load(f, Map.of("input", "1x64x64"))) {
        assertThat(m.info().labels()).containsExactly("class 0", "class 1", "class 2");
        assertThat(m.forward(Fixtures.input(0)).toArray())
            .containsExactly(Fixtures.logits()[0], org.assertj.core.api.Assertions.within(1e-4f));
        assertThat(m.layer("input").vjp(Fixtures.input(0), Fixtures.oneHot(1, 3, 1)).isFinite()).isTrue();
        assertOneLine(assertThatThrownBy(() -> m.layer("features.14")).isInstanceOf(UnknownNameException.class)
            .hasMessageContaining("input").hasMessageContaining("bundle"));
      }
    }
  }

  @Nested
  @DisplayName("Calling a loaded model with bad input")
  class Calls {
    @Test
    @DisplayName("three channels for a one-channel model says what the model takes")
    void channels() {
      assertOneLine(assertThatThrownBy(() -> Fixtures.model().forward(Tensor.zeros(1, 3, 64, 64)))
          .isInstanceOf(InvalidInputException.class).hasMessageContaining("3 channel").hasMessageContaining("[N, 1, 64, 64]"));
    }

    @Test
    @DisplayName("a 32 x 32 image for a 64 x 64 model says to resize")
    void size() {
      assertOneLine(assertThatThrownBy(() -> Fixtures.model().layer("features.14").activation(Tensor.zeros(2, 1, 32, 32)))
          .isInstanceOf(InvalidInputException.class).hasMessageContaining("32 x 32").hasMessageContaining("resize"));
    }

    @Test
    @DisplayName("a [C, H, W] tensor without batch axis says to add it")
    void rank() {
      assertOneLine(assertThatThrownBy(() -> Fixtures.model().forward(Tensor.zeros(1, 64, 64)))
          .isInstanceOf(InvalidInputException.class).hasMessageContaining("batch axis"));
    }

    @Test
    @DisplayName("NaN in the input is refused, never propagated")
    void nan() {
      float[] v = new float[64 * 64];
      v[77] = Float.NaN;
      assertOneLine(assertThatThrownBy(() -> Fixtures.model().forward(Tensor.wrap(v, 1, 1, 64, 64)))
          .isInstanceOf(InvalidInputException.class).hasMessageContaining("NaN").hasMessageContaining("77"));
    }

    @Test
    @DisplayName("an unknown layer lists the model's layers, input included")
    void unknownLayer() {
      assertOneLine(assertThatThrownBy(() -> Fixtures.model().layer("features.99"))
          .isInstanceOf(UnknownNameException.class)
          .hasMessageContaining("features.99").hasMessageContaining("features.10, features.14, input"));
    }

    @Test
    @DisplayName("an activation of the wrong layer's shape names the shape the layer needs")
    void activationShape() {
      LayerHook h14 = Fixtures.model().layer("features.14");
      Tensor a10 = Fixtures.model().layer("features.10").activation(Fixtures.input(0));
      assertOneLine(assertThatThrownBy(() -> h14.tail(a10))
          .isInstanceOf(InvalidInputException.class).hasMessageContaining("[N, 64, 8, 8]"));
    }

    @Test
    @DisplayName("a gradOutput of the wrong shape names [N, K]")
    void gradShape() {
      LayerHook h = Fixtures.model().layer("features.14");
      Tensor a = h.activation(Fixtures.batch(0, 1));
      assertOneLine(assertThatThrownBy(() -> h.vjp(a, Fixtures.oneHot(1, 3, 0)))
          .isInstanceOf(InvalidInputException.class).hasMessageContaining("[2, 3]"));
      assertOneLine(assertThatThrownBy(() -> h.tailWithGradient(a, y -> Tensor.zeros(2, 4)))
          .isInstanceOf(InvalidInputException.class).hasMessageContaining("[2, 3]"));
    }

    @Test
    @DisplayName("an exception thrown by the seed function reaches the caller unchanged")
    void seedException() {
      LayerHook h = Fixtures.model().layer("features.14");
      Tensor a = h.activation(Fixtures.input(0));
      IllegalStateException boom = new IllegalStateException("boom");
      assertThatThrownBy(() -> h.tailWithGradient(a, y -> { throw boom; })).isSameAs(boom);
    }

    @Test
    @DisplayName("calls after close fail with an xcam error that says to load again")
    void afterClose() {
      Model m = new DjlEngineProvider().load(Fixtures.bundle(), Map.of());
      LayerHook h = m.layer("features.14");
      m.close();
      m.close();
      assertOneLine(assertThatThrownBy(() -> m.forward(Fixtures.input(0)))
          .isInstanceOf(XcamException.class).hasMessageContaining("closed"));
      assertThatThrownBy(() -> h.activation(Fixtures.input(0))).isInstanceOf(XcamException.class).hasMessageContaining("closed");
    }
  }

  private static void editManifest(Path bundle, String from, String to) throws IOException {
    Path f = bundle.resolve("xcam-model.json");
    String s = Files.readString(f);
    assertThat(s).as("manifest holds the text to replace").contains(from);
    Files.writeString(f, s.replace(from, to));
  }
}
