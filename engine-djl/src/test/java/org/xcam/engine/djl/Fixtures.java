package org.xcam.engine.djl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.xcam.api.Tensor;
import org.xcam.api.bundle.Json;

/**
 * The pytorch-grad-cam reference data copied into this module's test resources (see reference/README.md there):
 * the phantom-small bundle, its six inputs, the logits model.pt gave in PyTorch, and the activation and gradient of
 * the target logit at both cut layers for input 0. One model instance is shared by the tests of a JVM.
 */
final class Fixtures {
  static final String[] LAYERS = {"features.10", "features.14"};
  private static DjlModel shared;

  private Fixtures() { }

  static Path root() {
    try {
      return Path.of(Fixtures.class.getResource("/reference/phantom-small").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static Path bundle() { return root().resolve("bundle"); }

  /** Input i as [1, 1, 64, 64]. */
  static Tensor input(int i) { return Tensor.readNpy(root().resolve("inputs/" + i + ".npy")).unsqueeze(); }

  /** Inputs as one batch [n, 1, 64, 64]. */
  static Tensor batch(int... idx) {
    List<Tensor> items = new ArrayList<>();
    for (int i : idx) items.add(Tensor.readNpy(root().resolve("inputs/" + i + ".npy")));
    return Tensor.stack(items);
  }

  static Tensor tensor(String relative) { return Tensor.readNpy(root().resolve(relative)); }

  /** logits.json: one row of 3 logits per input, as PyTorch computed them. */
  @SuppressWarnings("unchecked")
  static float[][] logits() {
    Map<String, Object> m = (Map<String, Object>) json("logits.json");
    List<Map<String, Object>> rows = (List<Map<String, Object>>) m.get("logits");
    float[][] out = new float[rows.size()][];
    for (int i = 0; i < rows.size(); i++) {
      List<Number> l = (List<Number>) rows.get(i).get("logits");
      out[i] = new float[l.size()];
      for (int k = 0; k < l.size(); k++) out[i][k] = l.get(k).floatValue();
    }
    return out;
  }

  /** The target class inputs.json names for input i. */
  @SuppressWarnings("unchecked")
  static int targetClass(int i) {
    Map<String, Object> m = (Map<String, Object>) json("inputs/inputs.json");
    List<Map<String, Object>> rows = (List<Map<String, Object>>) m.get("inputs");
    return ((Number) rows.get(i).get("target_class")).intValue();
  }

  static Object json(String relative) {
    try {
      return Json.parse(Files.readString(root().resolve(relative)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static synchronized DjlModel model() {
    if (shared == null) shared = (DjlModel) new DjlEngineProvider().load(bundle(), Map.of());
    return shared;
  }

  /** A writable copy of the bundle in {@code dir} (for breaking it). */
  static Path copyBundle(Path dir) {
    Path src = bundle();
    try (Stream<Path> files = Files.walk(src)) {
      for (Path p : files.toList()) {
        Path t = dir.resolve(src.relativize(p).toString());
        if (Files.isDirectory(p)) Files.createDirectories(t); else Files.copy(p, t);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  /** One-hot [n, k] rows at class c. */
  static Tensor oneHot(int n, int k, int c) {
    float[] v = new float[n * k];
    for (int i = 0; i < n; i++) v[i * k + c] = 1f;
    return Tensor.wrap(v, n, k);
  }

  static double maxAbs(Tensor t) {
    double m = 0;
    for (int i = 0; i < t.size(); i++) m = Math.max(m, Math.abs(t.get(i)));
    return m;
  }

  /** Asserts max |a - b| <= rel * max(1, max |b|). */
  static void assertClose(Tensor actual, Tensor expected, double rel, String what) {
    assertThat(actual.shape()).as(what + " shape").containsExactly(expected.shape());
    double tol = rel * Math.max(1, maxAbs(expected));
    assertThat(actual.maxAbsDiff(expected)).as(what + " max abs diff (tolerance " + tol + ")").isLessThanOrEqualTo(tol);
  }
}
