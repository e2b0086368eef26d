package org.xcam.engine.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.xcam.api.EngineException;
import org.xcam.api.Tensor;
import org.xcam.engine.onnx.proto.OnnxProto.ModelProto;
import org.xcam.engine.onnx.proto.OnnxProto.NodeProto;
import org.xcam.engine.onnx.proto.OnnxProto.TensorProto;
import org.xcam.engine.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * A generated graph split into two sessions so that Java can compute seeds between them: the forward part (its
 * inputs -> named results plus the "tape", every forward tensor the backward part reads) and the backward part (tape,
 * forward inputs it reads, seeds -> results). One forward and one backward run per call, whatever the seeds depend
 * on. Used by the second-order, swapped-rule and bias-gradient graphs ({@link OnnxLayer#tailWithGradient} keeps its
 * own, older split).
 */
final class TwoPhase implements AutoCloseable {
  private final OnnxModel m;
  private final String what;
  private final OrtSession fwd, bwd;
  private final List<String> fwdInputs, fwdResults, tape, bwdFromFwdInputs, bwdSeeds, bwdResults;

  private TwoPhase(OnnxModel m, String what, OrtSession fwd, OrtSession bwd, List<String> fwdInputs, List<String> fwdResults,
                   List<String> tape, List<String> bwdFromFwdInputs, List<String> bwdSeeds, List<String> bwdResults) {
    this.m = m;
    this.what = what;
    this.fwd = fwd;
    this.bwd = bwd;
    this.fwdInputs = fwdInputs;
    this.fwdResults = fwdResults;
    this.tape = tape;
    this.bwdFromFwdInputs = bwdFromFwdInputs;
    this.bwdSeeds = bwdSeeds;
    this.bwdResults = bwdResults;
  }

  /**
   * Builds both sessions. {@code fwdIn}: the forward part's inputs (float, batch first); {@code fwdOut}: results
   * Java reads after the forward part; {@code bwdSeeds}: inputs Java computes between the parts (float
   * {@code [N, ...]}); {@code bwdOut}: the backward part's results. The tape is found from the nodes: every tensor
   * the backward nodes read that the forward nodes produce. {@code types} gives element types of tape tensors
   * (default float).
   */
  static TwoPhase build(OnnxModel m, String what, List<NodeProto> fwdNodes, List<NodeProto> bwdNodes, List<TensorProto> consts,
                        int opset, List<ValueInfoProto> fwdIn, List<ValueInfoProto> fwdOut, List<ValueInfoProto> bwdSeeds,
                        List<ValueInfoProto> bwdOut, Map<String, Integer> types) {
    Set<String> fwdProduced = new HashSet<>();
    for (NodeProto n : fwdNodes) fwdProduced.addAll(n.getOutputList());
    Set<String> fwdInNames = new HashSet<>();
    for (ValueInfoProto v : fwdIn) fwdInNames.add(v.getName());
    Set<String> seedNames = new HashSet<>();
    for (ValueInfoProto v : bwdSeeds) seedNames.add(v.getName());
    Set<String> bwdProduced = new HashSet<>();
    for (NodeProto n : bwdNodes) bwdProduced.addAll(n.getOutputList());
    List<String> tape = new ArrayList<>();
    List<String> fromInputs = new ArrayList<>();
    for (NodeProto n : bwdNodes) {
      for (String in : OnnxGraph.allInputs(n)) {
        if (in.isEmpty() || seedNames.contains(in) || bwdProduced.contains(in)) continue;
        if (fwdProduced.contains(in) && !tape.contains(in)) tape.add(in);
        else if (fwdInNames.contains(in) && !fromInputs.contains(in)) fromInputs.add(in);
      }
    }
    List<ValueInfoProto> fo = new ArrayList<>(fwdOut);
    Set<String> fwdOutNames = new HashSet<>();
    for (ValueInfoProto v : fwdOut) fwdOutNames.add(v.getName());
    List<ValueInfoProto> bi = new ArrayList<>();
    for (String t : tape) {
      ValueInfoProto info = OnnxGraph.typedInfo(t, types.getOrDefault(t, TensorProto.DataType.FLOAT_VALUE));
      if (!fwdOutNames.contains(t)) fo.add(info);
      bi.add(info);
    }
    for (ValueInfoProto v : fwdIn) if (fromInputs.contains(v.getName())) bi.add(v);
    bi.addAll(bwdSeeds);
    ModelProto fm = m.graph.subModel("_fwd2", List.of(), fwdNodes, List.of(), fwdIn, fo, opset);
    ModelProto bm = m.graph.subModel("_bwd2", List.of(), bwdNodes, consts, bi, bwdOut, opset);
    OrtSession f = m.ort.session(fm, "forward part of the " + what);
    OrtSession b;
    try {
      b = m.ort.session(bm, "backward part of the " + what);
    } catch (RuntimeException e) {
      try {
        f.close();
      } catch (OrtException ignored) {
        // closing after a failure
      }
      throw e;
    }
    return new TwoPhase(m, what, f, b, fwdIn.stream().map(ValueInfoProto::getName).toList(),
        fwdOut.stream().map(ValueInfoProto::getName).toList(), tape, fromInputs,
        bwdSeeds.stream().map(ValueInfoProto::getName).toList(), bwdOut.stream().map(ValueInfoProto::getName).toList());
  }

  /** Forward results, then backward results (by name), for one batch. */
  Map<String, Tensor> run(Map<String, Tensor> inputs, Function<Map<String, Tensor>, Map<String, Tensor>> seeds) {
    int n = inputs.values().iterator().next().dim(0);
    if (m.fixedBatch && n > 1) { // a model fixed at batch 1: item by item
      List<Map<String, Tensor>> per = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Map<String, Tensor> one = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) one.put(e.getKey(), e.getValue().slice(i, i + 1));
        per.add(run(one, seeds));
      }
      Map<String, Tensor> out = new LinkedHashMap<>();
      for (String k : per.get(0).keySet()) {
        List<Tensor> items = new ArrayList<>();
        for (Map<String, Tensor> p : per) items.add(p.get(k));
        out.put(k, Tensor.concat(items));
      }
      return out;
    }
    Map<String, OnnxTensor> feed = new LinkedHashMap<>();
    try {
      for (String in : fwdInputs) feed.put(in, m.ort.tensor(inputs.get(in)));
      Set<String> fetch = new HashSet<>(fwdResults);
      fetch.addAll(tape);
      try (OrtSession.Result fr = fwd.run(feed, fetch)) {
        Map<String, Tensor> results = new LinkedHashMap<>();
        for (String r : fwdResults) results.put(r, OrtSupport.toTensor(fr.get(r).orElseThrow(), r));
        Map<String, Tensor> s = seeds.apply(results);
        Map<String, OnnxTensor> bfeed = new LinkedHashMap<>();
        for (String t : tape) bfeed.put(t, (OnnxTensor) fr.get(t).orElseThrow());
        for (String t : bwdFromFwdInputs) bfeed.put(t, feed.get(t));
        List<OnnxTensor> made = new ArrayList<>();
        try {
          for (String sd : bwdSeeds) {
            OnnxTensor ot = m.ort.tensor(s.get(sd));
            made.add(ot);
            bfeed.put(sd, ot);
          }
          try (OrtSession.Result br = bwd.run(bfeed, new HashSet<>(bwdResults))) {
            for (String r : bwdResults) results.put(r, OrtSupport.toTensor(br.get(r).orElseThrow(), r));
          }
        } finally {
          for (OnnxTensor t : made) t.close();
        }
        return results;
      }
    } catch (OrtException e) {
      throw new EngineException("ONNX Runtime failed on the " + what + ": " + OrtSupport.firstLine(e.getMessage()), e);
    } finally {
      for (OnnxTensor t : feed.values()) t.close();
    }
  }

  @Override public void close() {
    for (OrtSession s : new OrtSession[] {fwd, bwd}) {
      try {
        s.close();
      } catch (OrtException e) {
        // closing: nothing to do
      }
    }
  }
}
