package org.xcam.engine.onnx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xcam.engine.onnx.proto.OnnxProto.NodeProto;
import org.xcam.engine.onnx.proto.OnnxProto.TensorProto;
import org.xcam.engine.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * The exact Hessian-vector product at a layer as two ONNX graphs (forward-over-reverse, see {@link Tangents}):
 *
 * <ul>
 *   <li>forward part: the tail with the tangents of its tensors along {@code v}: {@code (a, v) -> (y, J v)} plus the
 *       tape (forward tensors the backward reads) and the tape's tangents;</li>
 *   <li>backward part: the generated backward graph with its own tangents: {@code (tape, tangents, s, s') ->
 *       (J^T s, H v)}, where {@code s} is the seed and {@code s' = (ds/dy)(J v)} its tangent, both from Java.</li>
 * </ul>
 *
 * The tangent of {@code J^T s} is {@code (dJ^T/da . v) s + J^T s'}: the Hessian of the objective through the tail
 * along {@code v}, the objective's own curvature included through {@code s'}.
 */
final class HessianVectorGraph {
  static final String V = "xcam::v";
  static final String JV = "xcam::Jv";
  static final String SEED_TANGENT = "xcam::dY_t";
  static final String HV = "xcam::Hv";
  private static final String TAN_IN = "xcam_tan_in/";

  private HessianVectorGraph() { }

  static TwoPhase build(OnnxModel m, String layer, String tensor, Autodiff.Result r, ValueInfoProto layerInfo,
                        ValueInfoProto outputInfo, ValueInfoProto seedInfo, String gradIn, String gradOut) {
    String out = m.graph.outputName();
    // forward part
    NodeEmitter fe = new NodeEmitter("xcam_tanf/", r.opset());
    Map<String, String> ft = Tangents.emit(r.forward(), Map.of(tensor, V), fe, m.shapes, m.graph, layer);
    List<NodeProto> fwd = new ArrayList<>(r.forward());
    fwd.addAll(fe.nodes);
    fwd.add(identity(ft.containsKey(out) ? ft.get(out) : zeros(fe, fwd, out), JV));
    List<ValueInfoProto> fwdIn = List.of(layerInfo, OnnxGraph.floatInfo(V, dims(layerInfo), "batch"));
    List<ValueInfoProto> fwdOut = new ArrayList<>(List.of(outputInfo, OnnxGraph.floatInfo(JV, dims(seedInfo), "batch")));
    // every tape tensor with a tangent passes it on under a fixed name
    Map<String, String> bt = new HashMap<>();
    bt.put(gradIn, SEED_TANGENT);
    bt.put(tensor, V);
    for (Map.Entry<String, Integer> e : r.tapeTypes().entrySet()) {
      String t = e.getKey();
      if (t.equals(tensor) || !ft.containsKey(t)) continue;
      fwd.add(identity(ft.get(t), TAN_IN + t));
      fwdOut.add(OnnxGraph.typedInfo(TAN_IN + t, TensorProto.DataType.FLOAT_VALUE));
      bt.put(t, TAN_IN + t);
    }
    // backward part: the tape tangents are read from the forward part's outputs of the same name (TwoPhase's tape)
    NodeEmitter be = new NodeEmitter("xcam_tanb/", r.opset());
    Map<String, String> btan = Tangents.emit(r.backward(), bt, be, m.shapes, m.graph, layer);
    List<NodeProto> bwd = new ArrayList<>(r.backward());
    bwd.addAll(be.nodes);
    bwd.add(identity(r.gradName(), gradOut));
    String hv = btan.get(r.gradName());
    bwd.add(identity(hv != null ? hv : zeros(be, bwd, r.gradName()), HV));
    List<TensorProto> consts = new ArrayList<>(r.constants());
    consts.addAll(be.constants);
    List<NodeProto> fwdAll = new ArrayList<>(fwd);
    // forward constants (tangent rules' scalars) become Constant nodes of the forward part
    for (TensorProto c : fe.constants) fwdAll.add(0, constantNode(c));
    Map<String, Integer> types = new HashMap<>(m.types);
    types.putAll(r.tapeTypes());
    for (String t : bt.values()) types.put(t, TensorProto.DataType.FLOAT_VALUE);
    return TwoPhase.build(m, "Hessian-vector graph of layer '" + layer + "'", fwdAll, bwd, consts, r.opset(), fwdIn, fwdOut,
        List.of(seedInfo, OnnxGraph.floatInfo(SEED_TANGENT, dims(seedInfo), "batch")),
        List.of(OnnxGraph.floatInfo(gradOut, dims(layerInfo), "batch"), OnnxGraph.floatInfo(HV, dims(layerInfo), "batch")), types);
  }

  private static long[] dims(ValueInfoProto v) {
    var d = v.getType().getTensorType().getShape().getDimList();
    long[] r = new long[d.size()];
    for (int i = 0; i < r.length; i++) r[i] = d.get(i).hasDimValue() ? d.get(i).getDimValue() : -1;
    return r;
  }

  private static NodeProto identity(String from, String to) {
    return NodeProto.newBuilder().setOpType("Identity").setName(to).addInput(from).addOutput(to).build();
  }

  /** Zeros shaped like {@code like}, appended to {@code nodes} (the emitter's new nodes are moved there). */
  private static String zeros(NodeEmitter e, List<NodeProto> nodes, String like) {
    int before = e.nodes.size();
    String z = e.zerosLike(like);
    nodes.addAll(e.nodes.subList(before, e.nodes.size()));
    return z;
  }

  static NodeProto constantNode(TensorProto c) {
    return NodeProto.newBuilder().setOpType("Constant").setName(c.getName() + "_node").addOutput(c.getName())
        .addAttribute(org.xcam.engine.onnx.proto.OnnxProto.AttributeProto.newBuilder().setName("value")
            .setType(org.xcam.engine.onnx.proto.OnnxProto.AttributeProto.AttributeType.TENSOR).setT(c)).build();
  }
}
