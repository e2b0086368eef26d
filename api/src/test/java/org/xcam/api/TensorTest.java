package org.xcam.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorTest {
  private static Tensor resource(String name) throws Exception {
    try (InputStream in = TensorTest.class.getResourceAsStream("/npy/" + name)) {
      return Tensor.readNpy(in);
    }
  }

  @Test @DisplayName("A float32 .npy written by numpy.save reads with its shape and values (0.5 * arange(24) as 2x3x4)")
  void readsNumpyFloat32() throws Exception {
    Tensor t = resource("t.npy");
    assertThat(t.shape()).containsExactly(2, 3, 4);
    assertThat(t.get(1, 2, 3)).isEqualTo(23 * 0.5f);
    assertThat(t.get(0, 1, 0)).isEqualTo(4 * 0.5f);
  }

  @Test @DisplayName("float64 and 1-D .npy files are converted to float32")
  void readsFloat64And1d() throws Exception {
    Tensor t = resource("t64.npy");
    assertThat(t.shape()).containsExactly(1, 2);
    assertThat(t.get(0, 1)).isEqualTo(-2.25f);
    assertThat(resource("t1d.npy").shape()).containsExactly(1);
  }

  @Test @DisplayName("What Tensor writes is byte-identical to numpy.save's output for the same array")
  void writesLikeNumpy(@TempDir Path dir) throws Exception {
    Tensor t = resource("t.npy");
    byte[] numpy;
    try (InputStream in = TensorTest.class.getResourceAsStream("/npy/t.npy")) { numpy = in.readAllBytes(); }
    assertThat(t.toNpyBytes()).isEqualTo(numpy);
    Path f = dir.resolve("x.npy");
    t.writeNpy(f);
    assertThat(Tensor.readNpy(f)).isEqualTo(t);
  }

  @Test @DisplayName("A truncated or foreign file fails with a one-line InvalidInputException, never an index error")
  void truncated(@TempDir Path dir) throws Exception {
    byte[] ok;
    try (InputStream in = TensorTest.class.getResourceAsStream("/npy/t.npy")) { ok = in.readAllBytes(); }
    byte[] cut = java.util.Arrays.copyOf(ok, ok.length - 10);
    assertThatThrownBy(() -> Tensor.readNpy(new ByteArrayInputStream(cut))).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("truncated");
    Path junk = dir.resolve("junk.npy");
    Files.writeString(junk, "hello world, not numpy");
    assertThatThrownBy(() -> Tensor.readNpy(junk)).isInstanceOf(InvalidInputException.class).hasMessageContaining("not a NumPy");
    assertThatThrownBy(() -> Tensor.readNpy(dir.resolve("missing.npy"))).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("no such file");
  }

  @Test @DisplayName("Shape arithmetic: item, slice, stack and concat keep row-major order")
  void shapes() {
    Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    assertThat(a.item(1).toArray()).containsExactly(4, 5, 6);
    assertThat(a.slice(1, 2).shape()).containsExactly(1, 3);
    Tensor s = Tensor.stack(List.of(a, a));
    assertThat(s.shape()).containsExactly(2, 2, 3);
    assertThat(s.get(1, 0, 2)).isEqualTo(3f);
    assertThat(Tensor.concat(List.of(a, a.slice(0, 1))).shape()).containsExactly(3, 3);
    assertThat(a.reshape(-1).shape()).containsExactly(6);
    assertThatThrownBy(() -> Tensor.of(new float[5], 2, 3)).isInstanceOf(InvalidInputException.class);
  }

  @Test @DisplayName("Tensors are immutable: toArray returns a copy")
  void immutable() {
    float[] d = {1, 2};
    Tensor t = Tensor.of(d, 2);
    d[0] = 9;
    t.toArray()[1] = 9;
    assertThat(t.toArray()).containsExactly(1, 2);
    assertThat(t.maxAbsDiff(Tensor.of(new float[] {1, 2.5f}, 2))).isCloseTo(0.5, within(1e-9));
  }
}
