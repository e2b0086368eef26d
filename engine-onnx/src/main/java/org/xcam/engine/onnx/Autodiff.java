package org.xcam.engine.onnx;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.xcam.api.UnsupportedCapabilityException;
import org.xcam.engine.onnx.proto.OnnxProto.AttributeProto;
import org.xcam.engine.onnx.proto.OnnxProto.NodeProto;
import org.xcam.engine.onnx.proto.OnnxProto.TensorProto;

/**
 * Reverse-mode differentiation of an ONNX (sub-)graph, written as ONNX: given the nodes of a tail (layer L -> output
 * Y), emits the nodes that compute {@code dObjective/dL} from {@code dObjective/dY} (a vector-Jacobian product), so
 * the backward pass runs inside ONNX Runtime (on CUDA too) with no training build.
 *
 * <p>Each operator has a rule ({@link #SUPPORTED}); gradients reaching one tensor from several consumers are summed.
 * Shapes are static except the batch axis: they come from one probe forward at batch 1, and the batch axis is kept
 * symbolic (reshapes copy it with 0, reductions over a broadcast batch axis are known from data flow).
 * Parameters (weights, batch-norm statistics) get no gradient. Anything without a rule raises
 * {@link UnsupportedCapabilityException} naming the operator and the layer, before any session exists.
 */
final class Autodiff {
  /** Operators with a reverse-mode rule. */
  static final Set<String> SUPPORTED = new TreeSet<>(List.of(
      "Conv", "BatchNormalization", "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Clip", "MaxPool", "AveragePool",
      "GlobalAveragePool", "GlobalMaxPool", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Gemm", "MatMul", "Add", "Sub",
      "Mul", "Div", "Sum", "Neg", "Exp", "Log", "Sqrt", "Concat", "Identity", "Dropout", "Softmax", "LogSoftmax",
      "Transpose", "ReduceMean", "ReduceSum", "Pad",
      // issue 12: what real exports contain (post-processing, transformers, mobile nets)
      "Cast", "Where", "Expand", "Slice", "Tile", "Split", "Gather", "GatherElements", "GatherND", "ScatterND",
      "ScatterElements", "Min", "Max", "Resize", "LayerNormalization", "Pow", "Erf", "HardSigmoid", "HardSwish",
      "Softplus", "Abs", "Reciprocal", "ReduceMax", "ReduceMin", "TopK"));

  /**
   * Operators whose outputs carry no gradient (integers, booleans, shapes, constants, and piecewise-constant
   * functions whose derivative is zero wherever it exists): paths through them are not differentiable, which is
   * correct, not unsupported.
   */
  private static final Set<String> NON_DIFF = Set.of("Shape", "Size", "NonZero", "ArgMax", "ArgMin", "Equal", "Greater",
      "Less", "GreaterOrEqual", "LessOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf", "ConstantOfShape", "Constant",
      "Range", "EyeLike", "RandomNormalLike", "RandomUniformLike", "RandomNormal", "RandomUniform", "Multinomial",
      "Floor", "Ceil", "Round", "Sign", "OneHot", "Unique", "NonMaxSuppression", "BitShift", "BitwiseAnd", "BitwiseOr",
      "BitwiseXor", "BitwiseNot");

  /** For operators with non-differentiable inputs (shapes, axes, bounds, indices): the inputs a gradient flows through. */
  private static final Map<String, Set<Integer>> DIFF_INPUTS = Map.ofEntries(
      Map.entry("Reshape", Set.of(0)), Map.entry("Expand", Set.of(0)), Map.entry("Slice", Set.of(0)),
      Map.entry("Squeeze", Set.of(0)), Map.entry("Unsqueeze", Set.of(0)), Map.entry("Tile", Set.of(0)),
      Map.entry("Gather", Set.of(0)), Map.entry("Pad", Set.of(0)), Map.entry("Clip", Set.of(0)),
      Map.entry("Resize", Set.of(0)), Map.entry("Upsample", Set.of(0)), Map.entry("Dropout", Set.of(0)),
      Map.entry("Flatten", Set.of(0)), Map.entry("ReduceMean", Set.of(0)), Map.entry("ReduceSum", Set.of(0)),
      Map.entry("Transpose", Set.of(0)), Map.entry("Where", Set.of(1, 2)), Map.entry("TopK", Set.of(0)),
      Map.entry("Split", Set.of(0)), Map.entry("Cast", Set.of(0)), Map.entry("GatherElements", Set.of(0)),
      Map.entry("GatherND", Set.of(0)), Map.entry("ScatterND", Set.of(0, 2)), Map.entry("ScatterElements", Set.of(0, 2)),
      Map.entry("ReduceMax", Set.of(0)), Map.entry("ReduceMin", Set.of(0)));

  /** Operators whose rule takes the gradients of several outputs (the others: output 0 only). */
  private static final Set<String> MULTI_OUTPUT = Set.of("Split");

  /** ONNX element types that carry gradients (float, float16, double, bfloat16). */
  private static final Set<Integer> FLOAT_TYPES = Set.of(TensorProto.DataType.FLOAT_VALUE, TensorProto.DataType.FLOAT16_VALUE,
      TensorProto.DataType.DOUBLE_VALUE, TensorProto.DataType.BFLOAT16_VALUE);

  /** The result: forward nodes (MaxPool nodes rewritten to also return indices), backward nodes, constants. */
  record Result(List<NodeProto> forward, List<NodeProto> backward, List<TensorProto> constants, String gradName,
                int opset, Map<String, Integer> tapeTypes) {
  }

  /**
   * Extensions of a build, kept out of the rules (see {@link SwappedRules}): gradients of more tensors than the layer
   * (FullGrad's bias layers), and rules that replace the standard ones at some nodes (guided backprop, DeepLift).
   */
  record Options(List<String> alsoGradients, RuleOverride override) {
    static final Options NONE = new Options(List.of(), null);
  }

  /** A replacement for the standard reverse rule of some nodes; {@code null} keeps the standard rule. */
  interface RuleOverride {
    Map<Integer, String> rule(NodeProto n, String g, List<Integer> act, Autodiff ad);
  }

  /** A build with {@link Options}: its result and the gradients of the extra tensors (tensor -> gradient's name). */
  record Extended(Result result, Map<String, String> alsoGradients) { }

  private Options options = Options.NONE;
  private final Map<String, String> alsoOut = new LinkedHashMap<>();

  private final OnnxGraph graph;
  private final Map<String, long[]> shapes;
  private final Map<String, Integer> types;
  private final Set<String> batchDep;
  private final Set<String> dataDep;
  private final String layer;
  private final int opset;
  private final List<NodeProto> out = new ArrayList<>();
  private final List<TensorProto> consts = new ArrayList<>();
  private final Map<String, String> constCache = new HashMap<>();
  private final String prefix;
  private int counter;
  /** Set (to the operator that needs it) when a scatter with reduction=add is emitted: the opset is raised to 16. */
  private String needsScatterAdd;

  private Autodiff(OnnxGraph graph, Map<String, long[]> shapes, Map<String, Integer> types, Set<String> batchDep,
                   String layer, String prefix) {
    this.graph = graph;
    this.shapes = shapes;
    this.types = types;
    this.batchDep = batchDep;
    this.dataDep = dataDependent(graph);
    this.layer = layer;
    this.opset = graph.opset;
    this.prefix = prefix;
  }

  /** {@link #build} with {@link Options}: gradients of more tensors, or swapped rules. */
  static Extended build(OnnxGraph graph, List<Integer> nodeIdx, String from, String output, String dOutput,
                        Map<String, long[]> shapes, Set<String> batchDep, String layer, Options options) {
    return build(graph, nodeIdx, from, output, dOutput, shapes, Map.of(), batchDep, layer, options);
  }

  /** As above, with the element types of tensors (from the probe). */
  static Extended build(OnnxGraph graph, List<Integer> nodeIdx, String from, String output, String dOutput,
                        Map<String, long[]> shapes, Map<String, Integer> types, Set<String> batchDep, String layer,
                        Options options) {
    Autodiff a = new Autodiff(graph, shapes, types, batchDep, layer, "xcam_grad/");
    a.options = options;
    Result r = a.run(nodeIdx, from, output, dOutput);
    return new Extended(r, Map.copyOf(a.alsoOut));
  }

  /** For {@link RuleOverride}s: appends a node (fresh output name) to the backward graph. */
  String emitNode(String op, String... inputs) { return emit(op, inputs); }

  /** For {@link RuleOverride}s: a float scalar constant of the backward graph. */
  String constant(float v) { return cf(v); }

  /** The first operator in {@code nodeIdx} that has no rule and lies on a gradient path, or null. */
  static String firstUnsupported(OnnxGraph graph, List<Integer> nodeIdx, String from, String output) {
    return firstUnsupported(graph, nodeIdx, from, output, Map.of());
  }

  /** As above, knowing the element types of tensors ({@code types}: integer and boolean tensors carry no gradient). */
  static String firstUnsupported(OnnxGraph graph, List<Integer> nodeIdx, String from, String output, Map<String, Integer> types) {
    NodeProto n = firstUnsupportedNode(graph, nodeIdx, from, output, types);
    return n == null ? null : n.getOpType() + " (node '" + n.getName() + "')";
  }

  /** The node behind {@link #firstUnsupported}, or null. */
  static NodeProto firstUnsupportedNode(OnnxGraph graph, List<Integer> nodeIdx, String from, String output, Map<String, Integer> types) {
    Set<String> active = active(graph, nodeIdx, from, types);
    Set<String> needed = needed(graph, nodeIdx, output);
    for (int i : nodeIdx) {
      NodeProto n = graph.nodes.get(i);
      if (NON_DIFF.contains(n.getOpType())) continue;
      boolean on = false;
      for (String o : n.getOutputList()) on |= active.contains(o) && needed.contains(o);
      if (on && !SUPPORTED.contains(n.getOpType())) return n;
    }
    return null;
  }

  /**
   * Builds the backward graph of {@code nodeIdx} (topologically ordered tail nodes) from {@code dOutput} (the gradient
   * of graph output {@code output}) to {@code from}.
   */
  static Result build(OnnxGraph graph, List<Integer> nodeIdx, String from, String output, String dOutput,
                      Map<String, long[]> shapes, Set<String> batchDep, String layer) {
    return build(graph, nodeIdx, from, output, dOutput, shapes, Map.of(), batchDep, layer);
  }

  /** As above, with the element types of tensors (from the probe); unknown tensors count as float. */
  static Result build(OnnxGraph graph, List<Integer> nodeIdx, String from, String output, String dOutput,
                      Map<String, long[]> shapes, Map<String, Integer> types, Set<String> batchDep, String layer) {
    return new Autodiff(graph, shapes, types, batchDep, layer, "xcam_grad/").run(nodeIdx, from, output, dOutput);
  }

  /** Whether output {@code k} of {@code n} can carry a gradient: a float tensor (by probe type, or Cast's target). */
  private static boolean carriesGradient(NodeProto n, int k, Map<String, Integer> types) {
    if (n.getOpType().equals("Cast")) return FLOAT_TYPES.contains((int) OnnxGraph.attrInt(n, "to", 1));
    if (n.getOpType().equals("TopK") || n.getOpType().equals("MaxPool")) return k == 0;
    Integer t = types.get(n.getOutput(k));
    return t == null || FLOAT_TYPES.contains(t);
  }

  /** The tensors a gradient can reach from {@code from} (element types unknown: every output counts as float). */
  static Set<String> active(OnnxGraph graph, List<Integer> nodeIdx, String from) {
    return active(graph, nodeIdx, from, Map.of());
  }

  /** The tensors a gradient can reach from {@code from}; integer and boolean tensors (by {@code types}) carry none. */
  static Set<String> active(OnnxGraph graph, List<Integer> nodeIdx, String from, Map<String, Integer> types) {
    Set<String> active = new HashSet<>();
    active.add(from);
    for (int i : nodeIdx) {
      NodeProto n = graph.nodes.get(i);
      if (NON_DIFF.contains(n.getOpType())) continue;
      Set<Integer> d = DIFF_INPUTS.get(n.getOpType());
      boolean any = false;
      for (int k = 0; k < n.getInputCount(); k++) if ((d == null || d.contains(k)) && active.contains(n.getInput(k))) any = true;
      // sub-graphs (If, Loop, Scan) reading the layer from the outer scope: active too, so they fail as unsupported
      if (d == null) for (String in : OnnxGraph.allInputs(n)) any |= active.contains(in);
      if (any) {
        for (int k = 0; k < n.getOutputCount(); k++) if (carriesGradient(n, k, types)) active.add(n.getOutput(k));
      }
    }
    return active;
  }

  private static Set<String> needed(OnnxGraph graph, List<Integer> nodeIdx, String output) {
    Set<String> needed = new HashSet<>();
    needed.add(output);
    for (int j = nodeIdx.size() - 1; j >= 0; j--) {
      NodeProto n = graph.nodes.get(nodeIdx.get(j));
      boolean any = false;
      for (String o : n.getOutputList()) any |= needed.contains(o);
      if (any) needed.addAll(n.getInputList());
    }
    return needed;
  }

  /**
   * Tensors whose shape (or, for integer tensors, values) may depend on the data, not only on the batch size: outputs
   * of NonZero and friends and everything computed from them, except that a scatter's output has its data input's
   * shape. Rules must not read static (probe) shapes of these; they use runtime shapes or refuse.
   */
  static Set<String> dataDependent(OnnxGraph graph) {
    Set<String> dd = new HashSet<>();
    for (NodeProto n : graph.nodes) {
      boolean d = switch (n.getOpType()) {
        case "NonZero", "Unique", "NonMaxSuppression", "Compress" -> true;
        case "ScatterND", "ScatterElements" -> dd.contains(n.getInput(0));
        default -> {
          boolean any = false;
          for (String in : OnnxGraph.allInputs(n)) any |= dd.contains(in);
          yield any;
        }
      };
      if (d) dd.addAll(n.getOutputList());
    }
    return dd;
  }

  private Result run(List<Integer> nodeIdx, String from, String output, String dOutput) {
    Set<String> active = active(graph, nodeIdx, from, types);
    Set<String> needed = needed(graph, nodeIdx, output);
    Map<String, List<String>> grads = new LinkedHashMap<>();
    grads.computeIfAbsent(output, k -> new ArrayList<>()).add(dOutput);
    List<NodeProto> forward = new ArrayList<>();
    for (int i : nodeIdx) forward.add(graph.nodes.get(i));
    Map<String, Integer> extraTypes = new HashMap<>();
    for (int j = nodeIdx.size() - 1; j >= 0; j--) {
      NodeProto n = graph.nodes.get(nodeIdx.get(j));
      if (NON_DIFF.contains(n.getOpType())) continue;
      List<String> gs = grads.get(n.getOutputCount() > 0 ? n.getOutput(0) : "");
      boolean outGrad = false;
      for (String o : n.getOutputList()) outGrad |= grads.containsKey(o) && active.contains(o) && needed.contains(o);
      if (!outGrad) continue;
      List<Integer> act = new ArrayList<>();
      Set<Integer> d = DIFF_INPUTS.get(n.getOpType());
      for (int k = 0; k < n.getInputCount(); k++) {
        if (!n.getInput(k).isEmpty() && (d == null || d.contains(k)) && active.contains(n.getInput(k))) act.add(k);
      }
      if (act.isEmpty() && SUPPORTED.contains(n.getOpType())) continue;
      if (!SUPPORTED.contains(n.getOpType())) {
        boolean reads = !act.isEmpty();
        for (String in : OnnxGraph.allInputs(n)) reads |= active.contains(in);
        if (!reads) continue;
        throw unsupported(n, null);
      }
      if (MULTI_OUTPUT.contains(n.getOpType())) {
        List<String> outGrads = new ArrayList<>();
        for (String o : n.getOutputList()) outGrads.add(grads.containsKey(o) && active.contains(o) ? sum(grads.get(o)) : null);
        Map<Integer, String> r = multiRule(n, outGrads);
        addInputGrads(n, act, r, grads);
        continue;
      }
      for (int k = 1; k < n.getOutputCount(); k++) {
        if (grads.containsKey(n.getOutput(k)) && !n.getOpType().equals("Dropout")) throw unsupported(n, "its output #" + k);
      }
      if (gs == null) continue;
      String g = sum(gs);
      Map<Integer, String> r;
      if (n.getOpType().equals("MaxPool")) {
        if (OnnxGraph.attrInt(n, "storage_order", 0) != 0) throw unsupported(n, "its input with storage_order=1 (column-major indices)");
        String idx;
        if (n.getOutputCount() > 1 && !n.getOutput(1).isEmpty()) {
          idx = n.getOutput(1);
        } else {
          idx = fresh("maxpool_indices");
          NodeProto rewritten = n.toBuilder().clearOutput().addOutput(n.getOutput(0)).addOutput(idx).build();
          forward.set(j, rewritten);
        }
        extraTypes.put(idx, TensorProto.DataType.INT64_VALUE);
        r = Map.of(0, maxPool(n, g, idx));
      } else {
        r = options.override() == null ? null : options.override().rule(n, g, act, this);
        if (r == null) r = rule(n, g, act);
      }
      addInputGrads(n, act, r, grads);
    }
    for (String t : options.alsoGradients()) {
      List<String> l = grads.get(t);
      alsoOut.put(t, l != null ? sum(l) : emit("ConstantOfShape", new String[] {emit("Shape", t)},
          AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
              .setT(floatTensor("zero", new float[] {0f}, new long[] {1})).build()));
    }
    String gFrom;
    List<String> gl = grads.get(from);
    if (gl == null) {
      gFrom = emit("ConstantOfShape", new String[] {emit("Shape", from)},
          AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
              .setT(floatTensor("zero", new float[] {0f}, new long[] {1})).build());
    } else {
      gFrom = sum(gl);
    }
    int newOpset = opset;
    if (needsScatterAdd != null && opset < 16) {
      if (opset < 13) {
        throw new UnsupportedCapabilityException("gradients through " + needsScatterAdd + " need ONNX opset >= 13 (a scatter"
            + " with reduction=add), but model " + graph.file + " uses opset " + opset + " (layer '" + layer + "'); re-export it"
            + " with opset_version=13 or later", Set.of(org.xcam.api.Capability.VJP));
      }
      newOpset = 16;
    }
    // the forward tensors the backward nodes read (what tailWithGradient keeps from its first run)
    Set<String> fwdProduced = new HashSet<>();
    fwdProduced.add(from);
    for (NodeProto n : forward) fwdProduced.addAll(n.getOutputList());
    Map<String, Integer> tape = new LinkedHashMap<>();
    for (NodeProto n : out) {
      for (String in : n.getInputList()) {
        if (fwdProduced.contains(in) && !in.equals(dOutput)) {
          tape.put(in, extraTypes.getOrDefault(in, types.getOrDefault(in, TensorProto.DataType.FLOAT_VALUE)));
        }
      }
    }
    return new Result(forward, List.copyOf(out), List.copyOf(consts), gFrom, newOpset, tape);
  }

  private void addInputGrads(NodeProto n, List<Integer> act, Map<Integer, String> r, Map<String, List<String>> grads) {
    for (int k : act) {
      String gi = r.get(k);
      if (gi == null) throw unsupported(n, "its input #" + k + " ('" + n.getInput(k) + "', computed from the layer)");
      grads.computeIfAbsent(n.getInput(k), x -> new ArrayList<>()).add(gi);
    }
  }

  /**
   * The error for a node on the gradient path without a rule (or without one for {@code what}). It names the
   * operator, the node and the layer; {@link OnnxModel#advice} adds what still works, per model.
   */
  private UnsupportedCapabilityException unsupported(NodeProto n, String what) {
    String where = "operator " + n.getOpType() + " (node '" + n.getName() + "')";
    String msg = what == null
        ? "cannot compute gradients at layer '" + layer + "': " + where + " between the layer and the output has no reverse-mode rule"
          + " in the ONNX engine"
        : "cannot compute gradients at layer '" + layer + "': the gradient of " + where + " with respect to " + what
          + " is not implemented in the ONNX engine";
    return new Unsupported(msg, n);
  }

  /** {@link UnsupportedCapabilityException} that also carries the node that blocks the gradient. */
  static final class Unsupported extends UnsupportedCapabilityException {
    private final transient NodeProto node;

    Unsupported(String message, NodeProto node) {
      super(message, Set.of(org.xcam.api.Capability.VJP));
      this.node = node;
    }

    NodeProto node() { return node; }
  }

  // ---------------------------------------------------------------------------------------------- the rules

  private Map<Integer, String> rule(NodeProto n, String g, List<Integer> act) {
    Map<Integer, String> r = new HashMap<>();
    String y = n.getOutput(0);
    String x = n.getInput(0);
    switch (n.getOpType()) {
      case "Identity", "Dropout" -> r.put(0, g);
      case "Flatten" -> r.put(0, emit("Reshape", g, OnnxGraph.attrInt(n, "axis", 1) == 1 ? shapeOf(x, g) : emit("Shape", x)));
      case "Reshape", "Squeeze", "Unsqueeze" -> r.put(0, emit("Reshape", g, emit("Shape", x)));
      // masks from the output (y > 0 iff x > 0): the pre-activation need not be kept, so ORT can fuse Conv+Relu
      case "Relu" -> r.put(0, emit("Where", emit("Greater", y, cf(0f)), g, cf(0f)));
      case "LeakyRelu" -> {
        float alpha = OnnxGraph.attrFloat(n, "alpha", 0.01f);
        r.put(0, emit("Where", emit("Greater", alpha >= 0 ? y : x, cf(0f)), g, emit("Mul", g, cf(alpha))));
      }
      case "PRelu" -> r.put(0, emit("Where", emit("Greater", x, cf(0f)), g, emit("Mul", g, n.getInput(1))));
      case "Sigmoid" -> r.put(0, emit("Mul", g, emit("Mul", y, emit("Sub", cf(1f), y))));
      case "Tanh" -> r.put(0, emit("Mul", g, emit("Sub", cf(1f), emit("Mul", y, y))));
      case "Exp" -> r.put(0, emit("Mul", g, y));
      case "Log" -> r.put(0, emit("Div", g, x));
      case "Sqrt" -> r.put(0, emit("Div", emit("Mul", g, cf(0.5f)), y));
      case "Neg" -> r.put(0, emit("Neg", g));
      case "Clip" -> r.put(0, clip(n, g));
      case "Conv" -> {
        if (act.contains(1)) return r; // weight computed from the layer: no rule
        r.put(0, conv(n, g));
      }
      case "BatchNormalization" -> {
        if (OnnxGraph.attrInt(n, "training_mode", 0) != 0) return r;
        if (act.size() > 1 || !act.contains(0)) return r;
        int rank = shape(x).length;
        long[] target = new long[Math.max(1, rank - 1)];
        Arrays.fill(target, 1);
        target[0] = -1;
        String factor = emit("Div", n.getInput(1), emit("Sqrt", emit("Add", n.getInput(4), cf(OnnxGraph.attrFloat(n, "epsilon", 1e-5f)))));
        r.put(0, emit("Mul", g, reshape(factor, target)));
      }
      case "AveragePool" -> r.put(0, avgPool(n, g));
      case "Pad" -> r.put(0, pad(n, g));
      case "GlobalAveragePool" -> {
        long[] s = shape(x);
        long count = 1;
        for (int i = 2; i < s.length; i++) count *= s[i];
        r.put(0, emit("Mul", emit("Expand", g, shapeOf(x, g)), cf(1f / count)));
      }
      case "GlobalMaxPool" -> r.put(0, emit("Where", emit("Equal", x, y), g, cf(0f)));
      case "ReduceMean", "ReduceSum" -> r.put(0, reduce(n, g));
      case "Gemm" -> gemm(n, g, act, r);
      case "MatMul" -> matmul(n, g, act, r);
      case "Add", "Sum" -> {
        for (int k : act) r.put(k, unbroadcast(g, y, n.getInput(k)));
      }
      case "Sub" -> {
        if (act.contains(0)) r.put(0, unbroadcast(g, y, n.getInput(0)));
        if (act.contains(1)) r.put(1, emit("Neg", unbroadcast(g, y, n.getInput(1))));
      }
      case "Mul" -> {
        if (act.contains(0)) r.put(0, unbroadcast(emit("Mul", g, n.getInput(1)), y, n.getInput(0)));
        if (act.contains(1)) r.put(1, unbroadcast(emit("Mul", g, n.getInput(0)), y, n.getInput(1)));
      }
      case "Div" -> {
        String gOverB = emit("Div", g, n.getInput(1));
        if (act.contains(0)) r.put(0, unbroadcast(gOverB, y, n.getInput(0)));
        if (act.contains(1)) r.put(1, unbroadcast(emit("Neg", emit("Mul", gOverB, y)), y, n.getInput(1)));
      }
      case "Concat" -> {
        int rank = shape(y).length;
        long axis = OnnxGraph.attrInt(n, "axis", 0);
        if (axis < 0) axis += rank;
        long off = 0;
        for (int k = 0; k < n.getInputCount(); k++) {
          long size = shape(n.getInput(k))[(int) axis];
          if (act.contains(k)) r.put(k, slice(g, new long[] {off}, new long[] {off + size}, new long[] {axis}));
          off += size;
        }
      }
      case "Softmax", "LogSoftmax" -> {
        int rank = shape(y).length;
        long axis = OnnxGraph.attrInt(n, "axis", opset >= 13 ? -1 : 1);
        if (axis < 0) axis += rank;
        if (opset < 13 && axis != rank - 1) return r; // coerced-to-2D semantics differ; no rule
        if (n.getOpType().equals("Softmax")) {
          String s = reduceSum(emit("Mul", g, y), new long[] {axis}, true);
          r.put(0, emit("Mul", y, emit("Sub", g, s)));
        } else {
          String s = reduceSum(g, new long[] {axis}, true);
          r.put(0, emit("Sub", g, emit("Mul", emit("Exp", y), s)));
        }
      }
      case "Transpose" -> {
        int rank = shape(x).length;
        long[] perm = OnnxGraph.attrInts(n, "perm");
        if (perm == null) {
          perm = new long[rank];
          for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
        }
        long[] inv = new long[rank];
        for (int i = 0; i < rank; i++) inv[(int) perm[i]] = i;
        r.put(0, emit("Transpose", new String[] {g}, ints("perm", inv)));
      }
      // ---- issue 12: element-wise functions
      case "Erf" -> r.put(0, emit("Mul", g, emit("Mul", cf((float) (2 / Math.sqrt(Math.PI))), emit("Exp", emit("Neg", emit("Mul", x, x))))));
      case "Softplus" -> r.put(0, emit("Mul", g, emit("Sigmoid", x)));
      case "Abs" -> r.put(0, emit("Mul", g, emit("Sign", x)));
      case "Reciprocal" -> r.put(0, emit("Neg", emit("Mul", g, emit("Mul", y, y))));
      case "HardSigmoid" -> r.put(0, hardSigmoid(n, g));
      case "HardSwish" -> r.put(0, hardSwish(n, g));
      case "Pow" -> pow(n, g, act, r);
      case "Min", "Max" -> minMax(n, g, act, r);
      case "Cast" -> r.put(0, castTo(g, typeOf(x), (int) OnnxGraph.attrInt(n, "to", TensorProto.DataType.FLOAT_VALUE)));
      case "Where" -> {
        if (act.contains(1)) r.put(1, unbroadcast(emit("Where", n.getInput(0), g, cf(0f)), y, n.getInput(1)));
        if (act.contains(2)) r.put(2, unbroadcast(emit("Where", n.getInput(0), cf(0f), g), y, n.getInput(2)));
      }
      // ---- issue 12: shapes, indexing and post-processing
      case "Expand" -> r.put(0, unbroadcast(g, y, x));
      case "Slice" -> r.put(0, sliceGrad(n, g));
      case "Tile" -> r.put(0, selectionGrad(n, g, false));
      case "Gather" -> r.put(0, selectionGrad(n, g, constantUniqueIndices(n)));
      case "GatherElements" -> r.put(0, selectionGrad(n, g, constantUniqueIndices(n)));
      case "GatherND" -> r.put(0, gatherNd(n, g));
      case "ScatterND", "ScatterElements" -> scatter(n, g, act, r);
      case "TopK" -> r.put(0, topK(n, g));
      case "ReduceMax", "ReduceMin" -> r.put(0, reduceExtreme(n, g));
      case "Resize" -> r.put(0, resize(n, g));
      case "LayerNormalization" -> layerNorm(n, g, act, r);
      default -> { }
    }
    return r;
  }

  private String clip(NodeProto n, String g) {
    String x = n.getInput(0);
    String lo = null, hi = null;
    if (opset >= 11) {
      if (n.getInputCount() > 1 && !n.getInput(1).isEmpty()) lo = n.getInput(1);
      if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) hi = n.getInput(2);
    } else {
      if (OnnxGraph.attr(n, "min") != null) lo = cf(OnnxGraph.attrFloat(n, "min", 0f));
      if (OnnxGraph.attr(n, "max") != null) hi = cf(OnnxGraph.attrFloat(n, "max", 0f));
    }
    String mask = null;
    if (lo != null) mask = emit("Not", emit("Less", x, lo));
    if (hi != null) {
      String m2 = emit("Not", emit("Greater", x, hi));
      mask = mask == null ? m2 : emit("And", mask, m2);
    }
    return mask == null ? g : emit("Where", mask, g, cf(0f));
  }

  /** Begin pads, resolving auto_pad against the known in/out sizes. */
  private static long[] beginPads(NodeProto n, long[] in, long[] outS, long[] k, long[] s, long[] d) {
    int nd = k.length;
    long[] pb = new long[nd];
    String auto = OnnxGraph.attrString(n, "auto_pad", "NOTSET");
    long[] pads = OnnxGraph.attrInts(n, "pads");
    for (int i = 0; i < nd; i++) {
      long keff = (k[i] - 1) * d[i] + 1;
      long total = Math.max(0, (outS[i] - 1) * s[i] + keff - in[i]);
      pb[i] = switch (auto) {
        case "SAME_UPPER" -> total / 2;
        case "SAME_LOWER" -> total - total / 2;
        case "VALID" -> 0;
        default -> pads == null ? 0 : pads[i];
      };
    }
    return pb;
  }

  private static long[] orOnes(long[] v, int nd) {
    if (v != null) return v;
    long[] r = new long[nd];
    Arrays.fill(r, 1);
    return r;
  }

  /**
   * ConvTranspose pads/output_padding that make the transpose of a window pattern (in -> out) produce exactly
   * {@code in} positions: {pads (2*nd), output_padding (nd)}.
   */
  private static long[][] transposeGeometry(long[] in, long[] outS, long[] k, long[] s, long[] d, long[] pb) {
    int nd = k.length;
    long[] pads = new long[2 * nd];
    long[] op = new long[nd];
    for (int i = 0; i < nd; i++) {
      long keff = (k[i] - 1) * d[i] + 1;
      long rem = s[i] * (outS[i] - 1) + keff - in[i] - pb[i];
      pads[i] = pb[i];
      if (rem >= 0) pads[nd + i] = rem;
      else op[i] = -rem;
    }
    return new long[][] {pads, op};
  }

  private String conv(NodeProto n, String g) {
    String x = n.getInput(0), w = n.getInput(1);
    long[] sx = shape(x), sy = shape(n.getOutput(0)), sw = shape(w);
    int nd = sx.length - 2;
    long[] k = OnnxGraph.attrInts(n, "kernel_shape");
    if (k == null) k = Arrays.copyOfRange(sw, 2, sw.length);
    long[] s = orOnes(OnnxGraph.attrInts(n, "strides"), nd);
    long[] d = orOnes(OnnxGraph.attrInts(n, "dilations"), nd);
    long[] in = Arrays.copyOfRange(sx, 2, sx.length), o = Arrays.copyOfRange(sy, 2, sy.length);
    long[] pb = beginPads(n, in, o, k, s, d);
    long[][] geo = transposeGeometry(in, o, k, s, d, pb);
    return emit("ConvTranspose", new String[] {g, w}, i("group", OnnxGraph.attrInt(n, "group", 1)), ints("kernel_shape", k),
        ints("strides", s), ints("dilations", d), ints("pads", geo[0]), ints("output_padding", geo[1]));
  }

  private String maxPool(NodeProto n, String g, String idx) {
    String x = n.getInput(0);
    long[] k = OnnxGraph.attrInts(n, "kernel_shape");
    long[] s = orOnes(OnnxGraph.attrInts(n, "strides"), k.length);
    long[] d = orOnes(OnnxGraph.attrInts(n, "dilations"), k.length);
    boolean overlap = false;
    for (int i = 0; i < k.length; i++) overlap |= (k[i] - 1) * d[i] + 1 > s[i];
    if (overlap) needsScatterAdd = "overlapping MaxPool";
    String xShape = shapeOf(x, g);
    String zeros = reshape(emit("ConstantOfShape", new String[] {xShape},
        AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
            .setT(floatTensor("zero", new float[] {0f}, new long[] {1})).build()), new long[] {-1});
    String scattered = overlap
        ? emit("ScatterElements", new String[] {zeros, reshape(idx, new long[] {-1}), reshape(g, new long[] {-1})}, i("axis", 0), s("reduction", "add"))
        : emit("ScatterElements", new String[] {zeros, reshape(idx, new long[] {-1}), reshape(g, new long[] {-1})}, i("axis", 0));
    return emit("Reshape", scattered, xShape);
  }

  private String avgPool(NodeProto n, String g) {
    String x = n.getInput(0);
    long[] sx = shape(x), sy = shape(n.getOutput(0));
    int nd = sx.length - 2;
    long[] k = OnnxGraph.attrInts(n, "kernel_shape");
    long[] s = orOnes(OnnxGraph.attrInts(n, "strides"), nd);
    long[] dil = OnnxGraph.attrInts(n, "dilations");
    if (dil != null) for (long v : dil) if (v != 1) throw unsupported(n, "dilations other than 1");
    long[] d = orOnes(null, nd);
    long[] in = Arrays.copyOfRange(sx, 2, sx.length), o = Arrays.copyOfRange(sy, 2, sy.length);
    long[] pb = beginPads(n, in, o, k, s, d);
    long[] pads = OnnxGraph.attrInts(n, "pads");
    String auto = OnnxGraph.attrString(n, "auto_pad", "NOTSET");
    boolean includePad = OnnxGraph.attrInt(n, "count_include_pad", 0) != 0;
    // the divisor of every output position, per axis (window clipped to the input, or to the padded input)
    long[][] cnt = new long[nd][];
    for (int i = 0; i < nd; i++) {
      long pe = auto.equals("NOTSET") ? (pads == null ? 0 : pads[nd + i]) : Math.max(0, (o[i] - 1) * s[i] + k[i] - in[i] - pb[i]);
      cnt[i] = new long[(int) o[i]];
      for (int p = 0; p < o[i]; p++) {
        long st = p * s[i] - pb[i], en = st + k[i];
        long lo = includePad ? -pb[i] : 0, hi = includePad ? in[i] + pe : in[i];
        cnt[i][p] = Math.max(1, Math.min(en, hi) - Math.max(st, lo));
      }
    }
    int total = 1;
    for (long v : o) total *= (int) v;
    float[] wmap = new float[total];
    for (int f = 0; f < total; f++) {
      long c = 1;
      int rem = f;
      for (int i = nd - 1; i >= 0; i--) {
        c *= cnt[i][(int) (rem % o[i])];
        rem /= (int) o[i];
      }
      wmap[f] = 1f / c;
    }
    long[] wdims = new long[nd + 2];
    wdims[0] = 1;
    wdims[1] = 1;
    System.arraycopy(o, 0, wdims, 2, nd);
    String scaled = emit("Mul", g, constTensor("avgpool_divisor", wmap, wdims));
    long channels = sx[1];
    long[] kd = new long[nd + 2];
    kd[0] = channels;
    kd[1] = 1;
    System.arraycopy(k, 0, kd, 2, nd);
    long kn = 1;
    for (long v : kd) kn *= v;
    float[] ones = new float[(int) kn];
    Arrays.fill(ones, 1f);
    long[][] geo = transposeGeometry(in, o, k, s, d, pb);
    return emit("ConvTranspose", new String[] {scaled, constTensor("avgpool_ones", ones, kd)}, i("group", channels),
        ints("kernel_shape", k), ints("strides", s), ints("pads", geo[0]), ints("output_padding", geo[1]));
  }

  /** Constant-mode Pad with non-negative constant pads: the gradient is the un-padded window of g. */
  private String pad(NodeProto n, String g) {
    if (!OnnxGraph.attrString(n, "mode", "constant").equals("constant")) throw unsupported(n, "its input in mode '"
        + OnnxGraph.attrString(n, "mode", "constant") + "' (only constant padding has a rule)");
    long[] pads = opset >= 11 ? (n.getInputCount() > 1 ? constInts(n.getInput(1)) : null) : OnnxGraph.attrInts(n, "pads");
    if (n.getInputCount() > 3 && !n.getInput(3).isEmpty()) throw unsupported(n, "its input with an axes input (opset 18)");
    long[] sx = shape(n.getInput(0));
    int rank = sx.length;
    boolean negative = false;
    if (pads != null) for (long v : pads) negative |= v < 0;
    if (pads == null || negative || dataDep.contains(n.getInput(0))) return padAtRunTime(n, g);
    long[] starts = new long[rank], ends = new long[rank], axes = new long[rank];
    for (int k = 0; k < rank; k++) {
      starts[k] = pads[k];
      ends[k] = pads[k] + sx[k];
      axes[k] = k;
    }
    if (rank > 0 && batchDep.contains(n.getInput(0))) ends[0] = Long.MAX_VALUE; // batch axis: keep all items
    return slice(g, starts, ends, axes);
  }

  /**
   * Constant-mode Pad whose pads are computed (Swin's window padding) or negative (cropping): with p the pads,
   * {@code dx = Slice(Pad(g, max(-p, 0)), max(p_begin, 0), max(p_begin, 0) + shape(x))}: cropped borders come back as
   * zeros, padded ones are cut off.
   */
  private String padAtRunTime(NodeProto n, String g) {
    if (opset < 12) throw unsupported(n, "pads that are not non-negative constants (the rule needs opset >= 12)");
    String x = n.getInput(0);
    int rank = shape(x).length;
    String p = n.getInput(1);
    String zero = ci64(new long[] {0});
    String grown = emit("Pad", g, emit("Max", emit("Neg", p), zero));
    String begin = emit("Max", slice(p, new long[] {0}, new long[] {rank}, new long[] {0}), zero);
    return emit("Slice", grown, begin, emit("Add", begin, emit("Shape", x)));
  }

  private String reduce(NodeProto n, String g) {
    String x = n.getInput(0);
    boolean[] red = reducedAxes(n);
    if (red == null) return g; // noop_with_empty_axes
    long[] sx = shape(x);
    long count = 1;
    for (int i = 0; i < red.length; i++) if (red[i]) count *= sx[i];
    if (n.getOpType().equals("ReduceMean") && dataDep.contains(x)) throw dataDependent(n, x);
    String e = emit("Expand", keepDims(n, g, red), red[0] ? emit("Shape", x) : shapeOf(x, g));
    return n.getOpType().equals("ReduceMean") ? emit("Mul", e, cf(1f / count)) : e;
  }

  /** The axes a Reduce* node reduces (attribute or constant input), or null for a no-op (noop_with_empty_axes). */
  private boolean[] reducedAxes(NodeProto n) {
    int rank = shape(n.getInput(0)).length;
    long[] axes = OnnxGraph.attrInts(n, "axes");
    if (axes == null && n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
      axes = constInts(n.getInput(1));
      if (axes == null) throw unsupported(n, "axes that are not a constant of the graph");
    }
    if (axes == null || axes.length == 0) {
      if (OnnxGraph.attrInt(n, "noop_with_empty_axes", 0) != 0) return null;
      axes = new long[rank];
      for (int i = 0; i < rank; i++) axes[i] = i;
    }
    boolean[] red = new boolean[rank];
    for (long a : axes) red[(int) (a < 0 ? a + rank : a)] = true;
    return red;
  }

  /** {@code t} (shaped like the output of Reduce* node {@code n}) with the reduced axes kept as size 1. */
  private String keepDims(NodeProto n, String t, boolean[] red) {
    if (OnnxGraph.attrInt(n, "keepdims", 1) != 0) return t;
    String x = n.getInput(0);
    if (dataDep.contains(x)) throw dataDependent(n, x);
    long[] sx = shape(x);
    long[] target = new long[sx.length];
    for (int i = 0; i < sx.length; i++) target[i] = red[i] ? 1 : sx[i];
    if (!red[0] && batchDep.contains(x)) target[0] = 0;
    return reshape(t, target);
  }

  /** ReduceMax / ReduceMin: the gradient goes to the extreme entries, shared equally between ties (as PyTorch's amax). */
  private String reduceExtreme(NodeProto n, String g) {
    String x = n.getInput(0);
    boolean[] red = reducedAxes(n);
    if (red == null) return g;
    long[] axes = indicesOf(red);
    String mask = emit("Equal", x, keepDims(n, n.getOutput(0), red));
    String count = reduceKeep("ReduceSum", emit("Cast", new String[] {mask}, i("to", TensorProto.DataType.FLOAT_VALUE)), axes);
    return emit("Where", mask, emit("Div", keepDims(n, g, red), count), cf(0f));
  }

  private static long[] indicesOf(boolean[] b) {
    int c = 0;
    for (boolean v : b) if (v) c++;
    long[] r = new long[c];
    c = 0;
    for (int i = 0; i < b.length; i++) if (b[i]) r[c++] = i;
    return r;
  }

  /** A Reduce* node with keepdims=1 over constant axes, written for this opset (axes became an input of ReduceSum at 13, of the others at 18). */
  private String reduceKeep(String op, String x, long[] axes) {
    boolean axesInput = op.equals("ReduceSum") ? opset >= 13 : opset >= 18;
    if (axesInput) return emit(op, new String[] {x, ci64(axes)}, i("keepdims", 1));
    return emit(op, new String[] {x}, ints("axes", axes), i("keepdims", 1));
  }

  private UnsupportedCapabilityException dataDependent(NodeProto n, String t) {
    return unsupported(n, "'" + t + "', whose shape depends on the data (it is computed from a NonZero or similar)");
  }

  // ------------------------------------------------------------------------------ issue 12 rules (one per operator)

  private String hardSigmoid(NodeProto n, String g) {
    float alpha = OnnxGraph.attrFloat(n, "alpha", 0.2f), beta = OnnxGraph.attrFloat(n, "beta", 0.5f);
    String v = emit("Add", emit("Mul", n.getInput(0), cf(alpha)), cf(beta));
    String inside = emit("And", emit("Greater", v, cf(0f)), emit("Less", v, cf(1f)));
    return emit("Where", inside, emit("Mul", g, cf(alpha)), cf(0f));
  }

  /** HardSwish: x * clip(x/6 + 1/2, 0, 1); derivative 0 below -3, 1 above 3, x/3 + 1/2 between. */
  private String hardSwish(NodeProto n, String g) {
    String x = n.getInput(0);
    String mid = emit("Mul", g, emit("Add", emit("Mul", x, cf(1f / 3)), cf(0.5f)));
    return emit("Where", emit("Less", x, cf(-3f)), cf(0f), emit("Where", emit("Greater", x, cf(3f)), g, mid));
  }

  private void pow(NodeProto n, String g, List<Integer> act, Map<Integer, String> r) {
    String x = n.getInput(0), p = n.getInput(1), y = n.getOutput(0);
    String pf = castTo(p, TensorProto.DataType.FLOAT_VALUE, typeOf(p));
    if (act.contains(0)) {
      float[] pc = constFloats(p);
      String d;
      if (pc != null && pc.length == 1 && pc[0] == 2f) d = emit("Mul", x, cf(2f));   // LayerNorm's (x - mean)^2
      else if (pc != null && pc.length == 1 && pc[0] == 1f) d = null;
      else d = emit("Mul", pf, emit("Pow", x, emit("Sub", pf, cf(1f))));
      r.put(0, unbroadcast(d == null ? g : emit("Mul", g, d), y, x));
    }
    if (act.contains(1)) r.put(1, unbroadcast(emit("Mul", g, emit("Mul", y, emit("Log", x))), y, p));
  }

  /** Min / Max of several inputs: the gradient goes to the inputs equal to the output, shared equally between ties. */
  private void minMax(NodeProto n, String g, List<Integer> act, Map<Integer, String> r) {
    String y = n.getOutput(0);
    if (n.getInputCount() == 1) {
      r.put(0, g);
      return;
    }
    List<String> masks = new ArrayList<>();
    List<String> counts = new ArrayList<>();
    for (int k = 0; k < n.getInputCount(); k++) {
      String m = emit("Equal", n.getInput(k), y);
      masks.add(m);
      counts.add(emit("Cast", new String[] {m}, i("to", TensorProto.DataType.FLOAT_VALUE)));
    }
    String share = emit("Div", g, sum(counts));
    for (int k : act) r.put(k, unbroadcast(emit("Where", masks.get(k), share, cf(0f)), y, n.getInput(k)));
  }

  /** Element type of a tensor: probe type, initializer type, or float. */
  private int typeOf(String t) {
    Integer v = types.get(t);
    if (v != null) return v;
    TensorProto init = graph.initializers.get(t);
    return init != null ? init.getDataType() : TensorProto.DataType.FLOAT_VALUE;
  }

  private String castTo(String t, int type, int current) {
    return type == current ? t : emit("Cast", new String[] {t}, i("to", type));
  }

  /**
   * Slice: with constant starts/ends/axes, unit steps and static shapes the gradient is {@code g} padded back with
   * zeros; otherwise (computed bounds, strides, data-dependent shapes) {@link #selectionGrad}.
   */
  private String sliceGrad(NodeProto n, String g) {
    String x = n.getInput(0);
    long[] starts, ends, axes, steps;
    if (opset < 10) {
      starts = OnnxGraph.attrInts(n, "starts");
      ends = OnnxGraph.attrInts(n, "ends");
      axes = OnnxGraph.attrInts(n, "axes");
      steps = null;
    } else {
      starts = constInts(n.getInput(1));
      ends = constInts(n.getInput(2));
      axes = n.getInputCount() > 3 && !n.getInput(3).isEmpty() ? constInts(n.getInput(3)) : null;
      steps = n.getInputCount() > 4 && !n.getInput(4).isEmpty() ? constInts(n.getInput(4)) : null;
      boolean axesGiven = n.getInputCount() > 3 && !n.getInput(3).isEmpty(), stepsGiven = n.getInputCount() > 4 && !n.getInput(4).isEmpty();
      if ((axesGiven && axes == null) || (stepsGiven && steps == null)) starts = null; // computed: the general path
    }
    long[] pads = null;
    if (starts != null && ends != null && !dataDep.contains(x) && opset >= 11) {
      long[] sx = shape(x);
      int rank = sx.length;
      pads = new long[2 * rank];
      for (int k = 0; k < starts.length && pads != null; k++) {
        int a = (int) (axes == null ? k : (axes[k] < 0 ? axes[k] + rank : axes[k]));
        if (steps != null && steps[k] != 1) {
          pads = null;
          break;
        }
        long dim = sx[a];
        long st = starts[k] < 0 ? starts[k] + dim : starts[k], en = ends[k] < 0 ? ends[k] + dim : ends[k];
        st = Math.max(0, Math.min(dim, st));
        en = Math.max(0, Math.min(dim, en));
        if (a == 0 && batchDep.contains(x)) {
          if (st != 0 || ends[k] < Integer.MAX_VALUE) pads = null; // slicing the batch: the general path
          continue;
        }
        if (en <= st) {
          pads = null;
          break;
        }
        pads[a] += st;
        pads[rank + a] += dim - en;
      }
    }
    if (pads == null) return selectionGrad(n, g, true);
    return emit("Pad", g, ci64(pads));
  }

  /**
   * The gradient of an operator that picks elements of its input 0 (Slice, Gather, GatherElements, GatherND, Tile):
   * the same operator, with the same other inputs and attributes, picks from a tensor of flat indices shaped like the
   * input ({@code Range} reshaped), and the output gradient is scattered to the picked indices ({@code reduction=add}
   * unless every element is picked at most once). Works for computed bounds, strides, negative indices and shapes
   * known only at run time.
   */
  private String selectionGrad(NodeProto n, String g, boolean unique) {
    if (opset < 11) throw unsupported(n, "its input at opset " + opset + " (the rule needs Range, opset >= 11)");
    String x = n.getInput(0);
    String sx = emit("Shape", x);
    String numel = emit("ReduceProd", new String[] {sx}, i("keepdims", 1));
    String iota = emit("Reshape", emit("Range", ci64Scalar(0), emit("Squeeze", numel), ci64Scalar(1)), sx);
    String picked = fresh(n.getOpType() + "_indices");
    NodeProto.Builder copy = n.toBuilder().setName(picked).setInput(0, iota).clearOutput().addOutput(picked);
    for (int k = 1; k < n.getOutputCount(); k++) copy.addOutput("");
    out.add(copy.build());
    String zeros = zeros(numel);
    String flatIdx = reshape(picked, new long[] {-1});
    String flatG = reshape(g, new long[] {-1});
    String scattered;
    if (unique) {
      scattered = emit("ScatterElements", new String[] {zeros, flatIdx, flatG}, i("axis", 0));
    } else {
      if (needsScatterAdd == null) needsScatterAdd = n.getOpType();
      scattered = emit("ScatterElements", new String[] {zeros, flatIdx, flatG}, i("axis", 0), s("reduction", "add"));
    }
    return emit("Reshape", scattered, sx);
  }

  /** Whether the indices (input 1) are a constant of the graph with no value repeated (after resolving negatives). */
  private boolean constantUniqueIndices(NodeProto n) {
    long[] idx = constInts(n.getInput(1));
    if (idx == null) return false;
    long[] sx = shape(n.getInput(0));
    int rank = sx.length;
    long axis = OnnxGraph.attrInt(n, "axis", 0);
    if (axis < 0) axis += rank;
    if (n.getOpType().equals("GatherElements")) return false; // positions repeat across the other axes by construction
    if (axis == 0 && batchDep.contains(n.getInput(0))) return false;
    long dim = sx[(int) axis];
    Set<Long> seen = new HashSet<>();
    for (long v : idx) if (!seen.add(v < 0 ? v + dim : v)) return false;
    return true;
  }

  /**
   * GatherND (batch_dims 0): the gradient is scattered back with ScatterND; indices that come from NonZero (boolean
   * masks) are unique, others are added ({@code reduction=add}).
   */
  private String gatherNd(NodeProto n, String g) {
    if (OnnxGraph.attrInt(n, "batch_dims", 0) != 0) return selectionGrad(n, g, false);
    String x = n.getInput(0), idx = n.getInput(1);
    String zeros = zeros(emit("Shape", x));
    if (fromNonZero(idx)) return emit("ScatterND", zeros, idx, g);
    if (needsScatterAdd == null) needsScatterAdd = "GatherND";
    return emit("ScatterND", new String[] {zeros, idx, g}, s("reduction", "add"));
  }

  /** Whether integer tensor {@code t} is NonZero's output, possibly transposed or reshaped (so its rows are unique). */
  private boolean fromNonZero(String t) {
    Integer p = graph.producer.get(t);
    while (p != null) {
      NodeProto n = graph.nodes.get(p);
      switch (n.getOpType()) {
        case "NonZero" -> {
          return true;
        }
        case "Transpose", "Identity" -> p = graph.producer.get(n.getInput(0));
        default -> p = null;
      }
    }
    return false;
  }

  /**
   * ScatterND / ScatterElements (reduction none or add): the data's gradient is g with the overwritten entries set to
   * zero (none) or g itself (add); the updates' gradient is g gathered at the indices.
   */
  private void scatter(NodeProto n, String g, List<Integer> act, Map<Integer, String> r) {
    boolean nd = n.getOpType().equals("ScatterND");
    String idx = n.getInput(1);
    String reduction = OnnxGraph.attrString(n, "reduction", "none");
    if (!reduction.equals("none") && !reduction.equals("add")) throw unsupported(n, "its inputs with reduction=" + reduction);
    AttributeProto axis = i("axis", OnnxGraph.attrInt(n, "axis", 0));
    String gUpdates = nd ? emit("GatherND", g, idx) : emit("GatherElements", new String[] {g, idx}, axis);
    if (act.contains(0)) {
      if (reduction.equals("add")) {
        r.put(0, g);
      } else {
        String z = zeros(emit("Shape", gUpdates));
        r.put(0, nd ? emit("ScatterND", g, idx, z) : emit("ScatterElements", new String[] {g, idx, z}, axis));
      }
    }
    if (act.contains(2)) r.put(2, gUpdates);
  }

  /** TopK values: the gradient goes back to the positions the indices output names. */
  private String topK(NodeProto n, String g) {
    String x = n.getInput(0);
    int rank = shape(x).length;
    long axis = OnnxGraph.attrInt(n, "axis", -1);
    if (axis < 0) axis += rank;
    String z = zeros(axis != 0 ? shapeOf(x, g) : emit("Shape", x));
    return emit("ScatterElements", new String[] {z, n.getOutput(1), g}, i("axis", axis));
  }

  /** Split: the input's gradient is the outputs' gradients concatenated, zeros for outputs without one. */
  private Map<Integer, String> multiRule(NodeProto n, List<String> outGrads) {
    if (!n.getOpType().equals("Split")) throw unsupported(n, "its outputs");
    int rank = shape(n.getInput(0)).length;
    long axis = OnnxGraph.attrInt(n, "axis", 0);
    if (axis < 0) axis += rank;
    String ref = null;
    for (String gk : outGrads) if (gk != null && ref == null) ref = gk;
    if (ref == null) return Map.of();
    List<String> parts = new ArrayList<>();
    for (int k = 0; k < n.getOutputCount(); k++) {
      String gk = outGrads.get(k);
      String o = n.getOutput(k);
      parts.add(gk != null ? gk : zeros(axis != 0 ? shapeOf(o, ref) : emit("Shape", o)));
    }
    return Map.of(0, parts.size() == 1 ? parts.get(0) : emit("Concat", parts.toArray(String[]::new), i("axis", axis)));
  }

  /**
   * LayerNormalization over axes [axis, rank): with x^ = (x - mean) * inv and gh = g * scale,
   * {@code dx = inv * (gh - mean(gh) - x^ * mean(gh * x^))}; scale and bias (when computed from the layer) get
   * {@code sum(g * x^)} and {@code sum(g)} over the broadcast axes.
   */
  private void layerNorm(NodeProto n, String g, List<Integer> act, Map<Integer, String> r) {
    String x = n.getInput(0), y = n.getOutput(0);
    int rank = shape(x).length;
    long axis = OnnxGraph.attrInt(n, "axis", -1);
    if (axis < 0) axis += rank;
    long[] axes = new long[rank - (int) axis];
    for (int k = 0; k < axes.length; k++) axes[k] = axis + k;
    String mean = reduceKeep("ReduceMean", x, axes);
    String xc = emit("Sub", x, mean);
    String var = reduceKeep("ReduceMean", emit("Mul", xc, xc), axes);
    String inv = emit("Reciprocal", emit("Sqrt", emit("Add", var, cf(OnnxGraph.attrFloat(n, "epsilon", 1e-5f)))));
    String xhat = emit("Mul", xc, inv);
    if (act.contains(0)) {
      String gh = emit("Mul", g, n.getInput(1));
      String m1 = reduceKeep("ReduceMean", gh, axes);
      String m2 = reduceKeep("ReduceMean", emit("Mul", gh, xhat), axes);
      r.put(0, emit("Mul", inv, emit("Sub", emit("Sub", gh, m1), emit("Mul", xhat, m2))));
    }
    if (act.contains(1)) r.put(1, unbroadcast(emit("Mul", g, xhat), y, n.getInput(1)));
    if (act.contains(2) && n.getInputCount() > 2 && !n.getInput(2).isEmpty()) r.put(2, unbroadcast(g, y, n.getInput(2)));
  }

  /**
   * Resize (nearest or linear, any coordinate transformation but tf_crop_and_resize): per resized axis the forward
   * is a constant linear map {@code y = M x} (M: out x in, built here exactly as ONNX Runtime samples), so the
   * gradient is {@code g M} along that axis (a MatMul with the axis moved last).
   */
  private String resize(NodeProto n, String g) {
    String x = n.getInput(0), y = n.getOutput(0);
    if (dataDep.contains(x)) throw dataDependent(n, x);
    String mode = OnnxGraph.attrString(n, "mode", "nearest");
    if (!mode.equals("nearest") && !mode.equals("linear")) throw unsupported(n, "its input in mode '" + mode + "' (nearest and linear have a rule)");
    String ct = opset < 11 ? "asymmetric" : OnnxGraph.attrString(n, "coordinate_transformation_mode", "half_pixel");
    if (ct.equals("tf_crop_and_resize")) throw unsupported(n, "its input with coordinate_transformation_mode=tf_crop_and_resize");
    if (OnnxGraph.attrInt(n, "antialias", 0) != 0) throw unsupported(n, "its input with antialias=1");
    String nearestMode = OnnxGraph.attrString(n, "nearest_mode", "round_prefer_floor");
    long[] sx = shape(x), sy = shape(y);
    int rank = sx.length;
    float[] scales = null;
    String scalesName = opset < 11 ? (n.getInputCount() > 1 ? n.getInput(1) : "") : (n.getInputCount() > 2 ? n.getInput(2) : "");
    if (!scalesName.isEmpty()) {
      scales = constFloats(scalesName);
      if (scales != null && scales.length == 0) scales = null;
    }
    long[] axesAttr = OnnxGraph.attrInts(n, "axes");
    String cur = g;
    for (int a = 0; a < rank; a++) {
      int si = a;
      if (axesAttr != null) {
        si = -1;
        for (int k = 0; k < axesAttr.length; k++) if ((axesAttr[k] < 0 ? axesAttr[k] + rank : axesAttr[k]) == a) si = k;
      }
      float scale = scales != null && si >= 0 && si < scales.length ? scales[si] : (float) sy[a] / sx[a];
      if (a == 0 && batchDep.contains(x)) {
        if (scale != 1f) throw unsupported(n, "its input resized along the batch axis");
        continue;
      }
      double[][] m = resizeMatrix((int) sx[a], (int) sy[a], scale, mode, ct, nearestMode);
      if (isIdentity(m)) continue;
      float[] flat = new float[(int) (sy[a] * sx[a])];
      for (int o = 0; o < sy[a]; o++) for (int k = 0; k < sx[a]; k++) flat[(int) (o * sx[a] + k)] = (float) m[o][k];
      String mat = constTensor("resize_matrix", flat, new long[] {sy[a], sx[a]});
      if (a == rank - 1) {
        cur = emit("MatMul", cur, mat);
      } else {
        long[] perm = new long[rank];
        for (int k = 0; k < rank; k++) perm[k] = k;
        perm[a] = rank - 1;
        perm[rank - 1] = a;
        cur = emit("Transpose", new String[] {emit("MatMul", emit("Transpose", new String[] {cur}, ints("perm", perm)), mat)}, ints("perm", perm));
      }
    }
    return cur;
  }

  /** M[o][i]: the weight of input i in output o along one axis, as ONNX Runtime's Resize computes it. */
  static double[][] resizeMatrix(int in, int outN, float scale, String mode, String ct, String nearestMode) {
    double[][] m = new double[outN][in];
    for (int o = 0; o < outN; o++) {
      float xo = switch (ct) {
        case "half_pixel" -> (o + 0.5f) / scale - 0.5f;
        case "pytorch_half_pixel" -> outN > 1 ? (o + 0.5f) / scale - 0.5f : 0f;
        case "align_corners" -> outN == 1 ? 0f : o * (float) (in - 1) / (outN - 1);
        case "tf_half_pixel_for_nn" -> (o + 0.5f) / scale;
        default -> o / scale; // asymmetric
      };
      if (mode.equals("nearest")) {
        double fl = Math.floor(xo);
        long idx = switch (nearestMode) {
          case "floor" -> (long) fl;
          case "ceil" -> (long) Math.ceil(xo);
          case "round_prefer_ceil" -> xo == fl + 0.5 ? (long) fl + 1 : Math.round(xo);
          default -> xo == fl + 0.5 ? (long) fl : Math.round(xo); // round_prefer_floor
        };
        idx = Math.max(0, Math.min(in - 1, idx));
        m[o][(int) idx] += 1;
      } else {
        float xc = Math.max(0f, Math.min(xo, in - 1));
        int i1 = Math.min((int) xc, in - 1), i2 = Math.min(i1 + 1, in - 1);
        double d1 = Math.abs(xc - i1), d2 = Math.abs(xc - i2);
        if (i1 == i2) {
          d1 = 0.5;
          d2 = 0.5;
        }
        m[o][i1] += d2;
        m[o][i2] += d1;
      }
    }
    return m;
  }

  private static boolean isIdentity(double[][] m) {
    if (m.length != m[0].length) return false;
    for (int o = 0; o < m.length; o++) for (int k = 0; k < m.length; k++) if (m[o][k] != (o == k ? 1 : 0)) return false;
    return true;
  }

  private String zeros(String shape) {
    return emit("ConstantOfShape", new String[] {shape},
        AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
            .setT(floatTensor("zero", new float[] {0f}, new long[] {1})).build());
  }

  private float[] constFloats(String name) {
    TensorProto t = constant(name);
    if (t == null || t.getDataType() != TensorProto.DataType.FLOAT_VALUE) return null;
    if (t.getFloatDataCount() > 0) {
      float[] r = new float[t.getFloatDataCount()];
      for (int k = 0; k < r.length; k++) r[k] = t.getFloatData(k);
      return r;
    }
    ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    float[] r = new float[b.remaining() / 4];
    for (int k = 0; k < r.length; k++) r[k] = b.getFloat();
    return r;
  }

  /** The value of an initializer or a Constant node's output, or null. */
  private TensorProto constant(String name) {
    TensorProto t = graph.initializers.get(name);
    if (t == null) {
      Integer p = graph.producer.get(name);
      if (p != null && graph.nodes.get(p).getOpType().equals("Constant")) {
        AttributeProto a = OnnxGraph.attr(graph.nodes.get(p), "value");
        if (a != null) t = a.getT();
      }
    }
    return t;
  }

  private long[] constInts(String name) {
    TensorProto t = constant(name);
    if (t == null) return null;
    if (t.getInt64DataCount() > 0) return t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
    if (t.getDataType() == TensorProto.DataType.INT32_VALUE) {
      if (t.getInt32DataCount() > 0) return t.getInt32DataList().stream().mapToLong(Integer::longValue).toArray();
      ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      long[] r = new long[b.remaining() / 4];
      for (int k = 0; k < r.length; k++) r[k] = b.getInt();
      return r;
    }
    if (t.getDataType() != TensorProto.DataType.INT64_VALUE) return null;
    ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    long[] r = new long[b.remaining() / 8];
    for (int i = 0; i < r.length; i++) r[i] = b.getLong();
    return r;
  }

  private void gemm(NodeProto n, String g, List<Integer> act, Map<Integer, String> r) {
    long ta = OnnxGraph.attrInt(n, "transA", 0), tb = OnnxGraph.attrInt(n, "transB", 0);
    float alpha = OnnxGraph.attrFloat(n, "alpha", 1f), beta = OnnxGraph.attrFloat(n, "beta", 1f);
    String a = n.getInput(0), b = n.getInput(1);
    String zero = cf(0f);
    if (act.contains(0)) {
      r.put(0, ta == 0
          ? emit("Gemm", new String[] {g, b, zero}, f("alpha", alpha), i("transA", 0), i("transB", 1 - tb))
          : emit("Gemm", new String[] {b, g, zero}, f("alpha", alpha), i("transA", tb), i("transB", 1)));
    }
    if (act.contains(1)) {
      r.put(1, tb == 0
          ? emit("Gemm", new String[] {a, g, zero}, f("alpha", alpha), i("transA", 1 - ta), i("transB", 0))
          : emit("Gemm", new String[] {g, a, zero}, f("alpha", alpha), i("transA", 1), i("transB", ta)));
    }
    if (act.contains(2)) {
      String gc = beta == 1f ? g : emit("Mul", g, cf(beta));
      r.put(2, unbroadcast(gc, n.getOutput(0), n.getInput(2)));
    }
  }

  private void matmul(NodeProto n, String g, List<Integer> act, Map<Integer, String> r) {
    String a = n.getInput(0), b = n.getInput(1), y = n.getOutput(0);
    long[] sa = shape(a), sb = shape(b), sy = shape(y);
    if (sa.length < 2 || sb.length < 2) {
      throw unsupported(n, "a 1-D operand (only matrix and batched-matrix MatMul have a rule)");
    }
    if (act.contains(0)) {
      String ga = emit("MatMul", g, transposeLast(b, sb.length));
      long[] gs = sy.clone();
      gs[gs.length - 1] = sa[sa.length - 1];
      r.put(0, unbroadcast(ga, gs, batchDep.contains(y), a));
    }
    if (act.contains(1)) {
      String gb = emit("MatMul", transposeLast(a, sa.length), g);
      long[] gs = sy.clone();
      gs[gs.length - 2] = sb[sb.length - 2];
      r.put(1, unbroadcast(gb, gs, batchDep.contains(y), b));
    }
  }

  private String transposeLast(String t, int rank) {
    long[] perm = new long[rank];
    for (int i = 0; i < rank; i++) perm[i] = i;
    perm[rank - 1] = rank - 2;
    perm[rank - 2] = rank - 1;
    return emit("Transpose", new String[] {t}, ints("perm", perm));
  }

  // ------------------------------------------------------------------------------------------- helpers

  private long[] shape(String t) {
    long[] s = shapes.get(t);
    if (s == null) {
      TensorProto init = graph.initializers.get(t);
      if (init != null) return init.getDimsList().stream().mapToLong(Long::longValue).toArray();
      throw new IllegalStateException("no shape known for tensor '" + t + "' (layer '" + layer + "')");
    }
    return s;
  }

  /**
   * The runtime shape of {@code x} without reading {@code x}: its static shape with the batch taken from {@code g}
   * (a gradient whose first axis is the same batch). Keeps forward tensors out of the backward pass's inputs.
   */
  private String shapeOf(String x, String g) {
    if (dataDep.contains(x)) return emit("Shape", x);
    long[] s = shape(x);
    if (!batchDep.contains(x) || s.length == 0) return ci64(s);
    String n = slice(emit("Shape", g), new long[] {0}, new long[] {1}, new long[] {0});
    if (s.length == 1) return n;
    return emit("Concat", new String[] {n, ci64(Arrays.copyOfRange(s, 1, s.length))}, i("axis", 0));
  }

  private String unbroadcast(String g, String c, String a) {
    if (dataDep.contains(c) || dataDep.contains(a)) return unbroadcastAtRunTime(g, shape(c).length, a);
    return unbroadcast(g, shape(c), batchDep.contains(c), a);
  }

  /**
   * {@link #unbroadcast} for shapes known only at run time (data-dependent): ranks are static, so leading axes are
   * summed as usual; the axes along which {@code a} has extent 1 are found at run time and summed with a computed
   * axes input ({@code noop_with_empty_axes}).
   */
  private String unbroadcastAtRunTime(String g, int rc, String a) {
    int ra = shape(a).length;
    if (opset < 13) throw new UnsupportedCapabilityException("cannot compute gradients at layer '" + layer + "': broadcasting"
        + " a tensor whose shape depends on the data ('" + a + "') needs opset >= 13", Set.of(org.xcam.api.Capability.VJP));
    String r = g;
    if (rc > ra) {
      long[] lead = new long[rc - ra];
      for (int k = 0; k < lead.length; k++) lead[k] = k;
      r = reduceSum(r, lead, false);
    }
    if (ra == 0) return r;
    String sa = emit("Shape", a);
    String one = ci64(new long[] {1});
    String mask = emit("And", emit("Equal", sa, one), emit("Not", emit("Equal", emit("Shape", r), one)));
    String axes = reshape(emit("NonZero", mask), new long[] {-1});
    r = emit("ReduceSum", new String[] {r, axes}, i("keepdims", 1), i("noop_with_empty_axes", 1));
    return emit("Reshape", r, sa);
  }

  /** Sums {@code g} (shaped like {@code sc}) over the axes along which {@code a} was broadcast, reshaped to {@code a}. */
  private String unbroadcast(String g, long[] sc, boolean cBatch, String a) {
    long[] sa = shape(a);
    boolean aBatch = batchDep.contains(a);
    int rc = sc.length, ra = sa.length;
    List<Long> axes = new ArrayList<>();
    for (int i = 0; i < rc; i++) {
      int j = i - (rc - ra);
      if (j < 0) {
        axes.add((long) i);
      } else if (sa[j] == 1 && sc[i] != 1) {
        axes.add((long) i);
      } else if (i == 0 && j == 0 && sa[j] == 1 && cBatch && !aBatch) {
        axes.add(0L);
      }
    }
    if (axes.isEmpty() && rc == ra) return g;
    String r = g;
    if (!axes.isEmpty()) r = reduceSum(g, axes.stream().mapToLong(Long::longValue).toArray(), true);
    long[] target = sa.clone();
    if (aBatch && ra == rc && ra > 0) target[0] = 0;
    return reshape(r, target);
  }

  private String reduceSum(String x, long[] axes, boolean keep) {
    if (opset >= 13) return emit("ReduceSum", new String[] {x, ci64(axes)}, i("keepdims", keep ? 1 : 0));
    return emit("ReduceSum", new String[] {x}, ints("axes", axes), i("keepdims", keep ? 1 : 0));
  }

  private String slice(String x, long[] starts, long[] ends, long[] axes) {
    if (opset >= 10) return emit("Slice", x, ci64(starts), ci64(ends), ci64(axes));
    return emit("Slice", new String[] {x}, ints("starts", starts), ints("ends", ends), ints("axes", axes));
  }

  private String reshape(String x, long[] shape) {
    return emit("Reshape", x, ci64(shape));
  }

  private String sum(List<String> gs) {
    return gs.size() == 1 ? gs.get(0) : emit("Sum", gs.toArray(String[]::new));
  }

  private String fresh(String hint) {
    return prefix + hint + "_" + (counter++);
  }

  private String emit(String op, String... inputs) {
    return emit(op, inputs, new AttributeProto[0]);
  }

  private String emit(String op, String[] inputs, AttributeProto... attrs) {
    String o = fresh(op);
    NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).setName(o).addOutput(o);
    for (String in : inputs) b.addInput(in);
    for (AttributeProto a : attrs) b.addAttribute(a);
    out.add(b.build());
    return o;
  }

  private String cf(float v) {
    return constCache.computeIfAbsent("f" + Float.floatToIntBits(v), k -> {
      String name = fresh("const");
      consts.add(floatTensor(name, new float[] {v}, new long[0]));
      return name;
    });
  }

  private String ci64(long[] v) {
    return constCache.computeIfAbsent("i" + Arrays.toString(v), k -> {
      String name = fresh("const");
      ByteBuffer bb = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
      for (long x : v) bb.putLong(x);
      consts.add(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE).addDims(v.length)
          .setRawData(ByteString.copyFrom(bb.array())).build());
      return name;
    });
  }

  private String ci64Scalar(long v) {
    return constCache.computeIfAbsent("s" + v, k -> {
      String name = fresh("const");
      ByteBuffer bb = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
      consts.add(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE)
          .setRawData(ByteString.copyFrom(bb.array())).build());
      return name;
    });
  }

  private String constTensor(String hint, float[] v, long[] dims) {
    String name = fresh(hint);
    consts.add(floatTensor(name, v, dims));
    return name;
  }

  static TensorProto floatTensor(String name, float[] v, long[] dims) {
    ByteBuffer bb = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) bb.putFloat(x);
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
        .setRawData(ByteString.copyFrom(bb.array()));
    for (long d : dims) t.addDims(d);
    return t.build();
  }

  static AttributeProto i(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
  }

  static AttributeProto f(String name, float v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
  }

  static AttributeProto s(String name, String v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(v)).build();
  }

  static AttributeProto ints(String name, long[] v) {
    AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long x : v) b.addInts(x);
    return b.build();
  }
}
