package org.xcam.engine.onnx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xcam.api.BackwardRule;
import org.xcam.engine.onnx.proto.OnnxProto.NodeProto;
import org.xcam.engine.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * Backward graphs with swapped rules ({@link BackwardRule}), built by {@link Autodiff} with a
 * {@link Autodiff.RuleOverride}: the reverse rules themselves are untouched, these only replace them at some nodes.
 *
 * <ul>
 *   <li>{@link BackwardRule#GUIDED_RELU}: at every Relu the gradient passed down is {@code max(g, 0)} where the
 *       output is positive (Captum's {@code GuidedBackprop}, which hooks {@code nn.ReLU} modules: ONNX keeps no
 *       module boundaries, so every Relu node is guided, functional ReLUs included). Everything else, max-pooling
 *       included, back-propagates normally.</li>
 *   <li>{@link BackwardRule#DEEPLIFT_RESCALE}: the tail runs twice, on the activation and on the reference (a renamed
 *       copy of every node that depends on the layer, {@code xcam_ref/...}); at every Relu, LeakyRelu, Sigmoid and
 *       Tanh the multiplier is {@code g (f(x) - f(x0)) / (x - x0)}, the ordinary gradient where
 *       {@code |x - x0| < 1e-10} (Captum's {@code nonlinear} rule, eps 1e-10). Max-pooling, softmax and every other
 *       operator take their ordinary gradient at {@code x}: for a MaxPool that follows a ReLU that is what Captum's
 *       DeepLift effectively computes (its ReLU hook reads the output gradient before its max-pool rule rewrites it);
 *       for a Softmax Captum would apply its own softmax rule, which is not implemented here.</li>
 * </ul>
 */
final class SwappedRules {
  static final String REF = "xcam_ref/";
  private static final Set<String> RESCALED = Set.of("Relu", "LeakyRelu", "Sigmoid", "Tanh");

  private SwappedRules() { }

  /** The two-session graph of a rule at a layer: inputs the activation (and its reference), seed dY; outputs y, (y0), grad. */
  static TwoPhase build(OnnxModel m, String layer, String tensor, List<Integer> tailNodes, BackwardRule rule,
                        ValueInfoProto layerInfo, ValueInfoProto outputInfo, ValueInfoProto seedInfo, String gradIn, String gradOut) {
    String out = m.graph.outputName();
    Set<String> active = Autodiff.active(m.graph, tailNodes, tensor, m.types);
    Autodiff.RuleOverride o = rule == BackwardRule.GUIDED_RELU ? SwappedRules::guided : (n, g, act, ad) -> deepLift(n, g, act, ad, active);
    Autodiff.Extended x = Autodiff.build(m.graph, tailNodes, tensor, out, gradIn, m.shapes, m.types, m.batchDep, layer,
        new Autodiff.Options(List.of(), o));
    Autodiff.Result r = x.result();
    List<NodeProto> fwd = new ArrayList<>(r.forward());
    List<ValueInfoProto> fwdIn = new ArrayList<>(List.of(layerInfo));
    List<ValueInfoProto> fwdOut = new ArrayList<>(List.of(outputInfo));
    if (rule == BackwardRule.DEEPLIFT_RESCALE) {
      for (NodeProto n : r.forward()) {
        boolean on = false;
        for (String in : OnnxGraph.allInputs(n)) on |= active.contains(in);
        if (!on) continue;
        NodeProto.Builder b = n.toBuilder().clearInput().clearOutput().setName(REF + n.getName());
        for (String in : n.getInputList()) b.addInput(active.contains(in) ? REF + in : in);
        for (String o2 : n.getOutputList()) b.addOutput(o2.isEmpty() ? o2 : REF + o2);
        fwd.add(b.build());
      }
      fwdIn.add(layerInfo.toBuilder().setName(REF + tensor).build());
      fwdOut.add(outputInfo.toBuilder().setName(REF + out).build());
    }
    List<NodeProto> bwd = new ArrayList<>(r.backward());
    bwd.add(NodeProto.newBuilder().setOpType("Identity").setName(gradOut).addInput(r.gradName()).addOutput(gradOut).build());
    Map<String, Integer> types = new HashMap<>(m.types);
    types.putAll(r.tapeTypes());
    for (Map.Entry<String, Integer> e : new ArrayList<>(types.entrySet())) types.put(REF + e.getKey(), e.getValue());
    return TwoPhase.build(m, rule.name().toLowerCase(java.util.Locale.ROOT) + " backward graph of layer '" + layer + "'", fwd, bwd,
        r.constants(), r.opset(), fwdIn, fwdOut, List.of(seedInfo), List.of(OnnxGraph.floatInfo(gradOut, dims(layerInfo), "batch")), types);
  }

  private static long[] dims(ValueInfoProto v) {
    var d = v.getType().getTensorType().getShape().getDimList();
    long[] r = new long[d.size()];
    for (int i = 0; i < r.length; i++) r[i] = d.get(i).hasDimValue() ? d.get(i).getDimValue() : -1;
    return r;
  }

  /** Guided ReLU: {@code max(g, 0)} where the ReLU's output is positive. */
  private static Map<Integer, String> guided(NodeProto n, String g, List<Integer> act, Autodiff ad) {
    if (!n.getOpType().equals("Relu")) return null;
    String zero = ad.constant(0f);
    return Map.of(0, ad.emitNode("Where", ad.emitNode("Greater", n.getOutput(0), zero), ad.emitNode("Relu", g), zero));
  }

  /** DeepLift's rescale rule at elementwise nonlinearities, against the reference pass. */
  private static Map<Integer, String> deepLift(NodeProto n, String g, List<Integer> act, Autodiff ad, Set<String> active) {
    if (!RESCALED.contains(n.getOpType()) || !act.contains(0)) return null;
    String x = n.getInput(0), y = n.getOutput(0);
    String x0 = active.contains(x) ? REF + x : x, y0 = active.contains(y) ? REF + y : y;
    String zero = ad.constant(0f), one = ad.constant(1f);
    String derivative = switch (n.getOpType()) { // the ordinary gradient g f'(x)
      case "Relu" -> ad.emitNode("Where", ad.emitNode("Greater", y, zero), g, zero);
      case "LeakyRelu" -> {
        float alpha = OnnxGraph.attrFloat(n, "alpha", 0.01f);
        yield ad.emitNode("Where", ad.emitNode("Greater", x, zero), g, ad.emitNode("Mul", g, ad.constant(alpha)));
      }
      case "Sigmoid" -> ad.emitNode("Mul", g, ad.emitNode("Mul", y, ad.emitNode("Sub", one, y)));
      default -> ad.emitNode("Mul", g, ad.emitNode("Sub", one, ad.emitNode("Mul", y, y))); // Tanh
    };
    String dx = ad.emitNode("Sub", x, x0), dy = ad.emitNode("Sub", y, y0);
    String small = ad.emitNode("Less", ad.emitNode("Abs", dx), ad.constant(1e-10f));
    // where |dx| is small the quotient is not taken (Where does not propagate the other branch's inf/NaN)
    String safe = ad.emitNode("Where", small, one, dx);
    return Map.of(0, ad.emitNode("Where", small, derivative, ad.emitNode("Mul", g, ad.emitNode("Div", dy, safe))));
  }
}
