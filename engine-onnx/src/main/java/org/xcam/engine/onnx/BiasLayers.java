package org.xcam.engine.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xcam.api.BiasGradients;
import org.xcam.api.Tensor;
import org.xcam.engine.onnx.proto.OnnxProto.AttributeProto;
import org.xcam.engine.onnx.proto.OnnxProto.NodeProto;
import org.xcam.engine.onnx.proto.OnnxProto.TensorProto;
import org.xcam.engine.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * FullGrad's bias layers of an ONNX graph ({@link org.xcam.api.Capability#BIAS_GRADIENTS}): every Conv with a
 * constant bias and every inference-mode BatchNormalization that writes a 4-D tensor on the path from the input to the
 * output, with its effective per-channel bias (a batch norm's {@code beta - mean * gamma / sqrt(var + eps)}), and one
 * backward graph that returns the input gradient and the gradient at each of their outputs.
 */
final class BiasLayers implements AutoCloseable {
  private static final String PREFIX = "xcam::bias/";

  /** One bias layer: the tensor it writes and its effective bias. */
  record Layer(String tensor, float[] bias) { }

  private final List<Layer> layers;
  private final TwoPhase graphs;
  private final String out;

  private BiasLayers(List<Layer> layers, TwoPhase graphs, String out) {
    this.layers = layers;
    this.graphs = graphs;
    this.out = out;
  }

  static BiasLayers build(OnnxModel m, List<Integer> tail, ValueInfoProto inputInfo, ValueInfoProto outputInfo,
                          ValueInfoProto seedInfo, String gradIn, String gradOut) {
    String input = m.graph.inputName(), out = m.graph.outputName();
    Set<String> active = Autodiff.active(m.graph, tail, input, m.types);
    List<Layer> layers = new ArrayList<>();
    for (int i : tail) {
      NodeProto n = m.graph.nodes.get(i);
      String y = n.getOutputCount() > 0 ? n.getOutput(0) : "";
      long[] s = m.shapes.get(y);
      if (s == null || s.length != 4 || !active.contains(y)) continue;
      float[] bias = null;
      if (n.getOpType().equals("Conv") && n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
        bias = floats(m.graph, n.getInput(2));
      } else if (n.getOpType().equals("BatchNormalization") && OnnxGraph.attrInt(n, "training_mode", 0) == 0) {
        float[] gamma = floats(m.graph, n.getInput(1)), beta = floats(m.graph, n.getInput(2));
        float[] mean = floats(m.graph, n.getInput(3)), var = floats(m.graph, n.getInput(4));
        if (gamma != null && beta != null && mean != null && var != null) {
          float eps = OnnxGraph.attrFloat(n, "epsilon", 1e-5f);
          bias = new float[beta.length];
          for (int c = 0; c < bias.length; c++) bias[c] = (float) (beta[c] - mean[c] * gamma[c] / Math.sqrt(var[c] + eps));
        }
      }
      if (bias != null && bias.length == s[1]) layers.add(new Layer(y, bias));
    }
    List<String> names = layers.stream().map(Layer::tensor).toList();
    Autodiff.Extended x = Autodiff.build(m.graph, tail, input, out, gradIn, m.shapes, m.types, m.batchDep, "input",
        new Autodiff.Options(names, null));
    Autodiff.Result r = x.result();
    List<NodeProto> bwd = new ArrayList<>(r.backward());
    bwd.add(identity(r.gradName(), gradOut));
    List<ValueInfoProto> bwdOut = new ArrayList<>(List.of(OnnxGraph.floatInfo(gradOut, new long[] {-1, -1, -1, -1}, "batch")));
    for (String t : names) {
      bwd.add(identity(x.alsoGradients().get(t), PREFIX + t));
      bwdOut.add(OnnxGraph.typedInfo(PREFIX + t, TensorProto.DataType.FLOAT_VALUE));
    }
    Map<String, Integer> types = new LinkedHashMap<>(m.types);
    types.putAll(r.tapeTypes());
    TwoPhase g = TwoPhase.build(m, "bias-gradient graph", r.forward(), bwd, r.constants(), r.opset(), List.of(inputInfo),
        List.of(outputInfo), List.of(seedInfo), bwdOut, types);
    return new BiasLayers(layers, g, out);
  }

  BiasGradients run(Tensor input, java.util.function.Function<Tensor, Tensor> seed, String inputName, String gradIn, String gradOut,
                    java.util.function.BiConsumer<Tensor, Integer> checkSeed) {
    Map<String, Tensor> r = graphs.run(Map.of(inputName, input), res -> {
      Tensor y = res.get(out);
      Tensor s = seed.apply(y);
      checkSeed.accept(s, y.dim(0));
      return Map.of(gradIn, s);
    });
    List<BiasGradients.Layer> l = new ArrayList<>();
    for (Layer b : layers) l.add(new BiasGradients.Layer(b.tensor(), b.bias(), r.get(PREFIX + b.tensor())));
    return new BiasGradients(r.get(out), r.get(gradOut), l);
  }

  private static NodeProto identity(String from, String to) {
    return NodeProto.newBuilder().setOpType("Identity").setName(to).addInput(from).addOutput(to).build();
  }

  /** A float initializer's (or Constant node's) values, or null when it is neither. */
  static float[] floats(OnnxGraph g, String name) {
    TensorProto t = g.initializers.get(name);
    if (t == null) {
      Integer p = g.producer.get(name);
      if (p != null && g.nodes.get(p).getOpType().equals("Constant")) {
        AttributeProto a = OnnxGraph.attr(g.nodes.get(p), "value");
        if (a != null) t = a.getT();
      }
    }
    if (t == null || t.getDataType() != TensorProto.DataType.FLOAT_VALUE) return null;
    if (t.getFloatDataCount() > 0) {
      float[] r = new float[t.getFloatDataCount()];
      for (int i = 0; i < r.length; i++) r[i] = t.getFloatData(i);
      return r;
    }
    ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    float[] r = new float[b.remaining() / 4];
    for (int i = 0; i < r.length; i++) r[i] = b.getFloat();
    return r;
  }

  @Override public void close() { graphs.close(); }
}
