package org.xcam.engine.onnx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xcam.api.Tensor;
import org.xcam.api.bundle.Json;

/**
 * The pytorch-grad-cam reference data (phantom-small) copied into this module's test resources (engine-onnx must not
 * depend on the tck module: tck test-depends on the engines). See reference/README.md.
 */
final class Ref {
  private Ref() { }

  static Path dir() {
    try {
      return Path.of(Ref.class.getResource("/reference/README.md").toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static Path bundle() { return dir().resolve("bundle"); }

  static Path onnx() { return bundle().resolve("model.onnx"); }

  /** Input {@code i} as {@code [1, 1, 64, 64]}. */
  static Tensor input(int i) { return Tensor.readNpy(dir().resolve("inputs/" + i + ".npy")).unsqueeze(); }

  static Tensor inputs() {
    List<Tensor> l = new ArrayList<>();
    for (int i = 0; i < 6; i++) l.add(input(i));
    return Tensor.concat(l);
  }

  @SuppressWarnings("unchecked")
  static float[][] logits() {
    try {
      Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(dir().resolve("logits.json")));
      List<Object> l = (List<Object>) m.get("logits");
      float[][] r = new float[l.size()][];
      for (int i = 0; i < r.length; i++) {
        List<Object> v = (List<Object>) ((Map<String, Object>) l.get(i)).get("logits");
        r[i] = new float[v.size()];
        for (int k = 0; k < v.size(); k++) r[i][k] = ((Number) v.get(k)).floatValue();
      }
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The target class pytorch-grad-cam used for input {@code i}. */
  @SuppressWarnings("unchecked")
  static int targetClass(int i) {
    try {
      Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(dir().resolve("inputs/inputs.json")));
      Map<String, Object> e = (Map<String, Object>) ((List<Object>) m.get("inputs")).get(i);
      return ((Number) e.get("target_class")).intValue();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Tensor activation(String layer) { return Tensor.readNpy(dir().resolve("tensors/" + layer + "/0.activation.npy")); }

  static Tensor gradient(String layer) { return Tensor.readNpy(dir().resolve("tensors/" + layer + "/0.gradient.npy")); }

  static Tensor gradCam(String layer, int i) { return Tensor.readNpy(dir().resolve("refs/" + layer + "/GradCAM/" + i + ".npy")); }

  /** {cosine, maxAbsDiff} after dividing both by their maximum absolute value (the README's comparison). */
  static double[] compare(float[] a, float[] b) {
    double ma = 0, mb = 0;
    for (float v : a) ma = Math.max(ma, Math.abs(v));
    for (float v : b) mb = Math.max(mb, Math.abs(v));
    if (ma == 0 && mb == 0) return new double[] {1, 0};
    if (ma == 0 || mb == 0) return new double[] {0, 1};
    double dot = 0, na = 0, nb = 0, diff = 0;
    for (int i = 0; i < a.length; i++) {
      double x = a[i] / ma, y = b[i] / mb;
      dot += x * y;
      na += x * x;
      nb += y * y;
      diff = Math.max(diff, Math.abs(x - y));
    }
    return new double[] {dot / Math.sqrt(na * nb), diff};
  }
}
