package org.xcam.engine.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xcam.api.ModelLoadException;
import org.xcam.engine.onnx.proto.OnnxProto.AttributeProto;
import org.xcam.engine.onnx.proto.OnnxProto.GraphProto;
import org.xcam.engine.onnx.proto.OnnxProto.ModelProto;
import org.xcam.engine.onnx.proto.OnnxProto.NodeProto;
import org.xcam.engine.onnx.proto.OnnxProto.StringStringEntryProto;
import org.xcam.engine.onnx.proto.OnnxProto.TensorProto;
import org.xcam.engine.onnx.proto.OnnxProto.TensorShapeProto;
import org.xcam.engine.onnx.proto.OnnxProto.TypeProto;
import org.xcam.engine.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * An ONNX model read with protobuf-java, and the graph surgery xcam needs: the sub-graph that computes one tensor
 * from the input (the <em>head</em>), the sub-graph that computes the outputs from that tensor (the <em>tail</em>),
 * and whether a tensor is a clean cut (the tail needs nothing from the input but that tensor).
 *
 * <p>Sub-models are built with {@code toBuilder()} on the original messages, so model-level fields (opset imports,
 * functions, metadata), the initializers' bytes and any fields this schema version does not know are carried over
 * untouched. External-data initializers are inlined once at load (ORT cannot resolve relative data files for a model
 * given as bytes).
 */
final class OnnxGraph {
  final ModelProto model;
  final Path file;
  /** Nodes in topological order (ONNX requires it; checked at load). */
  final List<NodeProto> nodes;
  final Map<String, Integer> producer = new HashMap<>();
  final Map<String, TensorProto> initializers = new HashMap<>();
  /** The graph inputs that are not initializers (the real inputs), in order. */
  final List<ValueInfoProto> inputs = new ArrayList<>();
  final int opset;

  private OnnxGraph(ModelProto model, Path file) {
    this.model = model;
    this.file = file;
    GraphProto g = model.getGraph();
    this.nodes = List.copyOf(g.getNodeList());
    for (TensorProto t : g.getInitializerList()) initializers.put(t.getName(), t);
    for (ValueInfoProto v : g.getInputList()) if (!initializers.containsKey(v.getName())) inputs.add(v);
    int op = -1;
    for (var o : model.getOpsetImportList()) if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) op = (int) o.getVersion();
    this.opset = op;
    Set<String> known = new HashSet<>(initializers.keySet());
    for (ValueInfoProto v : g.getInputList()) known.add(v.getName());
    for (int i = 0; i < nodes.size(); i++) {
      NodeProto n = nodes.get(i);
      for (String in : allInputs(n)) {
        if (!in.isEmpty() && !known.contains(in)) {
          throw new ModelLoadException("ONNX model " + file + ": node '" + n.getName() + "' (" + n.getOpType() + ") reads '" + in
              + "' before any node produces it (not topologically sorted or truncated); re-export the model");
        }
      }
      for (String out : n.getOutputList()) {
        if (!out.isEmpty()) {
          producer.put(out, i);
          known.add(out);
        }
      }
    }
  }

  /** Reads, parses and checks an ONNX file; inlines external data. Errors are one-line {@link ModelLoadException}s. */
  static OnnxGraph read(Path file) {
    if (!Files.isRegularFile(file)) throw new ModelLoadException("ONNX model " + file + " does not exist; pass a .onnx file or a bundle directory");
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ModelLoadException("cannot read ONNX model " + file + ": " + e.getMessage(), e);
    }
    if (bytes.length == 0) throw new ModelLoadException("ONNX model " + file + " is empty; re-export it");
    ModelProto m;
    try {
      m = ModelProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new ModelLoadException("file " + file + " is not an ONNX model or is truncated (" + e.getMessage()
          + "); pass a complete .onnx file exported with torch.onnx.export", e);
    }
    if (!m.hasGraph() || m.getIrVersion() <= 0 || m.getOpsetImportCount() == 0 || m.getGraph().getNodeCount() == 0
        || m.getGraph().getOutputCount() == 0 || m.getGraph().getInputCount() == 0) {
      throw new ModelLoadException("file " + file + " is not an ONNX model (no graph, IR version, opset, nodes, inputs or outputs)"
          + "; pass a .onnx file exported with torch.onnx.export");
    }
    m = inlineExternalData(m, file);
    return new OnnxGraph(m, file);
  }

  /** Wraps an in-memory model (tests, generated graphs). */
  static OnnxGraph of(ModelProto m, Path file) {
    return new OnnxGraph(m, file);
  }

  private static ModelProto inlineExternalData(ModelProto m, Path file) {
    GraphProto g = m.getGraph();
    boolean any = false;
    for (TensorProto t : g.getInitializerList()) any |= t.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
    if (!any) return m;
    Path dir = file.toAbsolutePath().getParent();
    GraphProto.Builder gb = g.toBuilder();
    for (int i = 0; i < gb.getInitializerCount(); i++) {
      TensorProto t = gb.getInitializer(i);
      if (t.getDataLocation() != TensorProto.DataLocation.EXTERNAL) continue;
      String location = null;
      long offset = 0, length = -1;
      for (StringStringEntryProto kv : t.getExternalDataList()) {
        switch (kv.getKey()) {
          case "location" -> location = kv.getValue();
          case "offset" -> offset = Long.parseLong(kv.getValue());
          case "length" -> length = Long.parseLong(kv.getValue());
          default -> { }
        }
      }
      if (location == null) throw new ModelLoadException("ONNX model " + file + ": initializer '" + t.getName() + "' is external but names no file; re-export it");
      Path data = dir.resolve(location).normalize();
      if (!Files.isRegularFile(data)) {
        throw new ModelLoadException("ONNX model " + file + " keeps its weights in external data file '" + location
            + "', which is missing (expected at " + data + "); copy it next to the model");
      }
      try (RandomAccessFile raf = new RandomAccessFile(data.toFile(), "r")) {
        long len = length >= 0 ? length : raf.length() - offset;
        if (offset + len > raf.length() || len > Integer.MAX_VALUE) {
          throw new ModelLoadException("ONNX model " + file + ": external data file '" + location + "' is too short for initializer '"
              + t.getName() + "' (truncated?); copy the complete file");
        }
        byte[] buf = new byte[(int) len];
        raf.seek(offset);
        raf.readFully(buf);
        gb.setInitializer(i, t.toBuilder().clearExternalData().clearDataLocation().setRawData(ByteString.copyFrom(buf)).build());
      } catch (IOException e) {
        throw new ModelLoadException("cannot read external data file " + data + " of ONNX model " + file + ": " + e.getMessage(), e);
      }
    }
    return m.toBuilder().setGraph(gb).build();
  }

  /** The node inputs plus the outer-scope names read by its sub-graphs (If, Loop, Scan). */
  static List<String> allInputs(NodeProto n) {
    List<String> r = new ArrayList<>(n.getInputList());
    for (AttributeProto a : n.getAttributeList()) {
      if (a.hasG()) r.addAll(implicitInputs(a.getG()));
      for (GraphProto sg : a.getGraphsList()) r.addAll(implicitInputs(sg));
    }
    return r;
  }

  private static Set<String> implicitInputs(GraphProto g) {
    Set<String> local = new HashSet<>();
    for (ValueInfoProto v : g.getInputList()) local.add(v.getName());
    for (TensorProto t : g.getInitializerList()) local.add(t.getName());
    Set<String> r = new LinkedHashSet<>();
    for (NodeProto n : g.getNodeList()) {
      for (String in : allInputs(n)) if (!in.isEmpty() && !local.contains(in)) r.add(in);
      local.addAll(n.getOutputList());
    }
    return r;
  }

  String inputName() { return inputs.get(0).getName(); }

  String outputName() { return model.getGraph().getOutput(0).getName(); }

  List<String> outputNames() { return model.getGraph().getOutputList().stream().map(ValueInfoProto::getName).toList(); }

  boolean isTensor(String name) {
    return producer.containsKey(name) || initializers.containsKey(name) || inputs.stream().anyMatch(v -> v.getName().equals(name));
  }

  /** All tensor names produced by nodes, in topological order. */
  List<String> producedTensors() {
    List<String> r = new ArrayList<>();
    for (NodeProto n : nodes) for (String o : n.getOutputList()) if (!o.isEmpty()) r.add(o);
    return r;
  }

  /**
   * The indices (ascending, so topological) of the nodes needed to compute {@code targets} when the tensors in
   * {@code stop} are given.
   */
  List<Integer> closure(Collection<String> targets, Set<String> stop) {
    Set<Integer> seen = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(targets);
    Set<String> visited = new HashSet<>();
    while (!todo.isEmpty()) {
      String t = todo.pop();
      if (!visited.add(t) || stop.contains(t)) continue;
      Integer p = producer.get(t);
      if (p == null || !seen.add(p)) continue;
      for (String in : allInputs(nodes.get(p))) if (!in.isEmpty()) todo.push(in);
    }
    List<Integer> r = new ArrayList<>(seen);
    r.sort(null);
    return r;
  }

  /** The names every node in {@code idx} reads that no node in {@code idx} produces (inputs or initializers). */
  Set<String> freeInputs(List<Integer> idx) {
    Set<String> produced = new HashSet<>();
    Set<String> r = new LinkedHashSet<>();
    for (int i : idx) {
      NodeProto n = nodes.get(i);
      for (String in : allInputs(n)) if (!in.isEmpty() && !produced.contains(in)) r.add(in);
      produced.addAll(n.getOutputList());
    }
    return r;
  }

  /**
   * Null when {@code tensor} is a clean cut (the outputs depend on the real inputs only through it); otherwise the
   * name of an input the tail would still need, for the error message.
   */
  String cutBlocker(String tensor) {
    List<Integer> tail = closure(List.of(outputName()), Set.of(tensor));
    Set<String> free = freeInputs(tail);
    for (ValueInfoProto v : inputs) if (free.contains(v.getName()) && !v.getName().equals(tensor)) return v.getName();
    return null;
  }

  /** The first tensor (in topological order) on a path that reads the input but bypasses {@code tensor}. */
  String bypass(String tensor) {
    List<Integer> tail = closure(List.of(outputName()), Set.of(tensor));
    Set<String> needsInput = new HashSet<>();
    for (ValueInfoProto v : inputs) needsInput.add(v.getName());
    for (int i = 0; i < nodes.size(); i++) {
      NodeProto n = nodes.get(i);
      boolean reads = false;
      for (String in : allInputs(n)) reads |= needsInput.contains(in);
      if (reads && !n.getOutputList().contains(tensor)) needsInput.addAll(n.getOutputList());
    }
    for (int i : tail) for (String in : allInputs(nodes.get(i))) if (needsInput.contains(in)) return in;
    return null;
  }

  /** A float tensor value info with {@code dims} (null entries = dynamic, named by {@code batchParam} for axis 0). */
  static ValueInfoProto floatInfo(String name, long[] dims, String batchParam) {
    TypeProto.Tensor.Builder tt = TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE);
    if (dims != null) {
      TensorShapeProto.Builder sb = TensorShapeProto.newBuilder();
      for (int i = 0; i < dims.length; i++) {
        if (dims[i] < 0) sb.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(i == 0 && batchParam != null ? batchParam : "d" + i));
        else sb.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(dims[i]));
      }
      tt.setShape(sb);
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(tt)).build();
  }

  static ValueInfoProto typedInfo(String name, int elemType) {
    return ValueInfoProto.newBuilder().setName(name)
        .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType))).build();
  }

  static ValueInfoProto nameOnly(String name) {
    return ValueInfoProto.newBuilder().setName(name).build();
  }

  /**
   * A model with the same header as this one and a graph made of {@code nodeIdx} (plus {@code extraNodes} appended),
   * reading {@code graphInputs}, writing {@code graphOutputs}; keeps only the initializers the nodes read.
   */
  ModelProto subModel(String suffix, List<Integer> nodeIdx, List<NodeProto> extraNodes, List<TensorProto> extraInits,
                      List<ValueInfoProto> graphInputs, List<ValueInfoProto> graphOutputs, int opsetOverride) {
    GraphProto g = model.getGraph();
    GraphProto.Builder gb = g.toBuilder().clearNode().clearInitializer().clearInput().clearOutput().clearValueInfo();
    gb.setName(g.getName() + suffix);
    List<NodeProto> all = new ArrayList<>();
    for (int i : nodeIdx) all.add(nodes.get(i));
    all.addAll(extraNodes);
    gb.addAllNode(all);
    Set<String> used = new HashSet<>();
    Set<String> produced = new HashSet<>();
    for (NodeProto n : all) {
      used.addAll(allInputs(n));
      produced.addAll(n.getOutputList());
    }
    for (ValueInfoProto v : graphOutputs) used.add(v.getName());
    Set<String> inputNames = new HashSet<>();
    for (ValueInfoProto v : graphInputs) inputNames.add(v.getName());
    gb.addAllInput(graphInputs);
    // IR < 4 lists initializers among the inputs too; keep that for the ones still used
    for (ValueInfoProto v : g.getInputList()) {
      if (initializers.containsKey(v.getName()) && used.contains(v.getName()) && !inputNames.contains(v.getName())) gb.addInput(v);
    }
    for (TensorProto t : g.getInitializerList()) if (used.contains(t.getName()) && !inputNames.contains(t.getName())) gb.addInitializer(t);
    gb.addAllInitializer(extraInits);
    for (ValueInfoProto v : g.getValueInfoList()) if (produced.contains(v.getName())) gb.addValueInfo(v);
    gb.addAllOutput(graphOutputs);
    ModelProto.Builder mb = model.toBuilder().setGraph(gb);
    if (opsetOverride > 0) {
      for (int i = 0; i < mb.getOpsetImportCount(); i++) {
        var o = mb.getOpsetImport(i);
        if ((o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) && o.getVersion() < opsetOverride) {
          mb.setOpsetImport(i, o.toBuilder().setVersion(opsetOverride));
        }
      }
    }
    return mb.build();
  }

  /**
   * The model with {@code tensor} as its only output (engine option {@code output=}): only the nodes that compute it
   * are kept, so post-processing after it is gone. Its value info is left to ONNX Runtime's inference.
   */
  OnnxGraph withOutput(String tensor) {
    List<Integer> idx = closure(List.of(tensor), Set.of());
    ValueInfoProto out = nameOnly(tensor);
    for (ValueInfoProto v : model.getGraph().getOutputList()) if (v.getName().equals(tensor)) out = v;
    return new OnnxGraph(subModel("", idx, List.of(), List.of(), inputs, List.of(out), 0), file);
  }

  /** The whole model with every node output also listed as a graph output (for the shape probe). */
  ModelProto withAllOutputs() {
    GraphProto.Builder gb = model.getGraph().toBuilder();
    Set<String> outs = new HashSet<>(outputNames());
    for (NodeProto n : nodes) {
      for (String o : n.getOutputList()) if (!o.isEmpty() && outs.add(o)) gb.addOutput(nameOnly(o));
    }
    return model.toBuilder().setGraph(gb).build();
  }

  static AttributeProto attr(NodeProto n, String name) {
    for (AttributeProto a : n.getAttributeList()) if (a.getName().equals(name)) return a;
    return null;
  }

  static long attrInt(NodeProto n, String name, long dflt) {
    AttributeProto a = attr(n, name);
    return a == null ? dflt : a.getI();
  }

  static float attrFloat(NodeProto n, String name, float dflt) {
    AttributeProto a = attr(n, name);
    return a == null ? dflt : a.getF();
  }

  static String attrString(NodeProto n, String name, String dflt) {
    AttributeProto a = attr(n, name);
    return a == null ? dflt : a.getS().toStringUtf8();
  }

  static long[] attrInts(NodeProto n, String name) {
    AttributeProto a = attr(n, name);
    if (a == null) return null;
    long[] r = new long[a.getIntsCount()];
    for (int i = 0; i < r.length; i++) r[i] = a.getInts(i);
    return r;
  }
}
