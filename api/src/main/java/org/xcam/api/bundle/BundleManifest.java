package org.xcam.api.bundle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xcam.api.InputSpec;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerLayout;
import org.xcam.api.ModelLoadException;
import org.xcam.api.OutputKind;
import org.xcam.api.Task;

/**
 * The manifest {@code xcam-model.json} of an {@code xcam-bundle/1} directory (see docs/model-bundle.md), read and
 * checked against the files beside it. Engines share it so that every engine reads a bundle the same way.
 *
 * <pre>{@code
 * BundleManifest m = BundleManifest.read(Path.of("models/phantom-cxr"));
 * m.checkTorchScriptFiles();      // model.pt and layers/<L>.head.pt / .tail.pt exist
 * InputSpec in = m.input();
 * }</pre>
 */
public record BundleManifest(Path dir, String name, Task task, List<String> labels, InputSpec input,
                             List<String> layers, String defaultLayer, Map<String, String> onnx,
                             Map<String, Object> raw) {
  public static final String FILE = "xcam-model.json";
  public static final String FORMAT = "xcam-bundle/1";

  /** True when {@code path} is a directory holding a manifest. */
  public static boolean isBundle(Path path) {
    return Files.isDirectory(path) && Files.isRegularFile(path.resolve(FILE));
  }

  /** Reads and checks the manifest of the bundle directory {@code dir}. */
  @SuppressWarnings("unchecked")
  public static BundleManifest read(Path dir) {
    Path f = dir.resolve(FILE);
    if (!Files.isDirectory(dir)) throw new ModelLoadException("model path " + dir + " does not exist or is not a bundle directory");
    if (!Files.isRegularFile(f)) {
      throw new ModelLoadException("bundle " + dir + " has no " + FILE + "; export one with tools/export_bundle.py");
    }
    Map<String, Object> m;
    try {
      Object o = Json.parse(Files.readString(f));
      if (!(o instanceof Map)) throw new InvalidInputException("top level is not an object");
      m = (Map<String, Object>) o;
    } catch (IOException | InvalidInputException e) {
      throw new ModelLoadException("bundle manifest " + f + " is not valid JSON (" + e.getMessage() + "); re-export the bundle", e);
    }
    String where = "bundle manifest " + f;
    Object format = m.get("format");
    if (!FORMAT.equals(format)) {
      throw new ModelLoadException(where + " has format " + format + ", expected \"" + FORMAT + "\"; re-export with tools/export_bundle.py");
    }
    String name = str(m, "name", where);
    Task task;
    try {
      task = Task.fromId(str(m, "task", where));
    } catch (InvalidInputException e) {
      throw new ModelLoadException(where + ": " + e.getMessage());
    }
    List<String> labels = strings(m.get("labels"), "labels", where);
    if (labels.isEmpty()) throw new ModelLoadException(where + " lists no labels");
    Map<String, Object> in = (Map<String, Object>) require(m, "input", where);
    int c = intOf(in.get("channels"), "input.channels", where);
    int h = intOf(in.get("height"), "input.height", where);
    int w = intOf(in.get("width"), "input.width", where);
    float[] mean = floats(in.getOrDefault("mean", fill(c, 0)), "input.mean", where);
    float[] std = floats(in.getOrDefault("std", fill(c, 1)), "input.std", where);
    InputSpec spec;
    try {
      spec = new InputSpec(c, h, w, mean, std);
    } catch (InvalidInputException e) {
      throw new ModelLoadException(where + ": " + e.getMessage());
    }
    List<String> layers = strings(m.getOrDefault("layers", List.of()), "layers", where);
    String def = m.get("defaultLayer") instanceof String s ? s : (layers.isEmpty() ? null : layers.get(layers.size() - 1));
    if (def != null && !layers.contains(def)) {
      throw new ModelLoadException(where + ": defaultLayer '" + def + "' is not among layers " + layers + "; fix the manifest");
    }
    Map<String, String> onnx = new LinkedHashMap<>();
    if (m.get("onnx") instanceof Map<?, ?> om) {
      for (Map.Entry<?, ?> e : om.entrySet()) onnx.put(String.valueOf(e.getKey()), String.valueOf(e.getValue()));
    }
    if (m.containsKey("layouts")) {
      if (!(m.get("layouts") instanceof Map<?, ?> lm)) throw new ModelLoadException(where + ": \"layouts\" must map layer names to layouts");
      for (Map.Entry<?, ?> e : lm.entrySet()) {
        if (!layers.contains(String.valueOf(e.getKey()))) {
          throw new ModelLoadException(where + ": \"layouts\" names '" + e.getKey() + "', which is not among layers " + layers);
        }
        try {
          LayerLayout.Kind.of(String.valueOf(e.getValue()).split(":")[0]);
        } catch (InvalidInputException x) {
          throw new ModelLoadException(where + ": layer '" + e.getKey() + "': " + x.getMessage());
        }
      }
    }
    if (m.containsKey("outputs")) {
      if (!(m.get("outputs") instanceof String o)) throw new ModelLoadException(where + ": \"outputs\" must be \"logits\" or \"probabilities\"");
      OutputKind kind;
      try {
        kind = OutputKind.fromId(o);
      } catch (InvalidInputException e) {
        throw new ModelLoadException(where + ": " + e.getMessage());
      }
      if (kind == OutputKind.PROBABILITIES && task == Task.REGRESSION) {
        throw new ModelLoadException(where + ": a regression model's outputs are used as they are; drop \"outputs\": \"probabilities\"");
      }
    }
    return new BundleManifest(dir, name, task, labels, spec, layers, def, onnx, m);
  }

  /** What the outputs are (manifest {@code "outputs"}): {@code logits} (default) or {@code probabilities}. */
  public OutputKind outputs() {
    return raw.get("outputs") instanceof String o ? OutputKind.fromId(o) : OutputKind.LOGITS;
  }

  /** The manifest's layout spec per layer ({@code "layouts"}, e.g. {@code "blocks.3": "tokens:1:8x8"}); absent ones are not listed. */
  public Map<String, String> layouts() {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw.get("layouts") instanceof Map<?, ?> lm) for (Map.Entry<?, ?> e : lm.entrySet()) out.put(String.valueOf(e.getKey()), String.valueOf(e.getValue()));
    return out;
  }

  /**
   * The layout of {@code layer} whose head returns rows of {@code rawShape} (without the batch axis): the manifest's
   * {@code "layouts"} entry when there is one; otherwise channels-first for {@code [C, h, w]} (bundles before
   * layouts), tokens when a {@code [T, D]} shape leaves a square grid after 0-4 prefix tokens, else channels-first.
   * A declared layout that does not fit the shape fails with the reason.
   */
  public LayerLayout layout(String layer, int[] rawShape) {
    String spec = layouts().get(layer);
    if (spec == null) return LayerLayout.inferTokens(rawShape).orElseGet(() -> LayerLayout.channelsFirst(rawShape));
    try {
      return LayerLayout.of(spec, rawShape);
    } catch (InvalidInputException e) {
      throw new ModelLoadException("bundle manifest " + dir.resolve(FILE) + ": layer '" + layer + "': " + e.getMessage() + "; fix \"layouts\"");
    }
  }

  /** Checks that {@code model.pt} and every layer's head and tail TorchScript file exist and are not empty. */
  public void checkTorchScriptFiles() {
    List<String> missing = new ArrayList<>();
    checkFile(dir.resolve("model.pt"), missing);
    for (String l : layers) {
      checkFile(headFile(l), missing);
      checkFile(tailFile(l), missing);
    }
    if (!missing.isEmpty()) {
      throw new ModelLoadException("bundle " + dir + " lacks files the manifest promises: " + String.join(", ", missing)
          + "; re-export it with tools/export_bundle.py");
    }
  }

  private void checkFile(Path p, List<String> missing) {
    try {
      if (!Files.isRegularFile(p) || Files.size(p) == 0) missing.add(dir.relativize(p).toString());
    } catch (IOException e) {
      missing.add(dir.relativize(p).toString());
    }
  }

  public Path modelPt() { return dir.resolve("model.pt"); }
  public Path modelOnnx() { return dir.resolve("model.onnx"); }
  public Path headFile(String layer) { return dir.resolve("layers").resolve(layer + ".head.pt"); }
  public Path tailFile(String layer) { return dir.resolve("layers").resolve(layer + ".tail.pt"); }

  /** Manifest fields not interpreted here (for plugins, e.g. anatomy regions). */
  public Map<String, Object> extra() {
    Map<String, Object> e = new LinkedHashMap<>(raw);
    for (String k : List.of("format", "name", "task", "labels", "input", "layers", "defaultLayer", "onnx", "outputs", "layouts")) e.remove(k);
    return e;
  }

  private static Object require(Map<String, Object> m, String key, String where) {
    Object v = m.get(key);
    if (v == null) throw new ModelLoadException(where + " lacks \"" + key + "\"; see docs/model-bundle.md");
    return v;
  }

  private static String str(Map<String, Object> m, String key, String where) {
    Object v = require(m, key, where);
    if (!(v instanceof String s)) throw new ModelLoadException(where + ": \"" + key + "\" must be a string");
    return s;
  }

  private static List<String> strings(Object v, String key, String where) {
    if (!(v instanceof List<?> l)) throw new ModelLoadException(where + ": \"" + key + "\" must be a list of strings");
    List<String> out = new ArrayList<>();
    for (Object o : l) out.add(String.valueOf(o));
    return out;
  }

  private static int intOf(Object v, String key, String where) {
    if (!(v instanceof Number n)) throw new ModelLoadException(where + ": \"" + key + "\" must be a number");
    return n.intValue();
  }

  private static float[] floats(Object v, String key, String where) {
    if (!(v instanceof List<?> l)) throw new ModelLoadException(where + ": \"" + key + "\" must be a list of numbers");
    float[] f = new float[l.size()];
    for (int k = 0; k < f.length; k++) {
      if (!(l.get(k) instanceof Number n)) throw new ModelLoadException(where + ": \"" + key + "\" must be a list of numbers");
      f[k] = n.floatValue();
    }
    return f;
  }

  private static List<Object> fill(int n, double v) {
    List<Object> l = new ArrayList<>();
    for (int k = 0; k < n; k++) l.add(v);
    return l;
  }
}
