package org.xcam.runtime.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xcam.api.InputSpec;
import org.xcam.api.InvalidInputException;
import org.xcam.api.image.DecodedImage;
import org.xcam.api.image.ImageReadOptions;
import org.xcam.api.image.ImageSource;
import org.xcam.runtime.ImageReaders;
import org.xcam.runtime.Images;
import org.xcam.runtime.LoadedImage;

/**
 * Issue 19, "decoded right, or refused": every odd file of {@code tools/fixtures/odd_images.py} against the same
 * picture saved as a plain 8-bit PNG. The references are written by that script (numpy, by hand), not by the code
 * under test. Before the fix, the 1/2/4-bit files read near-black, the inverted palette read as its indices (the
 * inverted picture), the CMYK JPEG read as three of its four bands (black), and the truncated JPEG was accepted.
 */
class DecodeRightTest {
  static final InputSpec GRAY = new InputSpec(1, 48, 64, new float[] {0f}, new float[] {1f});
  static final InputSpec RGB = new InputSpec(3, 48, 64, new float[] {0f, 0f, 0f}, new float[] {1f, 1f, 1f});

  static Path odd(String name) {
    try {
      return Path.of(DecodeRightTest.class.getResource("/org/xcam/runtime/odd/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static float[] load(String name, InputSpec spec) { return Images.load(odd(name), spec).get(0).tensor().toArray(); }

  @ParameterizedTest(name = "{0} decodes to exactly the pixels of {1}")
  @CsvSource({"gray1.png, gray1.ref.png", "gray2.png, gray2.ref.png", "gray4.png, gray4.ref.png", "gray16.png, gray16.ref.png",
      "gray8-adam7.png, gray8.ref.png", "gray-alpha.png, gray8.ref.png", "palette-inverted.png, gray8.ref.png"})
  void grayLayouts(String file, String ref) {
    assertThat(load(file, GRAY)).containsExactly(load(ref, GRAY));
  }

  @ParameterizedTest(name = "{0} decodes to exactly the pixels of {1} (RGB)")
  @CsvSource({"palette2-colour.png, palette2-colour.ref.png", "rgb16.png, rgb8.ref.png"})
  void colourLayouts(String file, String ref) {
    assertThat(load(file, RGB)).containsExactly(load(ref, RGB));
  }

  @Test @DisplayName("The 2-bit file is not read as near-black: its brightest pixel is 1.0, as a viewer shows it")
  void lowBitDepthIsNotDark() {
    float max = 0;
    for (float v : load("gray2.png", GRAY)) max = Math.max(max, v);
    assertThat(max).isEqualTo(1f);
  }

  @ParameterizedTest(name = "{0} (4 bands) decodes through its colour model to the gray picture, within JPEG error")
  @CsvSource({"cmyk.jpg", "ycck.jpg"})
  void cmykAndYcck(String file) {
    float[] got = load(file, GRAY), ref = load("gray8.ref.png", GRAY);
    double sum = 0, max = 0;
    for (int i = 0; i < ref.length; i++) {
      double d = Math.abs(got[i] - ref[i]);
      sum += d;
      max = Math.max(max, d);
    }
    // q95 JPEG of a smooth ramp: a few grey levels; three CMYK bands read as RGB would give ~0.6 mean error (black).
    assertThat(sum / ref.length).as("mean abs error").isLessThan(3 / 255.0);
    assertThat(max).as("max abs error").isLessThan(24 / 255.0);
  }

  @Test @DisplayName("A truncated JPEG is refused in one line that says it is truncated (the decoder would fill grey)")
  void truncatedJpeg() {
    assertThatThrownBy(() -> Images.load(odd("truncated.jpg"), GRAY)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("truncated.jpg").hasMessageContaining("truncated or corrupt")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test @DisplayName("A truncated PNG is refused in one line naming the file")
  void truncatedPng() {
    assertThatThrownBy(() -> Images.load(odd("truncated.png"), GRAY)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("truncated.png").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test @DisplayName("A PNG whose palette was damaged (CRC mismatch) is refused, not decoded to other grey levels")
  void damagedPalette(@TempDir Path dir) throws IOException {
    byte[] b = Files.readAllBytes(odd("palette-inverted.png"));
    int plte = new String(b, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("PLTE");
    b[plte + 4 + 30] ^= 0x55;   // one palette entry changed, CRC left as it was
    Path f = Files.write(dir.resolve("damaged.png"), b);
    assertThatThrownBy(() -> Images.load(f, GRAY)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("damaged.png").hasMessageContaining("CRC mismatch in its PLTE chunk");
  }

  @Test @DisplayName("The reader is chosen by content: a PNG named .jpg and a file without extension are read as PNG")
  void chosenByContent(@TempDir Path dir) throws IOException {
    Path a = Files.copy(odd("gray4.png"), dir.resolve("mislabelled.jpg"));
    Path b = Files.copy(odd("gray4.png"), dir.resolve("noextension"));
    assertThat(Images.load(a, GRAY).get(0).tensor().toArray()).containsExactly(load("gray4.ref.png", GRAY));
    assertThat(Images.load(b, GRAY).get(0).stem()).isEqualTo("noextension");
  }

  @Test @DisplayName("Bytes with a name decode like the file (the Spark entry point)")
  void fromBytes() throws IOException {
    byte[] bytes = Files.readAllBytes(odd("palette-inverted.png"));
    LoadedImage li = Images.load("hdfs://nn/data/palette-inverted.png", bytes, GRAY, Map.of()).get(0);
    assertThat(li.stem()).isEqualTo("palette-inverted");
    assertThat(li.tensor().toArray()).containsExactly(load("gray8.ref.png", GRAY));
  }

  @Test @DisplayName("A file no reader knows is refused in one line listing the readers")
  void unknownFormat(@TempDir Path dir) throws IOException {
    Path f = Files.writeString(dir.resolve("notes.txt"), "hello");
    assertThatThrownBy(() -> Images.load(f, GRAY)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("notes.txt").hasMessageContaining("no installed image reader").hasMessageContaining(".png");
    Path empty = Files.write(dir.resolve("empty.png"), new byte[0]);
    assertThatThrownBy(() -> Images.load(empty, GRAY)).isInstanceOf(InvalidInputException.class).hasMessageContaining("empty.png");
  }

  @Nested @DisplayName("Memory: the decode's need is estimated from the header, before any pixel is decoded")
  class Memory {
    /** A PNG of w x h 8-bit gray pixels, all {@code value}, streamed (never held in memory). */
    Path hugePng(Path dir, int w, int h, int value) throws IOException {
      Path f = dir.resolve("huge-" + w + "x" + h + ".png");
      try (OutputStream out = Files.newOutputStream(f)) {
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        writeChunk(out, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 0).put((byte) 0)
            .put((byte) 0).put((byte) 0).array());
        java.io.ByteArrayOutputStream idat = new java.io.ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(idat, new Deflater(9), 1 << 16)) {
          byte[] row = new byte[w + 1];
          java.util.Arrays.fill(row, 1, row.length, (byte) value);
          for (int y = 0; y < h; y++) z.write(row);
        }
        writeChunk(out, "IDAT", idat.toByteArray());
        writeChunk(out, "IEND", new byte[0]);
      }
      return f;
    }

    void writeChunk(OutputStream out, String type, byte[] data) throws IOException {
      out.write(ByteBuffer.allocate(4).putInt(data.length).array());
      byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      out.write(t);
      out.write(data);
      CRC32 crc = new CRC32();
      crc.update(t);
      crc.update(data);
      out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    @Test @DisplayName("Over the budget, a PNG is decoded subsampled, never below the model's size, and a note says so")
    void subsampledToFit(@TempDir Path dir) throws IOException {
      Path f = hugePng(dir, 2000, 1600, 128);
      // a full decode needs 2000*1600*(2+12) bytes = 44.8 MB; allow 4 MB: subsampling 4 gives 500x400 = 2.8 MB
      ImageReadOptions o = new ImageReadOptions(48, 64, 4L << 20, Map.of());
      DecodedImage d = ImageReaders.installed().read(ImageSource.of(f), o).get(0);
      assertThat(d.width()).isEqualTo(500);
      assertThat(d.height()).isEqualTo(400);
      assertThat(d.sourceWidth()).isEqualTo(2000);
      assertThat(d.notes().toString()).contains("decoded 1 in 4 rows and columns (2000x1600 -> 500x400)");
      for (float v : d.pixels().toArray()) assertThat(v).isEqualTo((float) (128 / 255.0));
    }

    @Test @DisplayName("When even the model's input size does not fit, the file is refused in one line, not an OutOfMemoryError")
    void refusedWhenNothingFits(@TempDir Path dir) throws IOException {
      Path f = hugePng(dir, 2000, 1600, 7);
      ImageReadOptions o = new ImageReadOptions(1600, 2000, 4L << 20, Map.of());
      assertThatThrownBy(() -> ImageReaders.installed().read(ImageSource.of(f), o)).isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("2000x1600").hasMessageContaining("-Xmx");
    }

    @Test @DisplayName("A .npy whose header promises more than the budget is refused before its data is converted")
    void npyOverBudget(@TempDir Path dir) throws IOException {
      Path f = dir.resolve("big.npy");
      org.xcam.api.Tensor.zeros(1, 1, 512, 512).writeNpy(f);
      ImageReadOptions o = new ImageReadOptions(0, 0, 1L << 20, Map.of());
      assertThatThrownBy(() -> ImageReaders.installed().read(ImageSource.of(f), o)).isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("big.npy").hasMessageContaining("-Xmx");
    }
  }

  @Test @DisplayName("A .npy holding no images (N = 0) is refused in one line")
  void emptyNpy(@TempDir Path dir) {
    Path f = dir.resolve("none.npy");
    org.xcam.api.Tensor.zeros(0, 1, 48, 64).writeNpy(f);
    assertThatThrownBy(() -> Images.load(f, GRAY)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("none.npy holds no images");
  }

  @Test @DisplayName("The installed readers are png, jpeg and npy (DICOM comes with its plugin jar)")
  void installed() {
    assertThat(ImageReaders.installed().all().stream().map(org.xcam.api.spi.ImageReader::name).toList())
        .contains("png", "jpeg", "npy");
    List<String> notes = Images.load(odd("palette-inverted.png"), GRAY).get(0).notes();
    assertThat(notes.toString()).contains("palette of 256 gray levels expanded");
  }
}
