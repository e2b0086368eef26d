package org.xcam.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Model;
import org.xcam.api.ModelLoadException;
import org.xcam.api.Tensor;
import org.xcam.api.UnknownNameException;
import org.xcam.api.XcamException;
import org.xcam.api.spi.EngineProvider;
import org.xcam.engine.onnx.proto.OnnxProto.ModelProto;
import org.xcam.engine.onnx.proto.OnnxProto.StringStringEntryProto;
import org.xcam.engine.onnx.proto.OnnxProto.TensorProto;

/** Bad input gives one-line errors that say what is wrong and what to do, and writes nothing. */
class OnnxBadInputTest {
  static final Map<String, String> CPU = Map.of("device", "cpu");

  static List<Path> listing(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  static void oneLine(Throwable e) {
    assertThat(e.getMessage()).doesNotContain("\n").isNotBlank();
  }

  @Nested @DisplayName("Loading")
  class Loading {
    @Test @DisplayName("A file that is not ONNX fails with ModelLoadException naming the file")
    void notOnnx(@TempDir Path dir) throws IOException {
      Path f = dir.resolve("notes.onnx");
      Files.writeString(f, "this is not a model, just some text that happens to end in .onnx\n");
      List<Path> before = listing(dir);
      Throwable e = catchLoad(f);
      assertThat(e).isInstanceOf(ModelLoadException.class).hasMessageContaining("notes.onnx").hasMessageContaining("not an ONNX model");
      oneLine(e);
      assertThat(listing(dir)).isEqualTo(before);
    }

    @Test @DisplayName("A truncated ONNX file fails with ModelLoadException")
    void truncated(@TempDir Path dir) throws IOException {
      byte[] full = Files.readAllBytes(Ref.onnx());
      for (int cut : new int[] {full.length / 2, full.length - 7, 100}) {
        Path f = dir.resolve("cut" + cut + ".onnx");
        Files.write(f, Arrays.copyOf(full, cut));
        Throwable e = catchLoad(f);
        assertThat(e).as("cut at " + cut).isInstanceOf(ModelLoadException.class).hasMessageContaining(f.getFileName().toString());
        oneLine(e);
      }
    }

    @Test @DisplayName("An empty or missing file fails with ModelLoadException")
    void emptyOrMissing(@TempDir Path dir) throws IOException {
      Path f = dir.resolve("empty.onnx");
      Files.write(f, new byte[0]);
      assertThat(catchLoad(f)).isInstanceOf(ModelLoadException.class).hasMessageContaining("empty");
      assertThat(catchLoad(dir.resolve("missing.onnx"))).isInstanceOf(ModelLoadException.class).hasMessageContaining("does not exist");
    }

    @Test @DisplayName("A missing external-data file fails with ModelLoadException naming it; present, the model loads")
    void externalData(@TempDir Path dir) throws IOException {
      ModelProto m = ModelProto.parseFrom(Files.readAllBytes(Ref.onnx()));
      ModelProto.Builder b = m.toBuilder();
      var gb = b.getGraphBuilder();
      java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
      for (int i = 0; i < gb.getInitializerCount(); i++) {
        TensorProto t = gb.getInitializer(i);
        byte[] raw = t.getRawData().toByteArray();
        long off = data.size();
        data.write(raw);
        gb.setInitializer(i, t.toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("weights.bin"))
            .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue(Long.toString(off)))
            .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(Integer.toString(raw.length))));
      }
      Path f = dir.resolve("ext.onnx");
      Files.write(f, b.build().toByteArray());
      Throwable e = catchLoad(f);
      assertThat(e).isInstanceOf(ModelLoadException.class).hasMessageContaining("weights.bin").hasMessageContaining("missing");
      oneLine(e);
      Files.write(dir.resolve("weights.bin"), data.toByteArray());
      try (OnnxModel model = OnnxModel.load(f, CPU)) {
        Tensor y = model.forward(Ref.input(0));
        assertThat(y.get(0, 1)).isCloseTo(Ref.logits()[0][1], within(1e-4f));
      }
      Files.write(dir.resolve("weights.bin"), Arrays.copyOf(data.toByteArray(), 1000));
      assertThat(catchLoad(f)).isInstanceOf(ModelLoadException.class).hasMessageContaining("too short");
    }

    @Test @DisplayName("A bundle whose manifest maps a layer to a tensor the graph lacks fails at load, listing close names")
    void badManifest(@TempDir Path dir) throws IOException {
      Path b = dir.resolve("bundle");
      Files.createDirectories(b);
      Files.copy(Ref.onnx(), b.resolve("model.onnx"));
      String manifest = Files.readString(Ref.bundle().resolve("xcam-model.json")).replace("features.14/Relu_output_0", "features.14/Relu_output_9");
      Files.writeString(b.resolve("xcam-model.json"), manifest);
      Throwable e = catchLoad(b);
      assertThat(e).isInstanceOf(ModelLoadException.class).hasMessageContaining("Relu_output_9")
          .hasMessageContaining("/features/features.14/Relu_output_0");
      oneLine(e);
    }

    Throwable catchLoad(Path f) {
      try (Model m = OnnxModel.load(f, CPU)) {
        return null;
      } catch (XcamException e) {
        return e;
      }
    }
  }

  @Nested @DisplayName("Calls")
  class Calls {
    @Test @DisplayName("An unknown layer lists the closest names by edit distance")
    void unknownLayer() {
      try (OnnxModel m = OnnxModel.load(Ref.bundle(), CPU)) {
        assertThatThrownBy(() -> m.layer("features.1")).isInstanceOf(UnknownNameException.class)
            .hasMessageContaining("'features.1'").hasMessageContaining("features.10").hasMessageContaining("features.14")
            .hasMessageContaining("xcam layers").hasMessageNotContaining("\n");
      }
      try (OnnxModel m = OnnxModel.load(Ref.onnx(), CPU)) {
        assertThatThrownBy(() -> m.layer("/features/features.14/Relu_output")).isInstanceOf(UnknownNameException.class)
            .hasMessageContaining("/features/features.14/Relu_output_0");
      }
    }

    @Test @DisplayName("An input of the wrong shape fails with InvalidInputException naming the expected shape")
    void wrongShape() {
      try (OnnxModel m = OnnxModel.load(Ref.bundle(), CPU)) {
        assertThatThrownBy(() -> m.forward(Tensor.zeros(1, 3, 64, 64))).isInstanceOf(InvalidInputException.class)
            .hasMessageContaining("[N, 1, 64, 64]").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> m.layer("features.14").activation(Tensor.zeros(2, 1, 32, 32))).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> m.layer("features.14").tail(Tensor.zeros(2, 48, 16, 16))).isInstanceOf(InvalidInputException.class)
            .hasMessageContaining("features.14");
        Tensor a = m.layer("features.14").activation(Ref.input(0));
        assertThatThrownBy(() -> m.layer("features.14").vjp(a, Tensor.zeros(1, 4))).isInstanceOf(InvalidInputException.class)
            .hasMessageContaining("[1, 3]");
        float[] nan = new float[64 * 64];
        nan[5] = Float.NaN;
        assertThatThrownBy(() -> m.forward(Tensor.wrap(nan, 1, 1, 64, 64))).isInstanceOf(InvalidInputException.class)
            .hasMessageContaining("non-finite");
      }
    }

    @Test @DisplayName("Engine options that contradict the model's fixed input size fail before anything runs")
    void contradictingSize() {
      assertThatThrownBy(() -> OnnxModel.load(Ref.onnx(), Map.of("device", "cpu", "height", "32")))
          .isInstanceOf(InvalidInputException.class).hasMessageContaining("height=32").hasMessageContaining("64");
      assertThatThrownBy(() -> OnnxModel.load(Ref.onnx(), Map.of("device", "cpu", "labels", "a,b")))
          .isInstanceOf(InvalidInputException.class).hasMessageContaining("2 labels").hasMessageContaining("3 outputs");
    }

    @Test @DisplayName("Calls after close fail with XcamException")
    void closed() {
      OnnxModel m = OnnxModel.load(Ref.bundle(), CPU);
      m.close();
      assertThatThrownBy(() -> m.forward(Ref.input(0))).isInstanceOf(XcamException.class).hasMessageContaining("closed");
    }
  }

  @Nested @DisplayName("Provider and device")
  class ProviderAndDevice {
    @Test @DisplayName("The provider is found by ServiceLoader as 'onnx', ranks below DJL and claims .onnx files and bundles with model.onnx")
    void provider(@TempDir Path dir) throws IOException {
      EngineProvider p = ServiceLoader.load(EngineProvider.class).stream().map(ServiceLoader.Provider::get)
          .filter(e -> e.name().equals("onnx")).findFirst().orElseThrow();
      assertThat(p.rank()).isLessThan(100);
      assertThat(p.canLoad(Ref.onnx())).isTrue();
      assertThat(p.canLoad(Ref.bundle())).isTrue();
      assertThat(p.canLoad(dir)).isFalse();
      Files.writeString(dir.resolve("model.pt"), "x");
      assertThat(p.canLoad(dir.resolve("model.pt"))).isFalse();
      try (Model m = p.load(Ref.onnx(), Map.of("device", "cpu"))) {
        assertThat(m.info().engine()).isEqualTo("onnx");
      }
    }

    @Test @DisplayName("device=auto uses CUDA where usable and otherwise degrades to CPU with the same results")
    void autoDevice() {
      try (OnnxModel m = OnnxModel.load(Ref.bundle(), Map.of())) {
        assertThat(m.device()).isIn("cpu", "cuda");
        assertThat(m.info().extra()).containsEntry("onnxDevice", m.device());
        Tensor y = m.forward(Ref.inputs());
        float[][] ref = Ref.logits();
        for (int i = 0; i < 6; i++) for (int k = 0; k < 3; k++) assertThat(y.get(i, k)).isCloseTo(ref[i][k], within(1e-3f));
        Tensor g = m.layer("features.14").vjp(m.layer("features.14").activation(Ref.input(0)), Tensor.wrap(new float[] {0, 1, 0}, 1, 3));
        Tensor refG = Ref.gradient("features.14");
        assertThat(g.reshape(refG.shape()).maxAbsDiff(refG)).isLessThanOrEqualTo(1e-4);
      }
    }

    @Test @DisplayName("System property xcam.onnx.device=cpu forces the CPU")
    void forcedCpu() {
      String old = System.getProperty(OrtSupport.DEVICE_PROPERTY);
      System.setProperty(OrtSupport.DEVICE_PROPERTY, "cpu");
      try (OnnxModel m = OnnxModel.load(Ref.onnx(), Map.of())) {
        assertThat(m.device()).isEqualTo("cpu");
      } finally {
        if (old == null) System.clearProperty(OrtSupport.DEVICE_PROPERTY);
        else System.setProperty(OrtSupport.DEVICE_PROPERTY, old);
      }
      assertThatThrownBy(() -> OnnxModel.load(Ref.onnx(), Map.of("device", "tpu"))).isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("device=tpu");
    }
  }
}
