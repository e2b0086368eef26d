package org.xcam.engine.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xcam.api.EngineException;
import org.xcam.api.InvalidInputException;
import org.xcam.api.ModelLoadException;
import org.xcam.api.Tensor;
import org.xcam.api.compile.CompiledModel;
import org.xcam.engine.onnx.proto.OnnxProto.ModelProto;
import org.xcam.engine.onnx.proto.OnnxProto.StringStringEntryProto;
import org.xcam.engine.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * A compiled (or any) ONNX model in one ONNX Runtime session, run as a deployment would run it: one call, every float
 * output by name. A model with a fixed batch of 1 runs a batch item by item. Non-float outputs are left out.
 */
final class OnnxCompiledModel implements CompiledModel {
  private final OrtSupport ort;
  private final OrtSession session;
  private final String input;
  private final List<String> outputs = new ArrayList<>();
  private final Map<String, String> metadata = new LinkedHashMap<>();
  private final boolean fixedBatch;

  OnnxCompiledModel(ModelProto model, OrtSupport ort, String what) {
    this.ort = ort;
    this.session = ort.session(model, what);
    String in = null;
    java.util.Set<String> inits = new java.util.HashSet<>();
    for (var t : model.getGraph().getInitializerList()) inits.add(t.getName());
    ValueInfoProto inInfo = null;
    for (ValueInfoProto v : model.getGraph().getInputList()) {
      if (!inits.contains(v.getName())) {
        if (in != null) throw new ModelLoadException(what + " takes more than one input; xcam runs models with one image input");
        in = v.getName();
        inInfo = v;
      }
    }
    if (in == null) throw new ModelLoadException(what + " has no input");
    this.input = in;
    var dims = inInfo.getType().getTensorType().getShape().getDimList();
    this.fixedBatch = !dims.isEmpty() && dims.get(0).hasDimValue() && dims.get(0).getDimValue() == 1;
    for (ValueInfoProto v : model.getGraph().getOutputList()) outputs.add(v.getName());
    for (StringStringEntryProto kv : model.getMetadataPropsList()) metadata.put(kv.getKey(), kv.getValue());
  }

  static OnnxCompiledModel open(Path file, Map<String, String> options) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ModelLoadException("cannot read compiled model " + file + ": " + e.getMessage(), e);
    }
    ModelProto m;
    try {
      m = ModelProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new ModelLoadException("file " + file + " is not an ONNX model (" + e.getMessage() + "); pass what xcam compile wrote", e);
    }
    return new OnnxCompiledModel(m, new OrtSupport(options == null ? Map.of() : options), "compiled model " + file.getFileName());
  }

  @Override public List<String> outputs() { return List.copyOf(outputs); }

  @Override public Map<String, String> metadata() { return Map.copyOf(metadata); }

  /** Which execution provider runs it. */
  String device() { return ort.device(); }

  @Override public Map<String, Tensor> run(Tensor x) {
    if (x.rank() != 4) throw new InvalidInputException("input must be [N, C, H, W], got " + java.util.Arrays.toString(x.shape()));
    int n = x.dim(0);
    if (fixedBatch && n > 1) {
      List<Map<String, Tensor>> per = new ArrayList<>();
      for (int i = 0; i < n; i++) per.add(run(x.slice(i, i + 1)));
      Map<String, Tensor> r = new LinkedHashMap<>();
      for (String o : per.get(0).keySet()) {
        List<Tensor> items = new ArrayList<>();
        for (Map<String, Tensor> p : per) items.add(p.get(o));
        r.put(o, Tensor.concat(items));
      }
      return r;
    }
    try (OnnxTensor t = ort.tensor(x); OrtSession.Result res = session.run(Map.of(input, t))) {
      Map<String, Tensor> r = new LinkedHashMap<>();
      for (Map.Entry<String, OnnxValue> e : res) {
        if (e.getValue() instanceof OnnxTensor ot && ((TensorInfo) ot.getInfo()).type == OnnxJavaType.FLOAT) {
          r.put(e.getKey(), OrtSupport.toTensor(ot, e.getKey()));
        }
      }
      return r;
    } catch (OrtException e) {
      throw new EngineException("ONNX Runtime failed on the compiled model: " + OrtSupport.firstLine(e.getMessage()), e);
    }
  }

  @Override public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      // closing: nothing to do
    }
  }
}
