package org.xcam.engine.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xcam.api.Capability;
import org.xcam.api.EngineException;
import org.xcam.api.InputSpec;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerInfo;
import org.xcam.api.LayerLayout;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.ModelLoadException;
import org.xcam.api.OutputKind;
import org.xcam.api.UnsupportedCapabilityException;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.api.UnknownNameException;
import org.xcam.api.XcamException;
import org.xcam.api.bundle.BundleManifest;
import org.xcam.engine.onnx.proto.OnnxProto.NodeProto;
import org.xcam.engine.onnx.proto.OnnxProto.TensorShapeProto;
import org.xcam.engine.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * An ONNX classifier on ONNX Runtime: a plain {@code .onnx} file (layers = the graph's 4-D tensors that are clean
 * cuts, found with one probe forward) or a bundle's {@code model.onnx} (layers named by the manifest's {@code onnx}
 * map). Sessions are built once per (model, layer) and cached; every call is batched (a model exported with a fixed
 * batch of 1 runs its items one by one, as logged at load).
 */
public final class OnnxModel implements Model {
  private static final Logger LOG = LoggerFactory.getLogger(OnnxModel.class);

  final OnnxGraph graph;
  final OrtSupport ort;
  /** Set twice in the constructor at most (the default layer may move after probing gradients); final afterwards. */
  ModelInfo info;
  final boolean fixedBatch;
  /** Shapes at batch 1 of every tensor (probe), element types of every node output. */
  final Map<String, long[]> shapes;
  final Map<String, Integer> types;
  final Set<String> batchDep;
  /** Layer name (manifest or tensor name) -> ONNX tensor name. */
  private final Map<String, String> layerTensors;
  private final Set<Capability> caps;
  private final OrtSession forward;
  private final Map<String, OnnxLayer> hooks = new ConcurrentHashMap<>();
  /** For each gradient capability the model lacks: the layer and the node that block it (for the error messages). */
  private final Map<Capability, Blocker> blocked = new java.util.EnumMap<>(Capability.class);
  /** Whether the model came from a bundle (whose TorchScript files the DJL engine can load). */
  private final boolean isBundle;
  private volatile boolean closed;
  /** The attention blocks (Softmax outputs [N, heads, T, T]) and their graphs. */
  private final AttentionBlocks attention;

  /** What blocks gradients at {@code layer}: the node, and the message of the rule that refused it. */
  private record Blocker(String layer, NodeProto node, String message) { }

  /**
   * Builds the backward graph from the output to {@code tensor} (protobuf only, no session: fast) and returns what
   * blocks it, or null. So a capability is offered only when every rule on the path accepts its node, attributes and
   * inputs, not merely when every operator has a rule.
   */
  private Blocker backwardBlocker(String layer, String tensor) {
    String out = graph.outputName();
    NodeProto n = Autodiff.firstUnsupportedNode(graph, graph.closure(List.of(out), Set.of(tensor)), tensor, out, types);
    if (n != null) {
      return new Blocker(layer, n, "operator " + n.getOpType() + " (node '" + n.getName() + "') between layer '" + layer
          + "' and the output has no reverse-mode rule in the ONNX engine");
    }
    try {
      Autodiff.build(graph, graph.closure(List.of(out), Set.of(tensor)), tensor, out, OnnxLayer.GRAD_IN, shapes, types, batchDep, layer);
      return null;
    } catch (Autodiff.Unsupported e) {
      return new Blocker(layer, e.node(), e.getMessage());
    } catch (RuntimeException e) {
      LOG.warn("ONNX model {}: no backward graph to layer '{}': {}", graph.file.getFileName(), layer, e.toString());
      return new Blocker(layer, null, "the backward graph to layer '" + layer + "' cannot be built (" + e.getMessage() + ")");
    }
  }

  private OnnxModel(OnnxGraph graph, OrtSupport ort, ModelInfo info, boolean fixedBatch, Map<String, long[]> shapes,
                    Map<String, Integer> types, Set<String> batchDep, Map<String, String> layerTensors,
                    OrtSession forward, boolean isBundle) {
    this.graph = graph;
    this.ort = ort;
    this.fixedBatch = fixedBatch;
    this.shapes = shapes;
    this.types = types;
    this.batchDep = batchDep;
    this.layerTensors = layerTensors;
    this.forward = forward;
    EnumSet<Capability> c = EnumSet.of(Capability.FORWARD);
    String out = graph.outputName();
    if (!info.layers().isEmpty()) c.add(Capability.LAYER_CUT);
    if (info.defaultLayer() != null) {
      String t = layerTensors.get(info.defaultLayer());
      Blocker b = backwardBlocker(info.defaultLayer(), t);
      if (b == null) {
        c.add(Capability.VJP);
        if (hasTangentRules(t)) c.add(Capability.HESSIAN_VECTOR_PRODUCT);
      } else {
        blocked.put(Capability.VJP, b);
      }
    }
    Blocker bi = backwardBlocker(LayerInfo.INPUT, graph.inputName());
    if (bi == null) {
      c.add(Capability.INPUT_GRADIENT);
      // the generated backward graph can swap rules (guided backprop, DeepLift) and return more gradients (FullGrad)
      c.add(Capability.MODIFIED_BACKWARD);
      c.add(Capability.BIAS_GRADIENTS);
    } else {
      blocked.put(Capability.INPUT_GRADIENT, bi);
    }
    this.attention = AttentionBlocks.find(this, info.extra().get("attention"));
    if (!attention.layers().isEmpty()) {
      c.add(Capability.ATTENTION);
      if (bi == null) c.add(Capability.ATTENTION_GRADIENT);
    }
    this.caps = Set.copyOf(c);
    Map<String, Object> extra = new LinkedHashMap<>(info.extra());
    extra.put("onnxDevice", ort.device());
    extra.put("onnxOpset", graph.opset);
    extra.put("onnxFixedBatch", fixedBatch);
    this.info = new ModelInfo(info.name(), info.task(), info.labels(), info.input(), info.layers(), info.defaultLayer(),
        info.source(), info.engine(), extra, info.outputs());
    this.isBundle = isBundle;
    if (!isBundle && c.contains(Capability.VJP)) {
      String[] moved = defaultPastClassTokenHead(this.info);
      if (moved != null) {
        extra.put(ModelInfo.DEFAULT_LAYER_REASON, moved[1]);
        this.info = new ModelInfo(info.name(), info.task(), info.labels(), info.input(), info.layers(), moved[0],
            info.source(), info.engine(), extra, info.outputs());
        LOG.info("ONNX model {}: default layer {}: {}", graph.file.getFileName(), moved[0], moved[1]);
      }
    }
  }

  /**
   * True when every operator of the tail from tensor {@code t} and of its generated backward graph has a tangent rule
   * ({@link Tangents}): then the layer offers the exact Hessian-vector product.
   */
  private boolean hasTangentRules(String t) {
    try {
      String out = graph.outputName();
      Autodiff.Result r = Autodiff.build(graph, graph.closure(List.of(out), Set.of(t)), t, out, OnnxLayer.GRAD_IN, shapes,
          types, batchDep, t);
      List<NodeProto> all = new ArrayList<>(r.forward());
      all.addAll(r.backward());
      return Tangents.firstUnsupported(all) == null;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * When the default layer is tokens with prefix tokens and the gradient of the outputs at its grid tokens is exactly
   * zero (a head that reads only the class token: every gradient map there is zero), the last earlier layer whose grid
   * gradient is not zero, and the reason; null when the default stands. Probed with one seeded input and the sum of
   * the outputs (one head and one VJP per layer probed; the hooks are kept for later use).
   */
  private String[] defaultPastClassTokenHead(ModelInfo mi) {
    String def = mi.defaultLayer();
    if (def == null || !gridGradientVanishes(mi, def)) return null;
    List<String> zero = new ArrayList<>(List.of(def));
    List<String> names = mi.layerNames();
    for (int i = names.indexOf(def) - 1; i >= 0; i--) {
      LayerInfo l = mi.layers().get(i);
      if (!l.layout().spatial() || l.height() * l.width() <= 1) continue;
      if (gridGradientVanishes(mi, l.name())) {
        zero.add(l.name());
        continue;
      }
      return new String[] {l.name(), "the head reads only the prefix (class) tokens: the gradient at the grid tokens of "
          + String.join(", ", zero) + " is exactly zero, so gradient maps there are zero; the default is " + l.name()
          + ", the input of the next block's first norm (as pytorch-grad-cam's ViT example cuts)"};
    }
    return null;
  }

  private boolean gridGradientVanishes(ModelInfo mi, String layer) {
    LayerLayout lay = mi.layer(layer).layout();
    if (lay.kind() != LayerLayout.Kind.TOKENS || lay.prefixTokens() == 0) return false;
    try {
      InputSpec in = mi.input();
      float[] x = new float[in.channels() * in.height() * in.width()];
      SplittableRandom r = new SplittableRandom(11);
      for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
      LayerHook h = layer(layer);
      Tensor a = h.activation(Tensor.wrap(x, 1, in.channels(), in.height(), in.width()));
      Tensor g = h.vjp(a, Tensor.full(1f, 1, mi.numOutputs()));
      float[] grid = lay.toView(g).toArray(), pre = lay.prefix(g).toArray();
      boolean gridZero = true, preNonZero = false;
      for (float v : grid) gridZero &= v == 0f;
      for (float v : pre) preNonZero |= v != 0f;
      return gridZero && preNonZero;
    } catch (RuntimeException e) {
      LOG.debug("ONNX model {}: gradient probe at {} failed: {}", graph.file.getFileName(), layer, e.toString());
      return false;
    }
  }

  /** Loads a plain {@code .onnx} file or a bundle directory's {@code model.onnx}. */
  public static OnnxModel load(Path path, Map<String, String> options) {
    BundleManifest manifest = null;
    Path file = path;
    if (Files.isDirectory(path)) {
      manifest = BundleManifest.read(path);
      file = manifest.modelOnnx();
      if (!Files.isRegularFile(file)) {
        throw new ModelLoadException("bundle " + path + " has no model.onnx; export one with tools/export_bundle.py (ONNX is optional"
            + " there), or load the bundle with --engine djl");
      }
    }
    OnnxGraph graph = OnnxGraph.read(file);
    String outOpt = options.get("output");
    if (outOpt != null && !outOpt.isBlank() && !outOpt.equals(graph.outputName())) {
      String t = outOpt.trim();
      if (!graph.producer.containsKey(t)) {
        throw new InvalidInputException("engine option output=" + t + ": model " + file.getFileName() + " has no tensor of that name"
            + " (closest: " + String.join(", ", closest(t, graph.producedTensors(), 5)) + ")");
      }
      graph = graph.withOutput(t);
    }
    OutputKind outputs = outputKind(manifest, options);
    if (graph.inputs.size() != 1) {
      throw new ModelLoadException("ONNX model " + file + " takes " + graph.inputs.size() + " inputs; xcam supports models with one image input [N, C, H, W]");
    }
    ValueInfoProto in = graph.inputs.get(0);
    var tt = in.getType().getTensorType();
    if (tt.getElemType() != 1) {
      throw new ModelLoadException("ONNX model " + file + " takes input '" + in.getName() + "' of element type " + tt.getElemType()
          + ", not float32; re-export it with a float32 input");
    }
    List<TensorShapeProto.Dimension> dims = tt.getShape().getDimList();
    if (tt.hasShape() && dims.size() != 4) {
      throw new ModelLoadException("ONNX model " + file + " takes a rank-" + dims.size() + " input; xcam needs an image input [N, C, H, W]");
    }
    long[] fixed = new long[4];
    for (int i = 0; i < 4; i++) fixed[i] = i < dims.size() && dims.get(i).hasDimValue() ? dims.get(i).getDimValue() : -1;
    boolean fixedBatch = fixed[0] == 1;
    if (fixed[0] > 1) {
      throw new ModelLoadException("ONNX model " + file + " has a fixed batch of " + fixed[0]
          + "; re-export it with a dynamic batch axis (dynamic_axes={'input': {0: 'batch'}})");
    }
    if (fixedBatch) LOG.info("ONNX model {} has a fixed batch of 1: batches run one image at a time", file);

    InputSpec spec = inputSpec(file, manifest, fixed, options);
    OrtSupport ort = new OrtSupport(options);

    // probe: one forward at batch 1 returning every node output, for shapes and types
    Map<String, long[]> shapes = new HashMap<>();
    Map<String, Integer> types = new HashMap<>();
    long[] inShape = {1, spec.channels(), spec.height(), spec.width()};
    shapes.put(graph.inputName(), inShape);
    try (OrtSession probe = ort.session(graph.withAllOutputs(), "shape probe of " + file.getFileName())) {
      float[] x = new float[spec.channels() * spec.height() * spec.width()];
      SplittableRandom r = new SplittableRandom(7);
      for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
      try (OnnxTensor t = OnnxTensor.createTensor(ort.env(), FloatBuffer.wrap(x), inShape);
           OrtSession.Result res = probe.run(Map.of(graph.inputName(), t))) {
        for (Map.Entry<String, OnnxValue> e : res) {
          if (e.getValue() instanceof OnnxTensor ot) {
            shapes.put(e.getKey(), ot.getInfo().getShape());
            types.put(e.getKey(), OrtSupport.elemType(ot));
          }
        }
      }
    } catch (OrtException e) {
      throw new ModelLoadException("ONNX model " + file + " does not accept an input of shape " + Arrays.toString(inShape) + " ("
          + OrtSupport.firstLine(e.getMessage()) + "); set the input size with engine options height/width/channels", e);
    } catch (EngineException e) {
      throw new ModelLoadException("ONNX Runtime cannot load " + file + ": " + e.getMessage(), e);
    }
    long[] outShape = shapes.get(graph.outputName());
    if (outShape == null || outShape.length != 2 || types.getOrDefault(graph.outputName(), 0) != 1) {
      if (outOpt != null && !outOpt.isBlank()) {
        throw new InvalidInputException("engine option output=" + graph.outputName() + ": that tensor has shape "
            + Arrays.toString(outShape) + " at batch 1; xcam explains a float output [N, K] (e.g. the logits before post-processing)");
      }
      throw new ModelLoadException("ONNX model " + file + ": first output '" + graph.outputName() + "' has shape "
          + Arrays.toString(outShape) + "; xcam needs a float classifier output [N, K] (engine option output=TENSOR picks another tensor)");
    }
    int k = (int) outShape[1];

    Set<String> batchDep = new HashSet<>();
    batchDep.add(graph.inputName());
    for (NodeProto n : graph.nodes) {
      for (String i : OnnxGraph.allInputs(n)) {
        if (batchDep.contains(i)) {
          batchDep.addAll(n.getOutputList());
          break;
        }
      }
    }

    // layers
    Map<String, String> layerTensors = new LinkedHashMap<>();
    List<LayerInfo> layers = new ArrayList<>();
    String def;
    String name;
    Task task;
    List<String> labels;
    Map<String, Object> extra;
    String noLayers = null;
    if (manifest != null) {
      List<String> unmapped = new ArrayList<>();
      Map<String, String> byModule = null;
      for (String l : manifest.layers()) {
        String t = manifest.onnx().get(l);
        if (t == null) {
          // no "onnx" entry (e.g. the exporter could not infer a token tensor's shape without onnxruntime): the
          // module's output found from torch.onnx.export's scope names, when it is a clean cut
          if (byModule == null) {
            byModule = new HashMap<>();
            for (Map.Entry<String, String> e : LayerDiscovery.moduleOutputs(graph).entrySet()) byModule.put(e.getValue(), e.getKey());
          }
          String guess = byModule.get(l);
          if (guess != null && shapes.get(guess) != null && types.getOrDefault(guess, 0) == 1 && graph.cutBlocker(guess) == null) {
            LOG.info("bundle {}: layer '{}' has no \"onnx\" entry; using its module output '{}'", path, l, guess);
            t = guess;
          }
        }
        if (t == null) {
          unmapped.add(l);
          continue;
        }
        if (outOpt != null && !outOpt.isBlank() && graph.cutBlocker(t) != null) {
          unmapped.add(l);
          continue;
        }
        if (!graph.producer.containsKey(t)) {
          throw new ModelLoadException("bundle manifest of " + path + " maps layer '" + l + "' to ONNX tensor '" + t
              + "', which model.onnx does not have (closest: " + String.join(", ", closest(t, graph.producedTensors(), 3))
              + "); re-export the bundle");
        }
        layerTensors.put(l, t);
        int[] raw = chw(shapes.get(t));
        LayerLayout declared = layoutOption(options, l, raw).orElse(null);
        layers.add(new LayerInfo(l, declared != null ? declared : manifest.layout(l, raw)));
      }
      def = manifest.defaultLayer();
      if (!unmapped.isEmpty()) {
        LOG.warn("bundle {}: no ONNX tensor for layer(s) {} (the manifest's \"onnx\" map); the ONNX engine cannot cut there", path, unmapped);
        if (!layerTensors.containsKey(def)) def = layers.isEmpty() ? null : layers.get(layers.size() - 1).name();
        if (layers.isEmpty()) {
          noLayers = "the bundle manifest maps no ONNX tensor for its layers " + unmapped + " (\"onnx\"); re-export it with"
              + " tools/export_bundle.py, or load it with the TorchScript engine (--engine djl)";
        }
      }
      name = manifest.name();
      task = manifest.task();
      labels = manifest.labels();
      if (labels.size() != k) {
        throw new ModelLoadException("bundle " + path + ": manifest lists " + labels.size() + " labels but model.onnx has " + k + " outputs; fix the manifest");
      }
      extra = manifest.extra();
    } else {
      List<String> fourD = new ArrayList<>();
      Map<String, String> moduleOutputs = LayerDiscovery.moduleOutputs(graph);
      for (String t : graph.producedTensors()) {
        long[] s = shapes.get(t);
        if (s == null || types.getOrDefault(t, 0) != 1 || t.equals(graph.outputName())) continue;
        if (s.length == 4) fourD.add(t);
        if (s.length != 3 && s.length != 4) continue;
        // tokens [N, T, D] and channels-last [N, h, w, C] are listed at module outputs (block outputs), named by module
        LayerLayout inferred = LayerDiscovery.infer(chw(s), spec);
        boolean spatialTokens = inferred.kind() != LayerLayout.Kind.CHANNELS_FIRST;
        if (s.length == 4 && !spatialTokens) {
          if (graph.cutBlocker(t) == null) {
            layerTensors.put(t, t);
            layers.add(new LayerInfo(t, layoutOption(options, t, chw(s)).orElse(inferred)));
          }
        } else if (spatialTokens && moduleOutputs.containsKey(t) && !layerTensors.containsKey(moduleOutputs.get(t))
            && graph.cutBlocker(t) == null) {
          String mod = moduleOutputs.get(t);
          layerTensors.put(mod, t);
          layers.add(new LayerInfo(mod, layoutOption(options, mod, chw(s)).or(() -> layoutOption(options, t, chw(s))).orElse(inferred)));
        }
      }
      // engine options layout.<tensor>=<spec> add tensors that are not listed (a clean cut, any rank)
      for (Map.Entry<String, String> o : options.entrySet()) {
        if (!o.getKey().startsWith(LAYOUT_OPTION)) continue;
        String t = o.getKey().substring(LAYOUT_OPTION.length());
        if (layerTensors.containsKey(t) || layerTensors.containsValue(t)) continue;
        if (!graph.producer.containsKey(t) || shapes.get(t) == null || types.getOrDefault(t, 0) != 1) {
          throw new InvalidInputException("engine option " + o.getKey() + ": model " + file.getFileName() + " has no layer or float tensor '"
              + t + "' (closest: " + String.join(", ", closest(t, graph.producedTensors(), 3)) + ")");
        }
        if (graph.cutBlocker(t) != null) {
          throw new InvalidInputException("engine option " + o.getKey() + ": tensor '" + t + "' is not a cut point: the output also reads '"
              + graph.bypass(t) + "', which bypasses it; choose a block output");
        }
        layerTensors.put(t, t);
        layers.add(new LayerInfo(t, layoutOption(options, t, chw(shapes.get(t))).orElseThrow()));
      }
      if (fourD.isEmpty() && layers.isEmpty()) {
        noLayers = "the graph has no 4-D float tensor [N, C, H, W], token tensor [N, T, D] or channels-last map between the"
            + " input and the output (no feature map to cut at; engine option layout.TENSOR=SPEC declares one)";
      } else if (layers.isEmpty()) {
        String t = fourD.get(fourD.size() - 1);
        noLayers = "none of its " + fourD.size() + " 4-D tensors is a clean cut: the output also reads tensors that bypass"
            + " them (e.g. '" + graph.bypass(t) + "' bypasses '" + t + "')";
      }
      def = layers.isEmpty() ? null : layers.get(layers.size() - 1).name();
      for (LayerInfo l : layers) if (l.layout().spatial() && l.height() * l.width() > 1) def = l.name();
      String fn = file.getFileName().toString();
      name = options.getOrDefault("name", fn.endsWith(".onnx") ? fn.substring(0, fn.length() - 5) : fn);
      task = Task.fromId(options.getOrDefault("task", "multiclass"));
      labels = new ArrayList<>();
      String lab = options.get("labels");
      if (lab != null) {
        for (String s : lab.split(",")) labels.add(s.trim());
        if (labels.size() != k) throw new InvalidInputException("engine option labels lists " + labels.size() + " labels but the model has " + k + " outputs");
      } else {
        for (int i = 0; i < k; i++) labels.add("class " + i);
      }
      extra = Map.of();
    }
    if (noLayers != null) {
      LOG.info("ONNX model {}: no layer to cut at: {}", file.getFileName(), noLayers);
      Map<String, Object> e = new LinkedHashMap<>(extra);
      e.put(ModelInfo.NO_LAYERS_REASON, noLayers);
      extra = e;
    }
    if (outOpt != null && !outOpt.isBlank()) {
      Map<String, Object> e = new LinkedHashMap<>(extra);
      e.put("onnxOutput", graph.outputName());
      extra = e;
    }
    ModelInfo info = new ModelInfo(name, task, labels, spec, layers, def, path.toString(), OnnxEngineProvider.NAME, extra, outputs);
    OrtSession fwd = ort.session(graph.model, "forward session of " + file.getFileName());
    LOG.info("ONNX model {}: {} nodes, opset {}, {} layers (default {}), device {}", file.getFileName(), graph.nodes.size(),
        graph.opset, layers.size(), def, ort.device());
    return new OnnxModel(graph, ort, info, fixedBatch, shapes, types, batchDep, layerTensors, fwd, manifest != null);
  }

  /** Engine option {@code outputs=} (overrides the manifest), else the manifest's {@code outputs}, else logits. */
  private static OutputKind outputKind(BundleManifest manifest, Map<String, String> options) {
    String v = options.get("outputs");
    if (v != null) {
      try {
        return OutputKind.fromId(v);
      } catch (InvalidInputException e) {
        throw new InvalidInputException("engine option outputs=" + v + ": use logits (the default) or probabilities (the model"
            + " applies sigmoid or softmax itself)");
      }
    }
    return manifest == null ? OutputKind.LOGITS : manifest.outputs();
  }

  /**
   * What still works when the gradient is blocked by {@code node} at {@code layer}: methods that need less, layers past
   * the node, explaining a tensor before it ({@code output=}), and for bundles the TorchScript engine. Never names an
   * engine that cannot load the file.
   */
  String advice(String layer, NodeProto node) {
    List<String> ways = new ArrayList<>();
    ways.add("methods that need only forward passes still run (rise, occlusion" + (info.layers().isEmpty() ? "" : ", scorecam, ablationcam") + ")");
    int at = graph.producer.getOrDefault(node.getOutput(0), -1);
    String out = graph.outputName();
    List<String> later = new ArrayList<>();
    for (LayerInfo l : info.layers()) {
      String t = layerTensors.get(l.name());
      Integer p = graph.producer.get(t);
      if (p != null && p > at && !l.name().equals(layer)
          && Autodiff.firstUnsupportedNode(graph, graph.closure(List.of(out), Set.of(t)), t, out, types) == null) later.add(l.name());
    }
    if (!later.isEmpty()) ways.add("gradients work at layer(s) after it: " + String.join(", ", later.subList(0, Math.min(3, later.size()))));
    String before = outputBefore(layer, node);
    if (before != null) {
      ways.add("or explain the tensor before it, e.g. the logits before post-processing, with engine option output=" + before
          + " (CLI: --engine-option output=" + before + ")");
    }
    if (isBundle) ways.add("or load the bundle's TorchScript files with --engine djl");
    return String.join("; ", ways);
  }

  /**
   * The last float [N, K] tensor (K = the model's outputs) computed before {@code node}, from which the gradient to
   * {@code layer} exists, or null.
   */
  private String outputBefore(String layer, NodeProto node) {
    String from = LayerInfo.INPUT.equals(layer) ? graph.inputName() : layerTensors.get(layer);
    Set<String> ancestors = new HashSet<>();
    for (int i : graph.closure(node.getInputList(), Set.of())) ancestors.addAll(graph.nodes.get(i).getOutputList());
    String best = null;
    for (String t : graph.producedTensors()) {
      long[] s = shapes.get(t);
      // a [N, K] float tensor with as many columns as the model has outputs: the logits before post-processing
      if (s == null || s.length != 2 || s[1] != info.numOutputs() || types.getOrDefault(t, 0) != 1 || !ancestors.contains(t)
          || t.equals(from)) continue;
      if (from == null || !graph.freeInputs(graph.closure(List.of(t), Set.of(from))).contains(from)) continue; // not computed from the layer
      if (Autodiff.firstUnsupportedNode(graph, graph.closure(List.of(t), Set.of(from)), from, t, types) != null) continue;
      best = t;
    }
    return best;
  }

  /** An unsupported-gradient error with what still works appended. */
  UnsupportedCapabilityException withAdvice(UnsupportedCapabilityException e, String layer) {
    if (e instanceof Autodiff.Unsupported u) {
      return new UnsupportedCapabilityException(e.getMessage() + "; " + advice(layer, u.node()), e.missing());
    }
    return e;
  }

  @Override public void require(Set<Capability> needed, String who) {
    EnumSet<Capability> missing = needed.isEmpty() ? EnumSet.noneOf(Capability.class) : EnumSet.copyOf(needed);
    missing.removeAll(caps);
    if (missing.isEmpty()) return;
    String head = "'" + who + "' needs " + missing + " but model '" + info.name() + "' on engine 'onnx' offers only " + caps;
    if (missing.contains(Capability.LAYER_CUT)) {
      Object why = info.extra().get(ModelInfo.NO_LAYERS_REASON);
      throw new UnsupportedCapabilityException(head + ": it has no layer to cut at (" + why + "); use a method that needs"
          + " only forward passes (rise, occlusion)" + (caps.contains(Capability.INPUT_GRADIENT)
          ? " or input gradients (saliency, gradient-x-input, integrated-gradients, smoothgrad)" : ""), missing);
    }
    if (missing.contains(Capability.ATTENTION)) {
      throw new UnsupportedCapabilityException(head + ": it has no attention blocks (no Softmax over the last axis of a "
          + "[N, heads, T, T] tensor between its input and output); use a layer-based method instead", missing);
    }
    // swapped rules, bias and attention gradients come with the backward graph to the input: the same node blocks them
    boolean inputSide = missing.contains(Capability.MODIFIED_BACKWARD) || missing.contains(Capability.BIAS_GRADIENTS)
        || missing.contains(Capability.ATTENTION_GRADIENT);
    for (Capability c : List.of(Capability.VJP, Capability.INPUT_GRADIENT)) {
      Blocker b = blocked.get(c);
      if ((missing.contains(c) || (inputSide && c == Capability.INPUT_GRADIENT)) && b != null) {
        throw new UnsupportedCapabilityException(head + ": " + b.message()
            + (b.node() == null ? "; methods that need only forward passes still run (rise, occlusion)" : "; " + advice(b.layer(), b.node())), missing);
      }
    }
    throw new UnsupportedCapabilityException(head + "; use a method that needs less", missing);
  }

  private static InputSpec inputSpec(Path file, BundleManifest manifest, long[] fixed, Map<String, String> options) {
    if (manifest != null) {
      InputSpec s = manifest.input();
      long[] want = {s.channels(), s.height(), s.width()};
      for (int i = 0; i < 3; i++) {
        if (fixed[i + 1] > 0 && fixed[i + 1] != want[i]) {
          throw new ModelLoadException("bundle " + manifest.dir() + ": manifest input " + s.channels() + "x" + s.height() + "x" + s.width()
              + " disagrees with model.onnx input " + Arrays.toString(fixed) + "; re-export the bundle");
        }
      }
      return s;
    }
    int c = dim(fixed[1], options, "channels", 3);
    int h = dim(fixed[2], options, "height", 224);
    int w = dim(fixed[3], options, "width", 224);
    float[] mean = floats(options.get("mean"), c, 0f);
    float[] std = floats(options.get("std"), c, 1f);
    if (!options.containsKey("mean")) LOG.info("ONNX model {}: no mean/std given (engine options mean=..., std=...); inputs are used as given", file.getFileName());
    return new InputSpec(c, h, w, mean, std);
  }

  private static int dim(long fixed, Map<String, String> options, String key, int dflt) {
    String v = options.get(key);
    if (fixed > 0) {
      if (v != null && Long.parseLong(v.trim()) != fixed) {
        throw new InvalidInputException("engine option " + key + "=" + v + " but the ONNX model fixes it to " + fixed);
      }
      return (int) fixed;
    }
    if (v == null) {
      LOG.warn("ONNX input {} is dynamic and no engine option {} was given; using {}", key, key, dflt);
      return dflt;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new InvalidInputException("engine option " + key + "=" + v + " is not a whole number");
    }
  }

  private static float[] floats(String v, int c, float dflt) {
    float[] r = new float[c];
    Arrays.fill(r, dflt);
    if (v == null) return r;
    String[] parts = v.split(",");
    if (parts.length != c && parts.length != 1) throw new InvalidInputException("engine option '" + v + "' needs 1 or " + c + " numbers");
    for (int i = 0; i < c; i++) r[i] = Float.parseFloat(parts[parts.length == 1 ? 0 : i].trim());
    return r;
  }

  /** Engine option prefix that states a layer's layout: {@code layout.<layer or tensor>=<spec>} ({@link LayerLayout#of}). */
  static final String LAYOUT_OPTION = "layout.";

  /** The layout stated by engine option {@code layout.<name>}, checked against the raw shape. */
  private static java.util.Optional<LayerLayout> layoutOption(Map<String, String> options, String name, int[] raw) {
    String v = options.get(LAYOUT_OPTION + name);
    if (v == null) return java.util.Optional.empty();
    try {
      return java.util.Optional.of(LayerLayout.of(v, raw));
    } catch (InvalidInputException e) {
      throw new InvalidInputException("engine option " + LAYOUT_OPTION + name + "=" + v + ": " + e.getMessage());
    }
  }

  private static int[] chw(long[] s) {
    int[] r = new int[s.length - 1];
    for (int i = 1; i < s.length; i++) r[i - 1] = (int) s[i];
    return r;
  }

  /** Up to {@code n} names closest to {@code name} by edit distance. */
  static List<String> closest(String name, List<String> names, int n) {
    return names.stream().distinct()
        .sorted(Comparator.comparingInt((String s) -> editDistance(name, s)).thenComparing(s -> s))
        .limit(n).toList();
  }

  static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) prev[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  @Override public ModelInfo info() { return info; }

  @Override public Set<Capability> capabilities() { return caps; }

  /**
   * 1 unless engine option {@code threads=T} gave each call fewer threads than there are cores (then cores / T), and
   * always 1 on CUDA. Measured on resnet18, Score-CAM, 2 cores: two calls of one thread each 8.55-8.9 s per image, one
   * call of two threads 9.2 s. Sessions are thread-safe (ONNX Runtime's {@code Run} is).
   */
  @Override public int concurrency() {
    if (!"cpu".equals(ort.device()) || ort.threads() <= 0) return 1;
    return Math.max(1, Runtime.getRuntime().availableProcessors() / ort.threads());
  }

  /** Which execution provider runs this model: {@code cuda} or {@code cpu}. */
  public String device() { return ort.device(); }

  @Override public Tensor forward(Tensor batch) {
    checkOpen();
    checkInput(batch);
    return run(forward, Map.of(graph.inputName(), batch), graph.outputName());
  }

  @Override public LayerHook layer(String layer) {
    checkOpen();
    String key = layer;
    String tensor;
    if (LayerInfo.INPUT.equals(layer)) {
      tensor = graph.inputName();
    } else if (layerTensors.containsKey(layer)) {
      tensor = layerTensors.get(layer);
    } else if (graph.producer.containsKey(layer) && types.getOrDefault(layer, 0) == 1 && !layer.equals(graph.outputName())) {
      tensor = layer;
      if (graph.cutBlocker(tensor) != null) {
        String by = graph.bypass(tensor);
        throw new InvalidInputException("tensor '" + layer + "' of model '" + info.name() + "' is not a cut point: the output also reads '"
            + by + "', which bypasses it (a skip connection); cut at a tensor between blocks (xcam layers lists them)");
      }
    } else {
      List<String> names = new ArrayList<>(layerTensors.keySet());
      names.addAll(graph.producedTensors());
      names.add(LayerInfo.INPUT);
      List<String> near = closest(layer, names, 5);
      throw new UnknownNameException("layer", layer, "unknown layer '" + layer + "' in model '" + info.name() + "'; closest: "
          + String.join(", ", near) + "; list all with: xcam layers --model " + info.source());
    }
    return hooks.computeIfAbsent(key, k -> new OnnxLayer(this, k, tensor));
  }

  @Override public org.xcam.api.BiasGradients biasGradients(Tensor input, java.util.function.Function<Tensor, Tensor> seed) {
    checkOpen();
    require(Set.of(Capability.BIAS_GRADIENTS), "bias gradients");
    return ((OnnxLayer) layer(LayerInfo.INPUT)).biasGradients(input, seed);
  }

  @Override public List<org.xcam.api.Attention.Layer> attentionLayers() { return attention.layers(); }

  @Override public org.xcam.api.Attention attention(Tensor input, java.util.function.Function<Tensor, Tensor> seed) {
    checkOpen();
    if (attention.layers().isEmpty()) {
      throw new org.xcam.api.UnsupportedCapabilityException("model '" + info.name() + "' has no attention blocks: no Softmax over the "
          + "last axis of a [N, heads, T, T] tensor between its input and output", Set.of(Capability.ATTENTION));
    }
    checkInput(input);
    if (seed == null) return attention.run(input);
    require(Set.of(Capability.ATTENTION_GRADIENT), "attention gradients");
    return ((OnnxLayer) layer(LayerInfo.INPUT)).attention(input, seed, attention);
  }

  void checkOpen() {
    if (closed) throw new XcamException("ONNX model '" + info.name() + "' is closed");
  }

  void checkInput(Tensor batch) {
    InputSpec s = info.input();
    int[] sh = batch.shape();
    if (sh.length != 4 || sh[1] != s.channels() || sh[2] != s.height() || sh[3] != s.width() || sh[0] < 1) {
      throw new InvalidInputException("input shape " + Arrays.toString(sh) + " is not accepted by model '" + info.name()
          + "': it takes [N, " + s.channels() + ", " + s.height() + ", " + s.width() + "]; resize to " + s.height() + "x" + s.width()
          + " with " + s.channels() + " channel(s)");
    }
    if (!batch.isFinite()) {
      throw new InvalidInputException("input has a non-finite value at flat index " + batch.firstNonFinite() + "; check the image and normalisation");
    }
  }

  /** Runs {@code s} on float inputs (batched, or item by item for a fixed batch of 1) and returns output {@code out}. */
  Tensor run(OrtSession s, Map<String, Tensor> inputs, String out) {
    return runAll(s, inputs, List.of(out)).get(0);
  }

  List<Tensor> runAll(OrtSession s, Map<String, Tensor> inputs, List<String> outs) {
    int n = inputs.values().iterator().next().dim(0);
    if (fixedBatch && n > 1) {
      List<List<Tensor>> per = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Map<String, Tensor> one = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) one.put(e.getKey(), e.getValue().slice(i, i + 1));
        per.add(runAll(s, one, outs));
      }
      List<Tensor> r = new ArrayList<>();
      for (int o = 0; o < outs.size(); o++) {
        List<Tensor> items = new ArrayList<>();
        for (List<Tensor> p : per) items.add(p.get(o));
        r.add(Tensor.concat(items));
      }
      return r;
    }
    Map<String, OnnxTensor> feed = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, Tensor> e : inputs.entrySet()) feed.put(e.getKey(), ort.tensor(e.getValue()));
      try (OrtSession.Result res = s.run(feed, new HashSet<>(outs))) {
        List<Tensor> r = new ArrayList<>();
        for (String o : outs) r.add(OrtSupport.toTensor(res.get(o).orElseThrow(), o));
        return r;
      }
    } catch (OrtException e) {
      throw new EngineException("ONNX Runtime failed on model '" + info.name() + "': " + OrtSupport.firstLine(e.getMessage()), e);
    } finally {
      for (OnnxTensor t : feed.values()) t.close();
    }
  }

  @Override public void close() {
    if (closed) return;
    closed = true;
    for (OnnxLayer l : hooks.values()) l.close();
    attention.close();
    try {
      forward.close();
    } catch (OrtException e) {
      LOG.debug("closing session: {}", e.getMessage());
    }
  }

  @Override public String toString() {
    return "OnnxModel[" + info.name() + ", " + graph.nodes.size() + " nodes, " + ort.device() + "]";
  }
}
