package org.xcam.engine.onnx;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.xcam.api.Attention;
import org.xcam.api.Tensor;
import org.xcam.engine.onnx.proto.OnnxProto.ModelProto;
import org.xcam.engine.onnx.proto.OnnxProto.NodeProto;
import org.xcam.engine.onnx.proto.OnnxProto.TensorProto;
import org.xcam.engine.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * The attention blocks of an ONNX graph ({@link org.xcam.api.Capability#ATTENTION}): every Softmax over the last axis
 * of a 4-D tensor {@code [N, heads, T, T]} (square in its last two axes) on the path from the input to the output, as
 * {@code softmax(q k^T / sqrt(d))} is exported by torch.onnx for ViT/DeiT attention. Windowed attention (Swin) has a
 * batch axis of {@code N * windows}, not {@code N}, and is not listed. Two graphs, built lazily: the model with the
 * probabilities as extra outputs (one forward), and the model with its generated backward graph returning the
 * gradient at each Softmax output too ({@link Autodiff.Options#alsoGradients}, one forward and one backward).
 */
final class AttentionBlocks implements AutoCloseable {
  private static final String PREFIX = "xcam::attn-grad/";

  private final OnnxModel m;
  private final List<Attention.Layer> layers;
  /** The Softmax output tensor of each layer (the layer's name unless a bundle manifest names the blocks). */
  private final List<String> tensors;
  private OrtSession probs;
  private TwoPhase grads;

  private AttentionBlocks(OnnxModel m, List<Attention.Layer> layers, List<String> tensors) {
    this.m = m;
    this.layers = layers;
    this.tensors = tensors;
  }

  /** Finds the blocks (cheap: a scan of the nodes with the probed shapes). */
  static AttentionBlocks find(OnnxModel m, Object manifestBlocks) {
    OnnxGraph g = m.graph;
    List<Integer> all = g.closure(List.of(g.outputName()), Set.of(g.inputName()));
    Set<String> active = Autodiff.active(g, all, g.inputName(), m.types);
    List<Attention.Layer> found = new ArrayList<>();
    for (int i : all) {
      NodeProto n = g.nodes.get(i);
      if (!n.getOpType().equals("Softmax") || n.getOutputCount() == 0) continue;
      String y = n.getOutput(0);
      long[] s = m.shapes.get(y);
      if (s == null || s.length != 4 || s[2] != s[3] || s[2] < 2 || s[1] < 1 || !active.contains(y)) continue;
      if (s[0] != 1) continue; // shapes are probed at batch 1; windowed attention has [N * windows, heads, w, w]
      long axis = OnnxGraph.attrInt(n, "axis", g.opset >= 13 ? -1 : 1);
      if (axis != -1 && axis != 3) continue;
      found.add(new Attention.Layer(y, (int) s[1], (int) s[2]));
    }
    List<String> tensors = found.stream().map(Attention.Layer::name).toList();
    return new AttentionBlocks(m, named(found, manifestBlocks), tensors);
  }

  /**
   * The blocks under the bundle manifest's names ({@code "attention": {"layers": [{"name", "shape"}...]}}, written by
   * the exporter in the same graph order) when they match one for one in shape; else under their tensor names.
   */
  private static List<Attention.Layer> named(List<Attention.Layer> found, Object manifestBlocks) {
    if (!(manifestBlocks instanceof Map<?, ?> am) || !(am.get("layers") instanceof List<?> ls) || ls.size() != found.size()) return List.copyOf(found);
    List<Attention.Layer> out = new ArrayList<>();
    for (int i = 0; i < ls.size(); i++) {
      Attention.Layer f = found.get(i);
      if (!(ls.get(i) instanceof Map<?, ?> l) || !(l.get("name") instanceof String name) || !(l.get("shape") instanceof List<?> sh)
          || sh.size() != 3 || ((Number) sh.get(0)).intValue() != f.heads() || ((Number) sh.get(1)).intValue() != f.tokens()) {
        return List.copyOf(found);
      }
      out.add(new Attention.Layer(name, f.heads(), f.tokens()));
    }
    return List.copyOf(out);
  }

  List<Attention.Layer> layers() { return layers; }

  private ValueInfoProto info(String tensor, Attention.Layer l) {
    return OnnxGraph.floatInfo(tensor, new long[] {m.fixedBatch ? 1 : -1, l.heads(), l.tokens(), l.tokens()}, "batch");
  }

  private synchronized OrtSession probabilities() {
    if (probs == null) {
      OnnxGraph g = m.graph;
      List<String> targets = new ArrayList<>(List.of(g.outputName()));
      List<ValueInfoProto> outs = new ArrayList<>(List.of(g.model.getGraph().getOutput(0)));
      for (int i = 0; i < layers.size(); i++) {
        targets.add(tensors.get(i));
        outs.add(info(tensors.get(i), layers.get(i)));
      }
      ModelProto pm = g.subModel("_attn", g.closure(targets, Set.of(g.inputName())), List.of(), List.of(),
          List.of(g.inputs.get(0)), outs, 0);
      probs = m.ort.session(pm, "attention-probability graph");
    }
    return probs;
  }

  private synchronized TwoPhase gradients(List<Integer> tail, ValueInfoProto inputInfo, ValueInfoProto outputInfo,
                                          ValueInfoProto seedInfo, String gradIn) {
    if (grads == null) {
      List<String> names = tensors;
      Autodiff.Extended x = Autodiff.build(m.graph, tail, m.graph.inputName(), m.graph.outputName(), gradIn, m.shapes, m.types,
          m.batchDep, "input", new Autodiff.Options(names, null));
      Autodiff.Result r = x.result();
      List<NodeProto> bwd = new ArrayList<>(r.backward());
      List<ValueInfoProto> bwdOut = new ArrayList<>();
      for (String t : names) {
        String to = PREFIX + t;
        bwd.add(NodeProto.newBuilder().setOpType("Identity").setName(to).addInput(x.alsoGradients().get(t)).addOutput(to).build());
        bwdOut.add(OnnxGraph.typedInfo(to, TensorProto.DataType.FLOAT_VALUE));
      }
      List<ValueInfoProto> fwdOut = new ArrayList<>(List.of(outputInfo));
      for (int i = 0; i < layers.size(); i++) fwdOut.add(info(tensors.get(i), layers.get(i)));
      Map<String, Integer> types = new LinkedHashMap<>(m.types);
      types.putAll(r.tapeTypes());
      grads = TwoPhase.build(m, "attention-gradient graph", r.forward(), bwd, r.constants(), r.opset(), List.of(inputInfo),
          fwdOut, List.of(seedInfo), bwdOut, types);
    }
    return grads;
  }

  /** Probabilities only: one run of the model with extra outputs. */
  Attention run(Tensor input) {
    List<String> names = new ArrayList<>(List.of(m.graph.outputName()));
    names.addAll(tensors);
    List<Tensor> r = m.runAll(probabilities(), Map.of(m.graph.inputName(), input), names);
    List<Attention.Block> blocks = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) blocks.add(new Attention.Block(layers.get(i), r.get(i + 1), null));
    return new Attention(r.get(0), blocks);
  }

  /** Probabilities and their gradients for {@code s = seed(output)}: one forward and one backward run. */
  Attention run(Tensor input, Function<Tensor, Tensor> seed, List<Integer> tail, ValueInfoProto inputInfo,
                ValueInfoProto outputInfo, ValueInfoProto seedInfo, String gradIn, java.util.function.BiConsumer<Tensor, Integer> checkSeed) {
    TwoPhase g = gradients(tail, inputInfo, outputInfo, seedInfo, gradIn);
    String out = m.graph.outputName();
    Map<String, Tensor> r = g.run(Map.of(m.graph.inputName(), input), res -> {
      Tensor y = res.get(out);
      Tensor s = seed.apply(y);
      checkSeed.accept(s, y.dim(0));
      return Map.of(gradIn, s);
    });
    List<Attention.Block> blocks = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      String t = tensors.get(i);
      blocks.add(new Attention.Block(layers.get(i), r.get(t), r.get(PREFIX + t)));
    }
    return new Attention(r.get(out), blocks);
  }

  @Override public synchronized void close() {
    if (probs != null) {
      try {
        probs.close();
      } catch (OrtException e) {
        // closing: nothing to do
      }
    }
    probs = null;
    if (grads != null) grads.close();
    grads = null;
  }
}
