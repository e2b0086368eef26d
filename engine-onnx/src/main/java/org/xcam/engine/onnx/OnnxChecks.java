package org.xcam.engine.onnx;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xcam.api.XcamException;
import org.xcam.engine.onnx.proto.OnnxProto.GraphProto;
import org.xcam.engine.onnx.proto.OnnxProto.ModelProto;
import org.xcam.engine.onnx.proto.OnnxProto.NodeProto;
import org.xcam.engine.onnx.proto.OnnxProto.StringStringEntryProto;
import org.xcam.engine.onnx.proto.OnnxProto.TensorProto;
import org.xcam.engine.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * The structural rules of the ONNX checker ({@code onnx.checker.check_model}) that a generated graph can break, checked
 * in Java because the build has no Python: single static assignment (every tensor name defined once), topological
 * order (every input defined before it is read), every graph output defined, unique metadata keys, and, for the
 * operators xcam emits, that the declared opset has them in the form used (the reductions' {@code axes} as attribute
 * or input; {@code Slice}, {@code Pad}, half-pixel {@code Resize}; {@code ScatterElements} with a reduction). ONNX
 * Runtime loading and running the graph covers types and shapes. {@code tools/check_onnx.py} runs the real checker
 * (with full shape inference) where Python and onnx are installed; the engine's tests call it when they can.
 */
final class OnnxChecks {
  /** Operator -> the first default-domain opset with the form xcam emits. */
  private static final Map<String, Integer> SINCE = Map.ofEntries(
      Map.entry("Expand", 8), Map.entry("Where", 9), Map.entry("ConstantOfShape", 9), Map.entry("EyeLike", 9), Map.entry("Slice", 10),
      Map.entry("Pad", 11), Map.entry("Resize", 11), Map.entry("ScatterElements", 11));

  private OnnxChecks() { }

  /** Throws {@link XcamException} naming the first broken rule (a bug in the generator, never the user's fault). */
  static void check(ModelProto m) {
    if (m.getIrVersion() <= 0) fail("no IR version");
    int opset = -1;
    for (var o : m.getOpsetImportList()) if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) opset = (int) o.getVersion();
    if (opset < 0) fail("no default-domain opset import");
    Set<String> keys = new HashSet<>();
    for (StringStringEntryProto kv : m.getMetadataPropsList()) if (!keys.add(kv.getKey())) fail("metadata key '" + kv.getKey() + "' appears twice");
    GraphProto g = m.getGraph();
    Set<String> defined = new HashSet<>();
    for (TensorProto t : g.getInitializerList()) if (!defined.add(t.getName())) fail("initializer '" + t.getName() + "' defined twice");
    Set<String> inits = new HashSet<>(defined);
    for (ValueInfoProto v : g.getInputList()) {
      if (!defined.add(v.getName()) && !inits.contains(v.getName())) fail("input '" + v.getName() + "' defined twice");
    }
    for (NodeProto n : g.getNodeList()) {
      for (String in : OnnxGraph.allInputs(n)) {
        if (!in.isEmpty() && !defined.contains(in)) fail("node '" + n.getName() + "' (" + n.getOpType() + ") reads '" + in + "' before it is defined");
      }
      for (String o : n.getOutputList()) if (!o.isEmpty() && !defined.add(o)) fail("tensor '" + o + "' is assigned twice (node '" + n.getName() + "')");
      if (n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx")) opsetForm(n, opset);
    }
    for (ValueInfoProto v : g.getOutputList()) if (!defined.contains(v.getName())) fail("graph output '" + v.getName() + "' is never computed");
  }

  private static void opsetForm(NodeProto n, int opset) {
    String op = n.getOpType();
    Integer since = SINCE.get(op);
    if (since != null && opset < since) fail(op + " (node '" + n.getName() + "') needs opset >= " + since + ", the model declares " + opset);
    boolean axesAttr = OnnxGraph.attr(n, "axes") != null;
    switch (op) {
      case "ReduceSum" -> {
        if (opset >= 13 && axesAttr) fail("ReduceSum (node '" + n.getName() + "') has an axes attribute at opset " + opset + " (an input since 13)");
        if (opset < 13 && n.getInputCount() > 1) fail("ReduceSum (node '" + n.getName() + "') has an axes input at opset " + opset);
      }
      case "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd" -> {
        if (opset >= 18 && axesAttr) fail(op + " (node '" + n.getName() + "') has an axes attribute at opset " + opset + " (an input since 18)");
        if (opset < 18 && n.getInputCount() > 1) fail(op + " (node '" + n.getName() + "') has an axes input at opset " + opset);
      }
      case "Squeeze", "Unsqueeze" -> {
        if (opset >= 13 && axesAttr) fail(op + " (node '" + n.getName() + "') has an axes attribute at opset " + opset);
      }
      case "ScatterElements" -> {
        if (OnnxGraph.attr(n, "reduction") != null && opset < 16) fail("ScatterElements with a reduction needs opset >= 16, the model declares " + opset);
      }
      case "Resize" -> {
        if (opset < 13 && (n.getInputCount() < 3 || n.getInput(1).isEmpty() || n.getInput(2).isEmpty())) {
          fail("Resize (node '" + n.getName() + "') leaves roi or scales empty at opset " + opset + " (optional since 13)");
        }
      }
      default -> { }
    }
  }

  private static void fail(String what) {
    throw new XcamException("the compiled ONNX graph breaks an ONNX rule: " + what + "; this is a bug in xcam's ONNX compiler");
  }

  /** For tests: names of the outputs. */
  static List<String> outputs(ModelProto m) {
    return m.getGraph().getOutputList().stream().map(ValueInfoProto::getName).toList();
  }
}
