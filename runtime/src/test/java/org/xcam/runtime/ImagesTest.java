package org.xcam.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.InputSpec;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Tensor;

class ImagesTest {
  private static final InputSpec GRAY = new InputSpec(1, 4, 4, new float[] {0.5f}, new float[] {0.25f});
  private static final InputSpec RGB = new InputSpec(3, 4, 4, new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});

  @Test @DisplayName("16-bit grayscale PNG: pixels scale by 1/65535, then (x - mean) / std")
  void sixteenBit(@TempDir Path dir) throws Exception {
    BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_USHORT_GRAY);
    img.getRaster().setSample(1, 2, 0, 65535);
    img.getRaster().setSample(0, 0, 0, 16384);
    Path f = dir.resolve("a.png");
    ImageIO.write(img, "png", f.toFile());
    Tensor t = Images.load(f, GRAY).get(0).tensor();
    assertThat(t.shape()).containsExactly(1, 4, 4);
    assertThat(t.get(0, 2, 1)).isCloseTo((1f - 0.5f) / 0.25f, offset(1e-6f));
    assertThat(t.get(0, 0, 0)).isCloseTo((16384f / 65535f - 0.5f) / 0.25f, offset(1e-6f));
    assertThat(t.get(0, 3, 3)).isCloseTo(-2f, offset(1e-6f));
  }

  @Test @DisplayName("RGBA into a 1-channel model: alpha ignored, luma 0.299R+0.587G+0.114B, noted")
  void rgbaToGray(@TempDir Path dir) throws Exception {
    BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_INT_ARGB);
    img.setRGB(2, 1, (0x10 << 24) | (200 << 16) | (100 << 8) | 50);
    Path f = dir.resolve("rgba.png");
    ImageIO.write(img, "png", f.toFile());
    var loaded = Images.load(f, GRAY).get(0);
    float luma = (0.299f * 200 + 0.587f * 100 + 0.114f * 50) / 255f;
    assertThat(loaded.tensor().get(0, 1, 2)).isCloseTo((luma - 0.5f) / 0.25f, offset(1e-5f));
    assertThat(loaded.notes()).anyMatch(n -> n.contains("alpha"));
  }

  @Test @DisplayName("8-bit gray into a 3-channel model: replicated, each channel with its own mean/std")
  void grayToRgb(@TempDir Path dir) throws Exception {
    BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
    img.getRaster().setSample(3, 0, 0, 255);
    Path f = dir.resolve("g.png");
    ImageIO.write(img, "png", f.toFile());
    Tensor t = Images.load(f, RGB).get(0).tensor();
    assertThat(t.shape()).containsExactly(3, 4, 4);
    assertThat(t.get(2, 0, 3)).isCloseTo((1f - 0.406f) / 0.225f, offset(1e-5f));
  }

  @Test @DisplayName("A larger image is shrunk by area averaging: an 8x8 checkerboard of 0 and 255 becomes uniform mid-gray at 4x4")
  void areaResize(@TempDir Path dir) throws Exception {
    BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) img.getRaster().setSample(x, y, 0, (x + y) % 2 == 0 ? 255 : 0);
    Path f = dir.resolve("c.png");
    ImageIO.write(img, "png", f.toFile());
    var l = Images.load(f, GRAY).get(0);
    // every 2x2 block holds two 255s and two 0s: mean 0.5 -> normalised 0
    for (float v : l.tensor().toArray()) assertThat(v).isCloseTo(0f, offset(1e-6f));
    assertThat(l.resized()).isTrue();
  }

  @Test @DisplayName("Corrupt image, missing file, .npy with the wrong channels or NaN: one-line InvalidInputException")
  void badInput(@TempDir Path dir) throws Exception {
    Path junk = Files.write(dir.resolve("x.png"), new byte[] {1, 2, 3, 4});
    assertThatThrownBy(() -> Images.load(junk, GRAY)).isInstanceOf(InvalidInputException.class).hasMessageContaining("cannot decode");
    assertThatThrownBy(() -> Images.load(dir.resolve("nope.png"), GRAY)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("no such image");
    Path three = dir.resolve("t.npy");
    Tensor.zeros(3, 4, 4).writeNpy(three);
    assertThatThrownBy(() -> Images.load(three, GRAY)).isInstanceOf(InvalidInputException.class).hasMessageContaining("3 channels");
    Path nan = dir.resolve("n.npy");
    float[] v = new float[16];
    v[5] = Float.NaN;
    Tensor.of(v, 1, 4, 4).writeNpy(nan);
    assertThatThrownBy(() -> Images.load(nan, GRAY)).isInstanceOf(InvalidInputException.class).hasMessageContaining("non-finite");
  }

  @Test @DisplayName("The jet colour map: 0 is dark blue, 0.5 green-ish, 1 dark red (OpenCV/matplotlib jet end points)")
  void jet() {
    assertThat(Overlay.jet(0)).isEqualTo((0 << 16) | (0 << 8) | 128);
    assertThat(Overlay.jet(1)).isEqualTo((128 << 16));
    assertThat((Overlay.jet(0.5) >> 8) & 255).isEqualTo(255);
  }
}
