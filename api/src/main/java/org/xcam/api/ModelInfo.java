package org.xcam.api;

import java.util.List;
import java.util.Map;

/**
 * What a loaded model is: its name, task, labels, input spec, cut layers (with activation shapes) and default layer.
 *
 * @param name         the model's name (bundle manifest {@code name}, or the file name)
 * @param task         what the outputs mean
 * @param labels       one label per output (size K)
 * @param input        what the model takes
 * @param layers       the layers a method can cut at, in network order; {@code input} is implied and not listed
 * @param defaultLayer the layer used when none is given (usually the last convolutional block)
 * @param source       where the model was loaded from (a path)
 * @param engine       the name of the engine that runs it
 * @param extra        manifest fields engines and plugins may read (e.g. anatomy region names); never null
 * @param outputs      what the outputs are: logits (default) or probabilities (the model applies sigmoid/softmax)
 */
public record ModelInfo(String name, Task task, List<String> labels, InputSpec input, List<LayerInfo> layers,
                        String defaultLayer, String source, String engine, Map<String, Object> extra, OutputKind outputs) {
  /** {@link ModelInfo#extra} key under which an engine says why it offers no layer to cut at (shown by {@code xcam layers}). */
  public static final String NO_LAYERS_REASON = "noLayersReason";
  /**
   * {@link ModelInfo#extra} (and bundle manifest) key under which an engine or the exporter says why the default layer
   * is not the last one (e.g. a ViT head that reads only the class token; shown by {@code xcam layers}).
   */
  public static final String DEFAULT_LAYER_REASON = "defaultLayerReason";

  public ModelInfo {
    labels = List.copyOf(labels);
    layers = List.copyOf(layers);
    extra = extra == null ? Map.of() : Map.copyOf(extra);
    outputs = outputs == null ? OutputKind.LOGITS : outputs;
  }

  /** A model whose outputs are logits. */
  public ModelInfo(String name, Task task, List<String> labels, InputSpec input, List<LayerInfo> layers,
                   String defaultLayer, String source, String engine, Map<String, Object> extra) {
    this(name, task, labels, input, layers, defaultLayer, source, engine, extra, OutputKind.LOGITS);
  }

  /** True when the outputs are probabilities (the model applies sigmoid or softmax itself). */
  public boolean outputsProbabilities() { return outputs == OutputKind.PROBABILITIES; }

  /** What one output is called: {@code logit}, {@code probability}, or {@code output} for regression. */
  public String outputNoun() {
    if (task == Task.REGRESSION) return "output";
    return outputsProbabilities() ? "probability" : "logit";
  }

  public int numOutputs() { return labels.size(); }

  /** The layer with that name ({@code input} included), or {@link UnknownNameException} listing the layers. */
  public LayerInfo layer(String layerName) {
    if (LayerInfo.INPUT.equals(layerName)) {
      return new LayerInfo(LayerInfo.INPUT, new int[] {input.channels(), input.height(), input.width()});
    }
    for (LayerInfo l : layers) if (l.name().equals(layerName)) return l;
    throw UnknownNameException.of("layer", layerName, layerNames(), "list them with: xcam layers --model " + source);
  }

  public List<String> layerNames() { return layers.stream().map(LayerInfo::name).toList(); }

  /** The label of output {@code k}, or {@code "class k"}. */
  public String label(int k) { return k >= 0 && k < labels.size() ? labels.get(k) : "class " + k; }
}
