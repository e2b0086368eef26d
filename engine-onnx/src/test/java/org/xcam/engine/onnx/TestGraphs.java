package org.xcam.engine.onnx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.xcam.engine.onnx.proto.OnnxProto.AttributeProto;
import org.xcam.engine.onnx.proto.OnnxProto.GraphProto;
import org.xcam.engine.onnx.proto.OnnxProto.ModelProto;
import org.xcam.engine.onnx.proto.OnnxProto.NodeProto;
import org.xcam.engine.onnx.proto.OnnxProto.OperatorSetIdProto;
import org.xcam.engine.onnx.proto.OnnxProto.TensorProto;

/**
 * Small ONNX graphs written with the protobuf builders: graph input "in" [batch, C, H, W], an Identity to "x" (a
 * produced 4-D tensor, so the plain-file loader has a layer to cut at), the nodes under test reading "x", and an
 * Identity to output "y" [batch, K].
 */
final class TestGraphs {
  final List<NodeProto> nodes = new ArrayList<>();
  final List<TensorProto> inits = new ArrayList<>();
  final int[] inShape;
  int opset = 13;
  private int counter;
  private final SplittableRandom rnd;

  TestGraphs(long seed, int... chw) {
    this.inShape = chw;
    this.rnd = new SplittableRandom(seed);
  }

  String op(String type, List<String> inputs, AttributeProto... attrs) {
    String out = type.toLowerCase() + "_" + (counter++);
    NodeProto.Builder b = NodeProto.newBuilder().setOpType(type).setName(out).addOutput(out);
    inputs.forEach(b::addInput);
    for (AttributeProto a : attrs) b.addAttribute(a);
    nodes.add(b.build());
    return out;
  }

  String op(String type, String input, AttributeProto... attrs) { return op(type, List.of(input), attrs); }

  /** A random float initializer. */
  String weight(double scale, long... dims) {
    int n = 1;
    for (long d : dims) n *= (int) d;
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = (float) (scale * rnd.nextGaussian());
    return constant(v, dims);
  }

  String constant(float[] v, long... dims) {
    String name = "w_" + (counter++);
    inits.add(Autodiff.floatTensor(name, v, dims));
    return name;
  }

  String positive(double lo, double hi, long... dims) {
    int n = 1;
    for (long d : dims) n *= (int) d;
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
    return constant(v, dims);
  }

  /** The model reading "x" and returning {@code last} (renamed "y" by an Identity). */
  ModelProto model(String last) {
    nodes.add(0, NodeProto.newBuilder().setOpType("Identity").setName("x").addInput("in").addOutput("x").build());
    nodes.add(NodeProto.newBuilder().setOpType("Identity").setName("y").addInput(last).addOutput("y").build());
    GraphProto g = GraphProto.newBuilder().setName("test").addAllNode(nodes).addAllInitializer(inits)
        .addInput(OnnxGraph.floatInfo("in", new long[] {-1, inShape[0], inShape[1], inShape[2]}, "batch"))
        .addOutput(OnnxGraph.floatInfo("y", new long[] {-1, -1}, "batch")).build();
    return ModelProto.newBuilder().setIrVersion(7).setProducerName("xcam-test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).setGraph(g).build();
  }

  static Path write(ModelProto m, Path dir, String name) {
    try {
      Path f = dir.resolve(name + ".onnx");
      Files.write(f, m.toByteArray());
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static AttributeProto i(String n, long v) { return Autodiff.i(n, v); }
  static AttributeProto f(String n, float v) { return Autodiff.f(n, v); }
  static AttributeProto s(String n, String v) { return Autodiff.s(n, v); }
  static AttributeProto ints(String n, long... v) { return Autodiff.ints(n, v); }
}
