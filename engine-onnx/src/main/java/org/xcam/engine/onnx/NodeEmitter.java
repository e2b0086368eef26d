package org.xcam.engine.onnx;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xcam.engine.onnx.proto.OnnxProto.AttributeProto;
import org.xcam.engine.onnx.proto.OnnxProto.NodeProto;
import org.xcam.engine.onnx.proto.OnnxProto.TensorProto;

/**
 * Appends ONNX nodes and constants with fresh names under one prefix: the small toolkit the second-order
 * ({@link Tangents}) and rule-swapping ({@link SwappedRules}) graph builders share. Kept apart from {@link Autodiff}
 * (whose own emitter is private) so those builders do not touch the reverse-mode rules.
 */
final class NodeEmitter {
  final List<NodeProto> nodes = new ArrayList<>();
  final List<TensorProto> constants = new ArrayList<>();
  private final Map<String, String> constCache = new HashMap<>();
  private final String prefix;
  private final int opset;
  private int counter;

  NodeEmitter(String prefix, int opset) {
    this.prefix = prefix;
    this.opset = opset;
  }

  int opset() { return opset; }

  String fresh(String hint) { return prefix + hint + "_" + (counter++); }

  String emit(String op, String... inputs) { return emit(op, inputs, new AttributeProto[0]); }

  String emit(String op, String[] inputs, AttributeProto... attrs) {
    String o = fresh(op);
    NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).setName(o).addOutput(o);
    for (String in : inputs) b.addInput(in);
    for (AttributeProto a : attrs) b.addAttribute(a);
    nodes.add(b.build());
    return o;
  }

  /** A copy of {@code n} with new inputs, attributes kept, one fresh output. */
  String copy(NodeProto n, String... inputs) {
    String o = fresh(n.getOpType());
    NodeProto.Builder b = NodeProto.newBuilder().setOpType(n.getOpType()).setDomain(n.getDomain()).setName(o).addOutput(o)
        .addAllAttribute(n.getAttributeList());
    for (String in : inputs) b.addInput(in);
    nodes.add(b.build());
    return o;
  }

  void add(NodeProto n) { nodes.add(n); }

  /** A float scalar constant. */
  String cf(float v) {
    return constCache.computeIfAbsent("f" + Float.floatToIntBits(v), k -> {
      String name = fresh("const");
      constants.add(Autodiff.floatTensor(name, new float[] {v}, new long[0]));
      return name;
    });
  }

  /** An int64 vector constant. */
  String ci64(long[] v) {
    return constCache.computeIfAbsent("i" + Arrays.toString(v), k -> {
      String name = fresh("const");
      ByteBuffer bb = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
      for (long x : v) bb.putLong(x);
      constants.add(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE).addDims(v.length)
          .setRawData(ByteString.copyFrom(bb.array())).build());
      return name;
    });
  }

  /** Float zeros shaped like {@code x} (at run time). */
  String zerosLike(String x) {
    return emit("ConstantOfShape", new String[] {emit("Shape", x)}, AttributeProto.newBuilder().setName("value")
        .setType(AttributeProto.AttributeType.TENSOR).setT(Autodiff.floatTensor("zero", new float[] {0f}, new long[] {1})).build());
  }

  String reshape(String x, long[] shape) { return emit("Reshape", x, ci64(shape)); }

  String reduceSum(String x, long[] axes, boolean keep) {
    if (opset >= 13) return emit("ReduceSum", new String[] {x, ci64(axes)}, Autodiff.i("keepdims", keep ? 1 : 0));
    return emit("ReduceSum", new String[] {x}, Autodiff.ints("axes", axes), Autodiff.i("keepdims", keep ? 1 : 0));
  }
}
