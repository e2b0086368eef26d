package org.xcam.runtime.image;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Tensor;
import org.xcam.api.image.DecodedImage;
import org.xcam.api.image.ImageReadOptions;
import org.xcam.api.image.ImageSource;
import org.xcam.api.spi.ImageReader;

/**
 * NumPy {@code .npy}: a tensor that is already the model's input ({@code [C,H,W]} or {@code [N,C,H,W]}, normalised),
 * used as given. Refused: no images ({@code N = 0}), another rank, non-finite values, and a file that would not fit
 * the memory budget (checked from the header before the data is converted).
 */
public final class NpyReader implements ImageReader {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

  @Override public String name() { return "npy"; }
  @Override public Set<String> extensions() { return Set.of("npy"); }
  @Override public String description() { return "NumPy .npy, [C,H,W] or [N,C,H,W], already normalised (used as given)"; }

  @Override public boolean recognises(byte[] head) {
    return head.length >= MAGIC.length && Arrays.equals(Arrays.copyOf(head, MAGIC.length), MAGIC);
  }

  @Override public List<DecodedImage> read(ImageSource source, ImageReadOptions options) {
    // float32 needs as many bytes as the file's data; other dtypes convert to float32 (at most 4x a u1 file)
    byte[] bytes = source.readAll(options.maxBytes() / 5);
    Tensor t;
    try {
      t = Tensor.readNpy(new ByteArrayInputStream(bytes));
    } catch (InvalidInputException e) {
      throw new InvalidInputException(source.describe() + ": " + e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      throw new InvalidInputException("cannot read " + source.describe() + " as .npy (" + e.getMessage() + "); write it with numpy.save", e);
    } catch (OutOfMemoryError e) {
      throw new InvalidInputException(source.describe() + " does not fit in memory; give the JVM more memory (-Xmx) or a smaller file");
    }
    int[] s = t.shape();
    if (t.rank() == 3) t = t.unsqueeze();
    if (t.rank() != 4) {
      throw new InvalidInputException(source.describe() + " has shape " + Arrays.toString(s) + "; an image .npy must be [C,H,W] or [N,C,H,W]");
    }
    if (t.dim(0) == 0 || t.size() == 0) {
      throw new InvalidInputException(source.describe() + " holds no images (shape " + Arrays.toString(s) + "); give at least one [C,H,W] image");
    }
    int bad = t.firstNonFinite();
    if (bad >= 0) {
      int chw = t.dim(1) * t.dim(2) * t.dim(3), hw = t.dim(2) * t.dim(3);
      throw new InvalidInputException(source.describe() + " contains a non-finite value (" + t.get(bad) + ") at [" + bad / chw + ", "
          + (bad % chw) / hw + ", " + (bad % hw) / t.dim(3) + ", " + bad % t.dim(3) + "] (flat index " + bad + "); fix the tensor");
    }
    List<DecodedImage> out = new ArrayList<>();
    for (int n = 0; n < t.dim(0); n++) {
      Tensor item = t.item(n);
      out.add(new DecodedImage(item, true, item.dim(2), item.dim(1), List.of("npy used as given (already normalised)"),
          Map.of("format", "npy", "shape", Arrays.stream(s).boxed().toList())));
    }
    return out;
  }
}
