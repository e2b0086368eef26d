package org.xcam.api.compile;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xcam.api.InvalidInputException;

/**
 * What {@code xcam compile} asks of a {@link org.xcam.api.spi.CompilerProvider}: the model, the methods to build into
 * it, the layer, the target rule and the map size, and where to write the result.
 *
 * <pre>{@code
 * CompileRequest r = CompileRequest.builder(Path.of("bundles/phantom-cxr"), Path.of("phantom.xcam.onnx"))
 *     .methods(List.of("gradcam", "hirescam"))     // each becomes an output xcam_<method>
 *     .target("predicted")                         // predicted (ArgMax in the graph), a class index K, or all
 *     .build();
 * }</pre>
 *
 * @param model         a bundle directory or a model file the compiler can read
 * @param methods       method names, at least one, no duplicates
 * @param layer         the layer every method explains at; null: each method's default (the model's default layer for
 *                      CAMs, {@code input} for input-gradient methods)
 * @param target        {@code predicted}, {@code all} (every output, one map each) or a class index
 * @param size          {@link MapSize#INPUT} (normalised maps at the input's H x W) or {@link MapSize#LAYER}
 *                      (normalised maps at the layer's resolution)
 * @param options       method options ({@code name=value}); each method reads the ones it declares
 * @param engineOptions options for loading the model (e.g. {@code device=cpu})
 * @param out           the file to write; written atomically (nothing is left behind on failure)
 */
public record CompileRequest(Path model, List<String> methods, String layer, String target, MapSize size,
                             Map<String, String> options, Map<String, String> engineOptions, Path out) {
  /** The resolution of the compiled maps. */
  public enum MapSize {
    INPUT, LAYER;

    public static MapSize parse(String s) {
      return switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "input" -> INPUT;
        case "layer" -> LAYER;
        default -> throw new InvalidInputException("bad --size '" + s + "'; use input (the input's H x W) or layer (the layer's resolution)");
      };
    }

    public String id() { return name().toLowerCase(Locale.ROOT); }
  }

  public CompileRequest {
    if (model == null) throw new InvalidInputException("missing model: give a bundle directory or an .onnx file");
    if (out == null) throw new InvalidInputException("missing output file (--out model.xcam.onnx)");
    if (methods == null || methods.isEmpty()) throw new InvalidInputException("no method to compile; name one or more with --method");
    methods = List.copyOf(methods);
    if (methods.stream().distinct().count() != methods.size()) {
      throw new InvalidInputException("method list " + methods + " names a method twice; name each once");
    }
    target = target == null ? "predicted" : target.trim().toLowerCase(Locale.ROOT);
    if (!target.equals("predicted") && !target.equals("all")) {
      try {
        if (Integer.parseInt(target) < 0) throw new NumberFormatException();
      } catch (NumberFormatException e) {
        throw new InvalidInputException("bad compile target '" + target + "'; use predicted, all (every output) or a class index 0, 1, ...");
      }
    }
    size = size == null ? MapSize.INPUT : size;
    options = Map.copyOf(options == null ? Map.of() : options);
    engineOptions = Map.copyOf(engineOptions == null ? Map.of() : engineOptions);
  }

  /** The class index of a fixed target, or -1 for {@code predicted} and {@code all}. */
  public int classIndex() {
    return target.equals("predicted") || target.equals("all") ? -1 : Integer.parseInt(target);
  }

  /** True for {@code all}: one map per output, {@code [N, K, H, W]}. */
  public boolean allOutputs() { return target.equals("all"); }

  public static Builder builder(Path model, Path out) { return new Builder(model, out); }

  public static final class Builder {
    private final Path model;
    private final Path out;
    private List<String> methods = List.of();
    private String layer;
    private String target = "predicted";
    private MapSize size = MapSize.INPUT;
    private final Map<String, String> options = new LinkedHashMap<>();
    private final Map<String, String> engineOptions = new LinkedHashMap<>();

    private Builder(Path model, Path out) {
      this.model = model;
      this.out = out;
    }

    public Builder methods(List<String> m) { this.methods = m; return this; }
    public Builder layer(String l) { this.layer = l; return this; }
    public Builder target(String t) { this.target = t; return this; }
    public Builder size(MapSize s) { this.size = s; return this; }
    public Builder options(Map<String, String> o) { this.options.putAll(o); return this; }
    public Builder engineOptions(Map<String, String> o) { this.engineOptions.putAll(o); return this; }

    public CompileRequest build() {
      return new CompileRequest(model, methods, layer, target, size, options, engineOptions, out);
    }
  }
}
