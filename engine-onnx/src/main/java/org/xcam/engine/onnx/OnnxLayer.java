package org.xcam.engine.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.xcam.api.EngineException;
import org.xcam.api.InvalidInputException;
import org.xcam.api.BackwardRule;
import org.xcam.api.LayerHook;
import org.xcam.api.SecondOrder;
import org.xcam.api.TailGradient;
import org.xcam.api.Tensor;
import org.xcam.engine.onnx.proto.OnnxProto.ModelProto;
import org.xcam.engine.onnx.proto.OnnxProto.NodeProto;
import org.xcam.engine.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * The model cut at one ONNX tensor. Four graphs are cut out of the model once (lazily, then cached with their
 * sessions): the head (input -> tensor), the tail (tensor -> output), the gradient graph (tensor, dY -> output, dL:
 * the tail followed by its generated backward pass, see {@link Autodiff}), and for {@link #tailWithGradient} the same
 * graph split in two: a forward part that also returns what the backward part reads (its "tape"), and the backward
 * part. So tail-and-gradient costs one tail forward plus one backward, with the objective's seed computed in Java
 * between them; {@link #vjp} (seed known up front) is a single session run.
 */
final class OnnxLayer implements LayerHook, AutoCloseable {
  static final String GRAD_IN = "xcam::dY";
  static final String GRAD_OUT = "xcam::grad";

  private final OnnxModel m;
  private final String name;
  private final String tensor;
  private final boolean isInput;
  private final int[] shape; // without the batch axis
  private OrtSession head, tail, grad, fwdTape, bwdTape;
  private List<String> tapeNames;
  private Autodiff.Result ad;
  private TwoPhase hvp;
  private final Map<BackwardRule, TwoPhase> swapped = new java.util.EnumMap<>(BackwardRule.class);
  private BiasLayers bias;

  OnnxLayer(OnnxModel m, String name, String tensor) {
    this.m = m;
    this.name = name;
    this.tensor = tensor;
    this.isInput = tensor.equals(m.graph.inputName());
    long[] s = m.shapes.get(tensor);
    this.shape = new int[s.length - 1];
    for (int i = 1; i < s.length; i++) shape[i - 1] = (int) s[i];
  }

  @Override public String name() { return name; }

  /** The ONNX tensor this layer cuts at. */
  String tensor() { return tensor; }

  private long[] dims() {
    long[] d = new long[shape.length + 1];
    d[0] = m.fixedBatch ? 1 : -1;
    for (int i = 0; i < shape.length; i++) d[i + 1] = shape[i];
    return d;
  }

  private ValueInfoProto layerInfo() {
    return OnnxGraph.floatInfo(tensor, dims(), "batch");
  }

  private ValueInfoProto outputInfo() {
    return m.graph.model.getGraph().getOutput(0);
  }

  private List<Integer> tailNodes() {
    return m.graph.closure(List.of(m.graph.outputName()), Set.of(tensor));
  }

  private synchronized OrtSession head() {
    if (head == null) {
      List<Integer> idx = m.graph.closure(List.of(tensor), Set.of(m.graph.inputName()));
      ModelProto hm = m.graph.subModel("_head", idx, List.of(), List.of(), List.of(m.graph.inputs.get(0)), List.of(layerInfo()), 0);
      head = m.ort.session(hm, "head graph of layer '" + name + "'");
    }
    return head;
  }

  private synchronized OrtSession tailSession() {
    if (tail == null) {
      ModelProto tm = m.graph.subModel("_tail", tailNodes(), List.of(), List.of(), List.of(layerInfo()), List.of(outputInfo()), 0);
      tail = m.ort.session(tm, "tail graph of layer '" + name + "'");
    }
    return tail;
  }

  /** The backward graph (built once; raises UnsupportedCapabilityException naming the operator). */
  synchronized Autodiff.Result backward() {
    if (ad == null) {
      try {
        ad = Autodiff.build(m.graph, tailNodes(), tensor, m.graph.outputName(), GRAD_IN, m.shapes, m.types, m.batchDep, name);
      } catch (Autodiff.Unsupported e) {
        throw m.withAdvice(e, name);
      }
    }
    return ad;
  }

  private NodeProto gradIdentity(Autodiff.Result r) {
    return NodeProto.newBuilder().setOpType("Identity").setName(GRAD_OUT).addInput(r.gradName()).addOutput(GRAD_OUT).build();
  }

  private ValueInfoProto gradInInfo() {
    return OnnxGraph.floatInfo(GRAD_IN, new long[] {m.fixedBatch ? 1 : -1, m.info.numOutputs()}, "batch");
  }

  /** The single-run gradient model: (L, dY) -> (Y, dL). Package-private for tests and the benchmark. */
  ModelProto gradModel() {
    Autodiff.Result r = backward();
    List<NodeProto> nodes = new ArrayList<>(r.forward());
    nodes.addAll(r.backward());
    nodes.add(gradIdentity(r));
    return m.graph.subModel("_grad", List.of(), nodes, r.constants(), List.of(layerInfo(), gradInInfo()),
        List.of(outputInfo(), OnnxGraph.floatInfo(GRAD_OUT, dims(), "batch")), r.opset());
  }

  private synchronized OrtSession gradSession() {
    if (grad == null) grad = m.ort.session(gradModel(), "gradient graph of layer '" + name + "'");
    return grad;
  }

  private synchronized void tapeSessions() {
    if (fwdTape != null) return;
    Autodiff.Result r = backward();
    tapeNames = new ArrayList<>();
    List<ValueInfoProto> tapeOut = new ArrayList<>(List.of(outputInfo()));
    List<ValueInfoProto> tapeIn = new ArrayList<>(List.of(layerInfo()));
    for (Map.Entry<String, Integer> e : r.tapeTypes().entrySet()) {
      String t = e.getKey();
      if (t.equals(tensor)) continue;
      int type = m.types.getOrDefault(t, e.getValue());
      tapeNames.add(t);
      if (!t.equals(m.graph.outputName())) tapeOut.add(OnnxGraph.typedInfo(t, type));
      tapeIn.add(OnnxGraph.typedInfo(t, type));
    }
    tapeIn.add(gradInInfo());
    ModelProto fm = m.graph.subModel("_fwd", List.of(), r.forward(), List.of(), List.of(layerInfo()), tapeOut, r.opset());
    List<NodeProto> bn = new ArrayList<>(r.backward());
    bn.add(gradIdentity(r));
    ModelProto bm = m.graph.subModel("_bwd", List.of(), bn, r.constants(), tapeIn,
        List.of(OnnxGraph.floatInfo(GRAD_OUT, dims(), "batch")), r.opset());
    fwdTape = m.ort.session(fm, "forward-with-tape graph of layer '" + name + "'");
    bwdTape = m.ort.session(bm, "backward graph of layer '" + name + "'");
  }

  @Override public Tensor activation(Tensor input) {
    m.checkOpen();
    m.checkInput(input);
    if (isInput) return input;
    return m.run(head(), Map.of(m.graph.inputName(), input), tensor);
  }

  @Override public Tensor tail(Tensor activation) {
    m.checkOpen();
    checkActivation(activation);
    if (isInput) return m.forward(activation);
    return m.run(tailSession(), Map.of(tensor, activation), m.graph.outputName());
  }

  @Override public Tensor vjp(Tensor activation, Tensor gradOutput) {
    m.checkOpen();
    checkActivation(activation);
    checkGradOutput(gradOutput, activation.dim(0));
    backward();
    Map<String, Tensor> in = new LinkedHashMap<>();
    in.put(tensor, activation);
    in.put(GRAD_IN, gradOutput);
    return m.run(gradSession(), in, GRAD_OUT);
  }

  /** Tail output and gradient from one single-run gradient graph (seed known up front). */
  TailGradient tailAndVjp(Tensor activation, Tensor gradOutput) {
    m.checkOpen();
    checkActivation(activation);
    checkGradOutput(gradOutput, activation.dim(0));
    backward();
    Map<String, Tensor> in = new LinkedHashMap<>();
    in.put(tensor, activation);
    in.put(GRAD_IN, gradOutput);
    List<Tensor> r = m.runAll(gradSession(), in, List.of(m.graph.outputName(), GRAD_OUT));
    return new TailGradient(r.get(0), r.get(1));
  }

  @Override public TailGradient tailWithGradient(Tensor activation, Function<Tensor, Tensor> seed) {
    m.checkOpen();
    checkActivation(activation);
    backward();
    if (m.fixedBatch && activation.dim(0) > 1) return LayerHook.super.tailWithGradient(activation, seed);
    tapeSessions();
    String out = m.graph.outputName();
    OnnxTensor a = m.ort.tensor(activation);
    Set<String> fetch = new HashSet<>(tapeNames);
    fetch.add(out);
    try (a; OrtSession.Result fr = fwdTape.run(Map.of(tensor, a), fetch)) {
      Tensor y = OrtSupport.toTensor(fr.get(out).orElseThrow(), out);
      Tensor gy = seed.apply(y);
      checkGradOutput(gy, activation.dim(0));
      Map<String, OnnxTensor> feed = new LinkedHashMap<>();
      feed.put(tensor, a);
      for (String t : tapeNames) feed.put(t, (OnnxTensor) fr.get(t).orElseThrow());
      try (OnnxTensor g = m.ort.tensor(gy)) {
        feed.put(GRAD_IN, g);
        try (OrtSession.Result br = bwdTape.run(feed, Set.of(GRAD_OUT))) {
          return new TailGradient(y, OrtSupport.toTensor(br.get(GRAD_OUT).orElseThrow(), GRAD_OUT));
        }
      }
    } catch (OrtException e) {
      throw new EngineException("ONNX Runtime failed on the gradient of layer '" + name + "': " + OrtSupport.firstLine(e.getMessage()), e);
    }
  }

  /** The forward-over-reverse graphs of the exact Hessian-vector product (built once). */
  synchronized TwoPhase hvpGraphs() {
    if (hvp == null) {
      hvp = HessianVectorGraph.build(m, name, tensor, backward(), layerInfo(), outputInfo(), gradInInfo(), GRAD_IN, GRAD_OUT);
    }
    return hvp;
  }

  /**
   * Exact Hessian-vector product, forward-over-reverse ({@link HessianVectorGraph}): one run of the tail with its
   * tangents along {@code v}, then one run of the backward graph with its tangents; Java computes the seed and its
   * tangent in between.
   */
  @Override public SecondOrder tailWithHessianVector(Tensor activation, Tensor v, Function<Tensor, Tensor> seed,
                                                     BiFunction<Tensor, Tensor, Tensor> seedTangent) {
    m.checkOpen();
    checkActivation(activation);
    if (v == null || !Arrays.equals(v.shape(), activation.shape())) {
      throw new InvalidInputException("the Hessian-vector direction v has shape " + (v == null ? "null" : Arrays.toString(v.shape()))
          + " but the activation has " + Arrays.toString(activation.shape()) + "; pass one direction per activation row");
    }
    TwoPhase g = hvpGraphs();
    Map<String, Tensor> in = new LinkedHashMap<>();
    in.put(tensor, activation);
    in.put(HessianVectorGraph.V, v);
    String out = m.graph.outputName();
    Map<String, Tensor> r = g.run(in, res -> {
      Tensor y = res.get(out);
      Tensor s = seed.apply(y);
      checkGradOutput(s, y.dim(0));
      Tensor u = seedTangent == null ? null : seedTangent.apply(y, res.get(HessianVectorGraph.JV));
      if (u == null) u = Tensor.zeros(s.shape());
      checkGradOutput(u, y.dim(0));
      Map<String, Tensor> seeds = new LinkedHashMap<>();
      seeds.put(GRAD_IN, s);
      seeds.put(HessianVectorGraph.SEED_TANGENT, u);
      return seeds;
    });
    return new SecondOrder(r.get(out), r.get(GRAD_OUT), r.get(HessianVectorGraph.HV));
  }

  /** The graphs of a swapped backward rule (built once per rule). */
  synchronized TwoPhase swappedGraphs(BackwardRule rule) {
    TwoPhase g = swapped.get(rule);
    if (g == null) {
      g = SwappedRules.build(m, name, tensor, tailNodes(), rule, layerInfo(), outputInfo(), gradInInfo(), GRAD_IN, GRAD_OUT);
      swapped.put(rule, g);
    }
    return g;
  }

  @Override public TailGradient tailWithRule(Tensor activation, Tensor reference, BackwardRule rule, Function<Tensor, Tensor> seed) {
    m.checkOpen();
    checkActivation(activation);
    if (rule == BackwardRule.DEEPLIFT_RESCALE) {
      if (reference == null || !Arrays.equals(reference.shape(), activation.shape())) {
        throw new InvalidInputException("DeepLift needs a reference (baseline) of the activation's shape " + Arrays.toString(activation.shape())
            + ", got " + (reference == null ? "none" : Arrays.toString(reference.shape())));
      }
      checkActivation(reference);
    }
    backward();
    TwoPhase g = swappedGraphs(rule);
    Map<String, Tensor> in = new LinkedHashMap<>();
    in.put(tensor, activation);
    if (rule == BackwardRule.DEEPLIFT_RESCALE) in.put(SwappedRules.REF + tensor, reference);
    String out = m.graph.outputName();
    Map<String, Tensor> r = g.run(in, res -> {
      Tensor y = res.get(out);
      Tensor s = seed.apply(y);
      checkGradOutput(s, y.dim(0));
      return Map.of(GRAD_IN, s);
    });
    return new TailGradient(r.get(out), r.get(GRAD_OUT));
  }

  /** The bias layers and their gradient graph (input layer only; built once). */
  synchronized BiasLayers biasLayers() {
    if (bias == null) bias = BiasLayers.build(m, tailNodes(), layerInfo(), outputInfo(), gradInInfo(), GRAD_IN, GRAD_OUT);
    return bias;
  }

  org.xcam.api.BiasGradients biasGradients(Tensor input, Function<Tensor, Tensor> seed) {
    m.checkOpen();
    m.checkInput(input);
    backward();
    return biasLayers().run(input, seed, tensor, GRAD_IN, GRAD_OUT, this::checkGradOutput);
  }

  org.xcam.api.Attention attention(Tensor input, Function<Tensor, Tensor> seed, AttentionBlocks blocks) {
    m.checkOpen();
    m.checkInput(input);
    backward();
    return blocks.run(input, seed, tailNodes(), layerInfo(), outputInfo(), gradInInfo(), GRAD_IN, this::checkGradOutput);
  }

  private void checkActivation(Tensor a) {
    int[] s = a.shape();
    if (s.length != shape.length + 1 || !Arrays.equals(Arrays.copyOfRange(s, 1, s.length), shape) || s[0] < 1) {
      throw new InvalidInputException("activation of shape " + Arrays.toString(s) + " does not fit layer '" + name + "', which is [N, "
          + Arrays.toString(shape).replace("[", "") + "; pass what activation(x) returns");
    }
    if (!a.isFinite()) throw new InvalidInputException("activation for layer '" + name + "' has a non-finite value at flat index " + a.firstNonFinite());
  }

  private void checkGradOutput(Tensor g, int n) {
    int[] s = g.shape();
    if (s.length != 2 || s[0] != n || s[1] != m.info.numOutputs()) {
      throw new InvalidInputException("gradient of the output has shape " + Arrays.toString(s) + " but model '" + m.info.name()
          + "' has outputs [" + n + ", " + m.info.numOutputs() + "]");
    }
    if (!g.isFinite()) throw new InvalidInputException("gradient of the output has a non-finite value at flat index " + g.firstNonFinite());
  }

  @Override public synchronized void close() {
    for (OrtSession s : new OrtSession[] {head, tail, grad, fwdTape, bwdTape}) {
      if (s != null) {
        try {
          s.close();
        } catch (OrtException e) {
          // closing: nothing to do
        }
      }
    }
    head = tail = grad = fwdTape = bwdTape = null;
    if (hvp != null) hvp.close();
    hvp = null;
    for (TwoPhase g : swapped.values()) g.close();
    swapped.clear();
    if (bias != null) bias.close();
    bias = null;
  }

  @Override public String toString() { return "OnnxLayer[" + name + " = " + tensor + " " + Arrays.toString(shape) + "]"; }
}
