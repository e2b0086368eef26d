package org.xcam.engine.onnx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.xcam.api.Capability;
import org.xcam.api.UnsupportedCapabilityException;
import org.xcam.engine.onnx.proto.OnnxProto.AttributeProto;
import org.xcam.engine.onnx.proto.OnnxProto.NodeProto;

/**
 * Forward-mode differentiation (Jacobian-vector products) of ONNX nodes, written as ONNX: for every node with a
 * differentiable input that carries a tangent, emits the nodes of its output's tangent ({@code dy = J dx}).
 *
 * <p>The exact Hessian-vector product is forward-over-reverse: these rules run over the tail's forward nodes
 * <em>and</em> over the backward nodes {@link Autodiff} generated for it, with the activation's tangent {@code v}.
 * The tangent of the gradient is then {@code d/de grad(a + e v) = H v}. Every rule is linear in the tangents; the
 * forward values it reads (masks, arg-max indices, outputs) carry no tangent of their own, so ReLU and max-pooling
 * contribute exactly zero curvature, and smooth operators (sigmoid, tanh, softmax, products of two active tensors) the
 * exact second derivative. Kept apart from {@link Autodiff} so that its reverse rules can grow independently; an
 * operator without a tangent rule raises {@link UnsupportedCapabilityException} for
 * {@link Capability#HESSIAN_VECTOR_PRODUCT}, naming it (the methods then fall back to finite differences).
 */
final class Tangents {
  /** Operators with a tangent rule. */
  static final Set<String> SUPPORTED = new TreeSet<>(List.of(
      "Identity", "Dropout", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose", "Expand", "Slice", "Pad",
      "ReduceSum", "ReduceMean", "GlobalAveragePool", "AveragePool", "Neg", "Cast", "Concat", "Add", "Sub", "Sum", "Mul",
      "Div", "Exp", "Log", "Sqrt", "Tanh", "Sigmoid", "Relu", "LeakyRelu", "PRelu", "Clip", "Conv", "ConvTranspose",
      "BatchNormalization", "MaxPool", "GlobalMaxPool", "Gemm", "MatMul", "Softmax", "LogSoftmax", "Where",
      "ScatterElements", "Gather", "GatherElements"));

  /** Operators whose outputs carry no tangent (comparisons, shapes, constants, indices). */
  static final Set<String> NO_TANGENT = Set.of("Shape", "Size", "NonZero", "ArgMax", "ArgMin", "Equal", "Greater", "Less",
      "GreaterOrEqual", "LessOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf", "ConstantOfShape", "Constant", "Range",
      "EyeLike", "RandomNormalLike", "RandomUniformLike", "RandomNormal", "RandomUniform", "Multinomial", "Sign", "Floor",
      "Ceil", "Round");

  /** Operators that are linear in input 0 with every other input non-differentiable: the tangent is the same node. */
  private static final Set<String> LINEAR_IN_FIRST = Set.of("Identity", "Flatten", "Reshape", "Squeeze", "Unsqueeze",
      "Transpose", "Expand", "Slice", "ReduceSum", "ReduceMean", "GlobalAveragePool", "AveragePool", "Neg", "Cast",
      "Gather", "GatherElements");

  private final NodeEmitter e;
  private final Map<String, long[]> shapes;
  private final OnnxGraph graph;
  private final String layer;
  private final Map<String, String> tan = new LinkedHashMap<>();

  private Tangents(NodeEmitter e, Map<String, long[]> shapes, OnnxGraph graph, String layer) {
    this.e = e;
    this.shapes = shapes;
    this.graph = graph;
    this.layer = layer;
  }

  /**
   * Emits (into {@code e}) the tangents of {@code nodes}' outputs, given the tangents of some tensors
   * ({@code given}: tensor -> its tangent's name). Returns every tensor's tangent (given ones included).
   */
  static Map<String, String> emit(List<NodeProto> nodes, Map<String, String> given, NodeEmitter e,
                                  Map<String, long[]> shapes, OnnxGraph graph, String layer) {
    Tangents t = new Tangents(e, shapes, graph, layer);
    t.tan.putAll(given);
    for (NodeProto n : nodes) t.node(n);
    return t.tan;
  }

  /** The first operator of {@code nodes} that has no tangent rule, or null. */
  static String firstUnsupported(List<NodeProto> nodes) {
    for (NodeProto n : nodes) {
      if (!SUPPORTED.contains(n.getOpType()) && !NO_TANGENT.contains(n.getOpType())) return n.getOpType() + " (node '" + n.getName() + "')";
    }
    return null;
  }

  private String t(String x) { return x == null || x.isEmpty() ? null : tan.get(x); }

  private UnsupportedCapabilityException unsupported(NodeProto n, String why) {
    return new UnsupportedCapabilityException("no exact Hessian-vector product at layer '" + layer + "': operator "
        + n.getOpType() + " (node '" + n.getName() + "') " + why + " (operators with a tangent rule: " + String.join(", ", SUPPORTED)
        + "); the finite-difference option still works", Set.of(Capability.HESSIAN_VECTOR_PRODUCT));
  }

  private void node(NodeProto n) {
    String op = n.getOpType();
    if (NO_TANGENT.contains(op)) return;
    boolean any = false;
    for (String in : OnnxGraph.allInputs(n)) any |= tan.containsKey(in);
    if (!any) return;
    if (!SUPPORTED.contains(op)) throw unsupported(n, "has no tangent rule");
    String y = n.getOutput(0);
    String x = n.getInputCount() > 0 ? n.getInput(0) : null;
    String tx = t(x);
    String r;
    if (LINEAR_IN_FIRST.contains(op)) {
      for (int k = 1; k < n.getInputCount(); k++) if (t(n.getInput(k)) != null) throw unsupported(n, "has a differentiable input #" + k);
      if (tx == null) return;
      if (op.equals("Cast") && OnnxGraph.attrInt(n, "to", 1) != 1) return; // a cast to integers carries no tangent
      String[] ins = n.getInputList().toArray(String[]::new);
      ins[0] = tx;
      r = e.copy(n, ins);
    } else {
      r = switch (op) {
        case "Dropout" -> tx == null ? null : e.emit("Identity", tx);
        case "Pad" -> pad(n, tx);
        case "Concat" -> concat(n);
        case "Add", "Sum" -> sum(n, false);
        case "Sub" -> sum(n, true);
        case "Mul" -> mul(n);
        case "Div" -> div(n);
        case "Exp" -> e.emit("Mul", tx, y);
        case "Log" -> e.emit("Div", tx, x);
        case "Sqrt" -> e.emit("Div", e.emit("Mul", tx, e.cf(0.5f)), y);
        case "Tanh" -> e.emit("Mul", tx, e.emit("Sub", e.cf(1f), e.emit("Mul", y, y)));
        case "Sigmoid" -> e.emit("Mul", tx, e.emit("Mul", y, e.emit("Sub", e.cf(1f), y)));
        case "Relu" -> e.emit("Where", e.emit("Greater", y, e.cf(0f)), tx, e.cf(0f));
        case "LeakyRelu" -> {
          float alpha = OnnxGraph.attrFloat(n, "alpha", 0.01f);
          yield e.emit("Where", e.emit("Greater", alpha >= 0 ? y : x, e.cf(0f)), tx, e.emit("Mul", tx, e.cf(alpha)));
        }
        case "PRelu" -> {
          if (t(n.getInput(1)) != null) throw unsupported(n, "has a differentiable slope");
          yield e.emit("Where", e.emit("Greater", x, e.cf(0f)), tx, e.emit("Mul", tx, n.getInput(1)));
        }
        case "Clip" -> clip(n, tx);
        case "Conv", "ConvTranspose" -> {
          if (t(n.getInput(1)) != null || (n.getInputCount() > 2 && t(n.getInput(2)) != null)) {
            throw unsupported(n, "has weights computed from the layer");
          }
          yield tx == null ? null : e.copy(n, tx, n.getInput(1));
        }
        case "BatchNormalization" -> batchNorm(n, tx);
        case "MaxPool" -> maxPool(n, tx);
        case "GlobalMaxPool" -> {
          long[] s = shapes.get(x);
          int rank = s == null ? 4 : s.length;
          long[] axes = new long[rank - 2];
          for (int i = 2; i < rank; i++) axes[i - 2] = i;
          yield e.reduceSum(e.emit("Where", e.emit("Equal", x, y), tx, e.cf(0f)), axes, true);
        }
        case "Gemm" -> gemm(n);
        case "MatMul" -> {
          String ta = t(n.getInput(0)), tb = t(n.getInput(1));
          String p = ta == null ? null : e.emit("MatMul", ta, n.getInput(1));
          String q = tb == null ? null : e.emit("MatMul", n.getInput(0), tb);
          yield p == null ? q : q == null ? p : e.emit("Add", p, q);
        }
        case "Softmax", "LogSoftmax" -> softmax(n, tx);
        case "Where" -> {
          String ta = t(n.getInput(1)), tb = t(n.getInput(2));
          yield e.emit("Where", n.getInput(0), ta == null ? e.cf(0f) : ta, tb == null ? e.cf(0f) : tb);
        }
        case "ScatterElements" -> {
          String red = OnnxGraph.attrString(n, "reduction", "none");
          if (!red.equals("none") && !red.equals("add")) throw unsupported(n, "has reduction '" + red + "'");
          String td = t(n.getInput(0)), tu = t(n.getInput(2));
          yield e.copy(n, td == null ? e.zerosLike(n.getInput(0)) : td, n.getInput(1), tu == null ? e.zerosLike(n.getInput(2)) : tu);
        }
        default -> throw unsupported(n, "has no tangent rule");
      };
    }
    if (r != null) tan.put(y, r);
  }

  /** Sum (or difference) of the active operands' tangents, broadcast to the output when an operand is missing. */
  private String sum(NodeProto n, boolean sub) {
    List<String> parts = new ArrayList<>();
    boolean partial = false;
    for (int k = 0; k < n.getInputCount(); k++) {
      String tk = t(n.getInput(k));
      if (tk == null) {
        partial = true;
        continue;
      }
      parts.add(sub && k == 1 ? e.emit("Neg", tk) : tk);
    }
    String r = parts.size() == 1 ? parts.get(0) : e.emit(sub ? "Add" : "Sum", parts.toArray(String[]::new));
    if (partial && !sameShape(n.getOutput(0), n.getInputList())) r = e.emit("Expand", r, e.emit("Shape", n.getOutput(0)));
    return r;
  }

  /** True when the static shapes are known and the active inputs already have the output's shape. */
  private boolean sameShape(String y, List<String> ins) {
    long[] sy = shapes.get(y);
    if (sy == null) return false;
    for (String in : ins) {
      if (t(in) == null) continue;
      long[] s = shapes.get(in);
      if (s == null || !Arrays.equals(s, sy)) return false;
    }
    return true;
  }

  private String mul(NodeProto n) {
    String a = n.getInput(0), b = n.getInput(1), ta = t(a), tb = t(b);
    String p = ta == null ? null : e.emit("Mul", ta, b);
    String q = tb == null ? null : e.emit("Mul", a, tb);
    return p == null ? q : q == null ? p : e.emit("Add", p, q);
  }

  private String div(NodeProto n) {
    String a = n.getInput(0), b = n.getInput(1), ta = t(a), tb = t(b);
    String p = ta == null ? null : e.emit("Div", ta, b);
    String q = tb == null ? null : e.emit("Neg", e.emit("Div", e.emit("Mul", n.getOutput(0), tb), b));
    return p == null ? q : q == null ? p : e.emit("Add", p, q);
  }

  private String concat(NodeProto n) {
    String[] ins = new String[n.getInputCount()];
    for (int k = 0; k < ins.length; k++) {
      String tk = t(n.getInput(k));
      ins[k] = tk != null ? tk : e.zerosLike(n.getInput(k));
    }
    return e.copy(n, ins);
  }

  private String pad(NodeProto n, String tx) {
    if (tx == null) return null;
    if (!OnnxGraph.attrString(n, "mode", "constant").equals("constant")) throw unsupported(n, "pads in a mode other than constant");
    if (e.opset() >= 11) {
      List<String> ins = new ArrayList<>(n.getInputList());
      ins.set(0, tx);
      if (ins.size() > 2) ins.set(2, ""); // the tangent of a constant pad value is 0
      while (!ins.isEmpty() && ins.get(ins.size() - 1).isEmpty()) ins.remove(ins.size() - 1);
      return e.copy(n, ins.toArray(String[]::new));
    }
    NodeProto.Builder b = n.toBuilder().clearInput().clearOutput().clearAttribute();
    for (AttributeProto a : n.getAttributeList()) if (!a.getName().equals("value")) b.addAttribute(a);
    String o = e.fresh("Pad");
    e.add(b.setName(o).addInput(tx).addOutput(o).build());
    return o;
  }

  private String clip(NodeProto n, String tx) {
    if (tx == null) return null;
    String x = n.getInput(0);
    String lo = null, hi = null;
    if (e.opset() >= 11) {
      if (n.getInputCount() > 1 && !n.getInput(1).isEmpty()) lo = n.getInput(1);
      if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) hi = n.getInput(2);
    } else {
      if (OnnxGraph.attr(n, "min") != null) lo = e.cf(OnnxGraph.attrFloat(n, "min", 0f));
      if (OnnxGraph.attr(n, "max") != null) hi = e.cf(OnnxGraph.attrFloat(n, "max", 0f));
    }
    String mask = null;
    if (lo != null) mask = e.emit("Not", e.emit("Less", x, lo));
    if (hi != null) {
      String m2 = e.emit("Not", e.emit("Greater", x, hi));
      mask = mask == null ? m2 : e.emit("And", mask, m2);
    }
    return mask == null ? tx : e.emit("Where", mask, tx, e.cf(0f));
  }

  private String batchNorm(NodeProto n, String tx) {
    if (OnnxGraph.attrInt(n, "training_mode", 0) != 0) throw unsupported(n, "is in training mode");
    for (int k = 1; k < n.getInputCount(); k++) if (t(n.getInput(k)) != null) throw unsupported(n, "has statistics computed from the layer");
    if (tx == null) return null;
    long[] s = shapes.get(n.getInput(0));
    int rank = s == null ? 4 : s.length;
    long[] target = new long[Math.max(1, rank - 1)];
    Arrays.fill(target, 1);
    target[0] = -1;
    String factor = e.emit("Div", n.getInput(1), e.emit("Sqrt", e.emit("Add", n.getInput(4), e.cf(OnnxGraph.attrFloat(n, "epsilon", 1e-5f)))));
    return e.emit("Mul", tx, e.reshape(factor, target));
  }

  /** The tangent at every pooled position is the tangent at its arg-max: a gather by the forward's indices. */
  private String maxPool(NodeProto n, String tx) {
    if (tx == null) return null;
    if (n.getOutputCount() < 2 || n.getOutput(1).isEmpty()) throw unsupported(n, "does not return its arg-max indices");
    if (OnnxGraph.attrInt(n, "storage_order", 0) != 0) throw unsupported(n, "has storage_order=1");
    String flat = e.reshape(tx, new long[] {-1});
    String idx = e.reshape(n.getOutput(1), new long[] {-1});
    return e.emit("Reshape", e.emit("Gather", new String[] {flat, idx}, Autodiff.i("axis", 0)), e.emit("Shape", n.getOutput(0)));
  }

  private String gemm(NodeProto n) {
    long ta = OnnxGraph.attrInt(n, "transA", 0), tb = OnnxGraph.attrInt(n, "transB", 0);
    float alpha = OnnxGraph.attrFloat(n, "alpha", 1f), beta = OnnxGraph.attrFloat(n, "beta", 1f);
    String a = n.getInput(0), b = n.getInput(1);
    String dA = t(a), dB = t(b), dC = n.getInputCount() > 2 ? t(n.getInput(2)) : null;
    List<String> parts = new ArrayList<>();
    if (dA != null) parts.add(e.emit("Gemm", new String[] {dA, b, e.cf(0f)}, Autodiff.f("alpha", alpha), Autodiff.i("transA", ta), Autodiff.i("transB", tb)));
    if (dB != null) parts.add(e.emit("Gemm", new String[] {a, dB, e.cf(0f)}, Autodiff.f("alpha", alpha), Autodiff.i("transA", ta), Autodiff.i("transB", tb)));
    if (dC != null) {
      String c = beta == 1f ? dC : e.emit("Mul", dC, e.cf(beta));
      parts.add(parts.isEmpty() ? e.emit("Expand", c, e.emit("Shape", n.getOutput(0))) : c);
    }
    return parts.size() == 1 ? parts.get(0) : e.emit("Sum", parts.toArray(String[]::new));
  }

  private String softmax(NodeProto n, String tx) {
    if (tx == null) return null;
    String y = n.getOutput(0);
    long[] s = shapes.get(y);
    int rank = s == null ? 2 : s.length;
    long axis = OnnxGraph.attrInt(n, "axis", e.opset() >= 13 ? -1 : 1);
    if (axis < 0) axis += rank;
    if (e.opset() < 13 && axis != rank - 1) throw unsupported(n, "uses the pre-13 coerced-to-2D semantics on a middle axis");
    if (n.getOpType().equals("Softmax")) {
      String dot = e.reduceSum(e.emit("Mul", y, tx), new long[] {axis}, true);
      return e.emit("Mul", y, e.emit("Sub", tx, dot));
    }
    String dot = e.reduceSum(e.emit("Mul", e.emit("Exp", y), tx), new long[] {axis}, true);
    return e.emit("Sub", tx, dot);
  }
}
