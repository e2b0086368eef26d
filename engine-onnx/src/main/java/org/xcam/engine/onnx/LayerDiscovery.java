package org.xcam.engine.onnx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xcam.api.InputSpec;
import org.xcam.api.LayerLayout;
import org.xcam.engine.onnx.proto.OnnxProto.NodeProto;

/**
 * How a plain ONNX file's transformer layers are found: the layout of a tensor from its shape, and the module outputs
 * (block outputs) from the node names {@code torch.onnx.export} writes ({@code /blocks.2/Add_1}: the node's module
 * scopes, each the module's full path).
 */
final class LayerDiscovery {
  private LayerDiscovery() { }

  /**
   * The layout a tensor's shape (without the batch axis) implies, for an image input {@code in}:
   * <ul>
   *   <li>{@code [T, D]} with T = P + g*g for one P in 0..4 and g >= 2: tokens ({@link LayerLayout#inferTokens});</li>
   *   <li>{@code [a, b, c]} where a x b has the input's aspect ratio and divides it, and b x c does not have it:
   *       channels-last {@code [h, w, C]} (Swin, ConvNeXt stages);</li>
   *   <li>anything else: channels-first (a square map with as many channels as rows, e.g. [16, 16, 16], is read as
   *       channels-first; engine option {@code layout.<layer>=channels-last} says otherwise).</li>
   * </ul>
   */
  static LayerLayout infer(int[] raw, InputSpec in) {
    if (raw.length == 2) return LayerLayout.inferTokens(raw).orElseGet(() -> LayerLayout.channelsFirst(raw));
    if (raw.length == 3) {
      int a = raw[0], b = raw[1], c = raw[2];
      boolean lastSpatial = (long) a * in.width() == (long) b * in.height() && a > 1 && in.height() % a == 0 && in.width() % b == 0;
      boolean firstSpatial = (long) b * in.width() == (long) c * in.height() && in.height() % b == 0 && in.width() % c == 0;
      if (lastSpatial && !firstSpatial) return LayerLayout.channelsLast(a, b, c);
    }
    return LayerLayout.channelsFirst(raw);
  }

  /**
   * Tensor -> module name, for tensors that leave a module's scope: a tensor produced inside {@code /a/a.b/} and read
   * outside it (or a graph output) is that module's output. The name is the outermost indexed module (a stage or a
   * block: its name ends with a digit) it is the output of, else the innermost module: Swin's
   * {@code /features/features.1/features.1.1/Add_1} output leaves {@code features.1.1}, {@code features.1} and
   * ({@code features.3}'s, read by the final norm) {@code features}, and is named {@code features.1}; ViT's
   * {@code /blocks.2/Add_1} is {@code blocks.2}. When several tensors leave one scope the last produced is its output.
   */
  static Map<String, String> moduleOutputs(OnnxGraph graph) {
    Map<String, List<String>> consumers = new HashMap<>();
    for (NodeProto n : graph.nodes) {
      for (String i : OnnxGraph.allInputs(n)) if (!i.isEmpty()) consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n.getName());
    }
    List<String> outs = graph.outputNames();
    Map<String, String> byModule = new LinkedHashMap<>();
    for (NodeProto n : graph.nodes) {
      String name = n.getName();
      if (!name.startsWith("/")) continue;
      String[] parts = name.substring(1).split("/");
      if (parts.length < 2) continue;
      for (String t : n.getOutputList()) {
        if (t.isEmpty()) continue;
        List<String> cs = consumers.getOrDefault(t, List.of());
        StringBuilder prefix = new StringBuilder("/");
        String module = "";
        String outermostIndexed = null, innermost = null;
        for (int d = 0; d < parts.length - 1; d++) {
          prefix.append(parts[d]).append('/');
          // scopes are full paths for container children (features/features.1) and attribute names otherwise (blocks.2/attn)
          module = module.isEmpty() || parts[d].startsWith(module + ".") ? parts[d] : module + "." + parts[d];
          String p = prefix.toString();
          boolean leaves = outs.contains(t) || cs.stream().anyMatch(c -> !c.startsWith(p));
          if (leaves) {
            if (outermostIndexed == null && Character.isDigit(module.charAt(module.length() - 1))) outermostIndexed = module;
            innermost = module;
          }
        }
        String chosen = outermostIndexed != null ? outermostIndexed : innermost;
        if (chosen != null) {
          byModule.remove(chosen);           // keep insertion order = production order of the module's output
          byModule.put(chosen, t);
        }
      }
    }
    Map<String, String> r = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : byModule.entrySet()) r.put(e.getValue(), e.getKey());
    return r;
  }
}
