package org.xcam.engine.djl;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xcam.api.Capability;
import org.xcam.api.EngineException;
import org.xcam.api.InputSpec;
import org.xcam.api.InvalidInputException;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerInfo;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.ModelLoadException;
import org.xcam.api.OutputKind;
import org.xcam.api.SecondOrder;
import org.xcam.api.TailGradient;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.api.UnknownNameException;
import org.xcam.api.XcamException;
import org.xcam.api.bundle.BundleManifest;

/**
 * A TorchScript model (a bundle's {@code model.pt} plus one head and one tail module per cut layer) running on DJL's
 * PyTorch engine.
 *
 * <p><b>What runs where.</b> {@link #forward} runs {@code model.pt} without autograd. {@link #layer}{@code (L)} gives
 * a hook whose {@code activation} runs {@code layers/L.head.pt}, whose {@code tail} runs {@code layers/L.tail.pt}, and
 * whose {@code vjp} / {@code tailWithGradient} run the tail once with autograd recording and back-propagate
 * {@code dObjective/dOutput} to the activation ({@code y.backward(gradOutput)}, then {@code a.grad}). The layer
 * {@code input} has the identity as head and {@code model.pt} as tail. The modules are loaded once, with DJL's option
 * {@code trainParam=true} (PyTorch refuses to record autograd through parameters loaded as inference tensors), and
 * then their parameters are frozen ({@code requires_grad=false}) so a backward pass computes only the gradient of the
 * activation: no parameter gradient is computed or accumulated.
 *
 * <p><b>Native memory.</b> Every call works in its own {@link NDManager} sub-manager that is closed before the call
 * returns; results are copied into {@link Tensor}s first. Nothing native outlives a call except the loaded modules,
 * which {@link #close()} frees. {@code forward}, {@code activation}, {@code tail} and {@code vjp} run large batches in
 * slices; {@code tailWithGradient} runs its batch whole, because its seed function sees the whole output. The slice is
 * the option {@code maxBatch} when given; by default it is as many rows as fit in {@value #SLICE_BYTES} bytes of the
 * call's input (8 images of 3 x 224 x 224, 1 of 1 x 1024 x 1024), at least 1 and at most {@value #DEFAULT_MAX_BATCH}.
 *
 * <p>Why by bytes: libtorch's CPU allocator takes every large tensor from the C allocator and gives it back at once,
 * and glibc serves blocks over 32 MiB with a fresh {@code mmap}, so each intermediate tensor of a big batch is
 * page-faulted in again on every call. Measured on resnet18 at 224 x 224, one thread, with Score-CAM's masked
 * batches ({@code xcam bench perturbation --scorecam-batches}): 24.0-25.1 images/s at batch 2-8, 20.4 at 16 and 18.2
 * at 32 (where a quarter of the process's CPU time was system time). Sized by bytes, callers may ask for any batch.
 *
 * <p><b>Threads.</b> A {@code DjlModel} and its hooks are safe to use from several threads at once, and concurrent
 * calls give the same numbers as the same calls made one after another (checked by {@code DjlConcurrencyTest}: 4
 * threads x 50 mixed calls). This holds without a lock around the modules because (1) calls go straight to the
 * TorchScript module's {@code forward} ({@code IValueUtils.forward}), never through DJL's
 * {@code PtSymbolBlock.forward}, which flips the shared train/eval flag and is therefore not safe to call from
 * several threads; the traced graphs have eval-mode behaviour frozen in, so the flag is never needed;
 * (2) PyTorch's autograd mode is thread-local and is set and restored by each gradient call; DJL's
 * {@code GradientCollector} is not used, because it allows only one collector in the whole process; (3) the
 * parameters are frozen, so concurrent backward passes write nothing shared; (4) libtorch runs one
 * {@code torch::jit::Module} from several threads at once (its graph executor locks its own compilation cache).
 * {@link #close()} waits for calls in flight (a read-write lock) and later calls fail with {@link XcamException}.
 */
public final class DjlModel implements Model {
  private static final Logger LOG = LoggerFactory.getLogger(DjlModel.class);
  private static final String FIX = "re-export the bundle with tools/export_bundle.py";
  static final int DEFAULT_MAX_BATCH = 64;
  /** Default slice budget: bytes of float32 input per engine call (see the class comment). */
  static final long SLICE_BYTES = 5L << 20;

  private final ModelInfo info;
  private final Set<Capability> capabilities;
  private final List<ai.djl.Model> owned;
  private final NDManager calls;
  private final Module full;
  private final Map<String, Hook> hooks;
  private final int maxBatch;
  private final ReentrantReadWriteLock life = new ReentrantReadWriteLock();
  private volatile boolean closed;
  /** The bundle's attention module ({@code attention.pt}, docs/model-bundle.md) and its blocks; null / empty without. */
  private Module attentionModule;
  private List<org.xcam.api.Attention.Layer> attentionLayers = List.of();

  /** A loaded TorchScript module and the file it came from. */
  private record Module(Path file, PtSymbolBlock block) { }

  private DjlModel(ModelInfo info, Set<Capability> capabilities, List<ai.djl.Model> owned, NDManager calls,
                   Module full, Map<String, Module[]> cuts, int maxBatch) {
    this.info = info;
    this.capabilities = Collections.unmodifiableSet(EnumSet.copyOf(capabilities));
    this.owned = owned;
    this.calls = calls;
    this.full = full;
    this.maxBatch = maxBatch;
    Map<String, Hook> h = new LinkedHashMap<>();
    h.put(LayerInfo.INPUT, new Hook(info.layer(LayerInfo.INPUT), null, full));
    for (LayerInfo l : info.layers()) {
      Module[] ht = cuts.get(l.name());
      h.put(l.name(), new Hook(l, ht[0], ht[1]));
    }
    this.hooks = Collections.unmodifiableMap(h);
  }

  // ------------------------------------------------------------------------------------------------ loading

  /** Loads a checked bundle (manifest read, TorchScript files present). */
  static DjlModel loadBundle(BundleManifest m, Map<String, String> options) {
    long t0 = System.nanoTime();
    int maxBatch = maxBatch(options);
    Engine engine = engine();
    List<ai.djl.Model> owned = new ArrayList<>();
    NDManager calls = null;
    try {
      Module full = loadModule(m.modelPt(), owned);
      Map<String, Module[]> cuts = new LinkedHashMap<>();
      for (String l : m.layers()) {
        cuts.put(l, new Module[] {loadModule(m.headFile(l), owned), loadModule(m.tailFile(l), owned)});
      }
      calls = engine.newBaseManager(Device.cpu());
      InputSpec in = m.input();
      String where = "bundle " + m.dir();
      List<LayerInfo> layers = new ArrayList<>();
      try (NDManager probe = calls.newSubManager()) {
        Tensor x = probeInput(in);
        String inputFix = "fix \"input\" in " + BundleManifest.FILE + " or " + FIX;
        Tensor y = probeRun(probe, full, x, "a " + shape(x.shape()) + " input (the manifest's input "
            + in.channels() + "x" + in.height() + "x" + in.width() + ")", where, inputFix);
        if (y.rank() != 2 || y.dim(0) != 1) {
          throw new ModelLoadException(where + ": model.pt returns shape " + shape(y.shape())
              + " for one image, expected [1, K]; export a classifier whose forward returns [N, K] logits");
        }
        if (y.dim(1) != m.labels().size()) {
          throw new ModelLoadException(where + ": the manifest lists " + m.labels().size() + " labels but model.pt has "
              + y.dim(1) + " outputs; fix \"labels\" in " + BundleManifest.FILE + " or " + FIX);
        }
        for (String l : m.layers()) {
          Module[] ht = cuts.get(l);
          Tensor a = probeRun(probe, ht[0], x, "a " + shape(x.shape()) + " input", where, inputFix);
          Tensor ya = probeRun(probe, ht[1], a, "the activation of its head " + shape(a.shape()), where,
              "layer '" + l + "': the head and tail files do not belong together; " + FIX);
          if (!Arrays.equals(ya.shape(), y.shape())) {
            throw new ModelLoadException(where + ": layer '" + l + "': tail(head(x)) has shape " + shape(ya.shape())
                + " but model.pt(x) has " + shape(y.shape()) + "; the layer files do not belong to this model; " + FIX);
          }
          double diff = ya.maxAbsDiff(y);
          double scale = 1;
          for (int k = 0; k < y.size(); k++) scale = Math.max(scale, Math.abs(y.get(k)));
          if (!(diff <= 1e-3 * scale)) {
            throw new ModelLoadException(where + ": layer '" + l + "': tail(head(x)) differs from model.pt(x) by "
                + String.format(Locale.ROOT, "%.3g", diff) + "; the layer files do not belong to this model; " + FIX);
          }
          int[] s = a.shape();
          layers.add(new LayerInfo(l, m.layout(l, Arrays.copyOfRange(s, 1, s.length))));
        }
      }
      Map<String, Object> extra = new LinkedHashMap<>(m.extra());
      extra.values().removeIf(v -> v == null);   // JSON nulls: ModelInfo keeps an immutable copy, which refuses them
      ModelInfo info = new ModelInfo(m.name(), m.task(), m.labels(), in, layers, m.defaultLayer(),
          m.dir().toString(), DjlEngineProvider.NAME, extra, outputKind(options, m.outputs()));
      // no MODIFIED_BACKWARD (TorchScript's backward cannot swap rules) and no BIAS_GRADIENTS (a traced module does
      // not expose its bias layers' outputs); both are refused up front, naming the capability
      Set<Capability> caps = layers.isEmpty()
          ? EnumSet.of(Capability.FORWARD, Capability.VJP, Capability.INPUT_GRADIENT, Capability.HESSIAN_VECTOR_PRODUCT)
          : EnumSet.of(Capability.FORWARD, Capability.LAYER_CUT, Capability.VJP, Capability.INPUT_GRADIENT,
              Capability.HESSIAN_VECTOR_PRODUCT);
      Module attnModule = null;
      List<org.xcam.api.Attention.Layer> attn = attentionLayers(m);
      if (!attn.isEmpty()) {
        attnModule = loadModule(m.dir().resolve(String.valueOf(((Map<?, ?>) m.extra().get("attention")).get("module"))), owned);
        caps = EnumSet.copyOf(caps);
        caps.add(Capability.ATTENTION);
        caps.add(Capability.ATTENTION_GRADIENT);
      }
      DjlModel model = new DjlModel(info, caps, owned, calls, full, cuts, maxBatch);
      model.attentionModule = attnModule;
      model.attentionLayers = attn;
      LOG.debug("loaded bundle {} ({} layers) in {} ms", m.dir(), layers.size(), (System.nanoTime() - t0) / 1_000_000);
      return model;
    } catch (RuntimeException | Error e) {
      closeAll(owned, calls);
      throw e;
    }
  }

  /**
   * The manifest's attention blocks ({@code "attention": {"module": "attention.pt", "layers": [{"name", "kind":
   * "attention", "shape": [heads, T, T]}, ...]}}), or none.
   */
  private static List<org.xcam.api.Attention.Layer> attentionLayers(BundleManifest m) {
    Object a = m.extra().get("attention");
    if (a == null) return List.of();
    String where = "bundle " + m.dir() + ": \"attention\" ";
    if (!(a instanceof Map<?, ?> am) || !(am.get("module") instanceof String file) || !(am.get("layers") instanceof List<?> ls)) {
      throw new ModelLoadException(where + "must be {\"module\": \"attention.pt\", \"layers\": [...]}; " + FIX);
    }
    if (!java.nio.file.Files.isRegularFile(m.dir().resolve(file))) throw new ModelLoadException(where + "names " + file + ", which is missing; " + FIX);
    List<org.xcam.api.Attention.Layer> out = new ArrayList<>();
    for (Object o : ls) {
      if (!(o instanceof Map<?, ?> l) || !(l.get("name") instanceof String name) || !(l.get("shape") instanceof List<?> sh) || sh.size() != 3
          || !(sh.get(0) instanceof Number h) || !(sh.get(1) instanceof Number t)) {
        throw new ModelLoadException(where + "layers must be {\"name\", \"kind\": \"attention\", \"shape\": [heads, T, T]}; " + FIX);
      }
      out.add(new org.xcam.api.Attention.Layer(name, h.intValue(), t.intValue()));
    }
    return List.copyOf(out);
  }

  @Override public List<org.xcam.api.Attention.Layer> attentionLayers() { return attentionLayers; }

  /**
   * One forward of {@code attention.pt} with zero deltas added to every block's probabilities; with a seed, one
   * backward from the output: the gradient with respect to each delta is the gradient with respect to the
   * probabilities.
   */
  @Override public org.xcam.api.Attention attention(Tensor input, Function<Tensor, Tensor> seed) {
    if (attentionModule == null) return Model.super.attention(input, seed);
    checkInput(input, "attention");
    return call("attention", m -> {
      int n = input.dim(0);
      boolean before = JniUtils.isGradMode();
      // always in grad mode, as the gradient call: after a run that recorded autograd, TorchScript's executor keeps a
      // differentiable plan, and a later run in inference mode fails ("Inference tensors cannot be saved for
      // backward"); without a seed nothing requires grad, so nothing is recorded
      JniUtils.setGradMode(true);
      try {
        // as the input-gradient hook does: the input requires grad too
        NDArray x = toNd(m, input);
        if (seed != null) x.setRequiresGradient(true);
        NDList in = new NDList(x);
        List<NDArray> deltas = new ArrayList<>();
        for (org.xcam.api.Attention.Layer l : attentionLayers) {
          NDArray d = toNd(m, Tensor.zeros(n, l.heads(), l.tokens(), l.tokens()));
          if (seed != null) d.setRequiresGradient(true);
          deltas.add(d);
          in.add(d);
        }
        NDList out = IValueUtils.forward(attentionModule.block(), in, true);
        if (out.size() != attentionLayers.size() + 1) {
          throw new EngineException(attentionModule.file().getFileName() + " returned " + out.size() + " tensors, expected "
              + (attentionLayers.size() + 1) + " (the output and one per attention block); " + FIX);
        }
        Tensor y = toTensor(out.get(0));
        List<Tensor> probs = new ArrayList<>();
        for (int k = 1; k < out.size(); k++) probs.add(toTensor(out.get(k)));
        List<Tensor> grads = new ArrayList<>();
        if (seed != null) {
          Tensor g;
          try {
            g = seed.apply(y);
          } catch (RuntimeException e) {
            throw new Passthrough(e);
          }
          checkGradOutput(g, n);
          NDArray gn = toNd(m, g);
          JniUtils.backward((PtNDArray) out.get(0), (PtNDArray) gn, false, false);
          for (NDArray d : deltas) grads.add(toTensor(d.getGradient()));
        }
        List<org.xcam.api.Attention.Block> blocks = new ArrayList<>();
        for (int k = 0; k < attentionLayers.size(); k++) {
          blocks.add(new org.xcam.api.Attention.Block(attentionLayers.get(k), probs.get(k), seed == null ? null : grads.get(k)));
        }
        return new org.xcam.api.Attention(y, blocks);
      } finally {
        JniUtils.setGradMode(before);
      }
    });
  }

  /** Loads a bare TorchScript file; needs the option {@code input=CxHxW}. */
  static DjlModel loadFile(Path file, Map<String, String> options) {
    String spec = options.get("input");
    if (spec == null || spec.isBlank()) {
      throw new ModelLoadException("TorchScript file " + file + " has no manifest, so its input shape is unknown; pass"
          + " the engine option input=CxHxW (e.g. input=1x224x224) or export a bundle with tools/export_bundle.py");
    }
    String[] p = spec.trim().toLowerCase(Locale.ROOT).split("x");
    int c, h, w;
    try {
      if (p.length != 3) throw new NumberFormatException();
      c = Integer.parseInt(p[0]);
      h = Integer.parseInt(p[1]);
      w = Integer.parseInt(p[2]);
    } catch (NumberFormatException e) {
      throw new ModelLoadException("engine option input='" + spec + "' is not CxHxW (e.g. 3x224x224)");
    }
    if (c <= 0 || h <= 0 || w <= 0) throw new ModelLoadException("engine option input='" + spec + "' needs positive sizes");
    Task task;
    try {
      task = Task.fromId(options.getOrDefault("task", "multiclass"));
    } catch (InvalidInputException e) {
      throw new ModelLoadException("engine option task: " + e.getMessage());
    }
    float[] mean = new float[c];
    float[] std = new float[c];
    Arrays.fill(std, 1f);
    InputSpec in = new InputSpec(c, h, w, mean, std);
    int maxBatch = maxBatch(options);
    Engine engine = engine();
    List<ai.djl.Model> owned = new ArrayList<>();
    NDManager calls = null;
    try {
      Module full = loadModule(file, owned);
      calls = engine.newBaseManager(Device.cpu());
      Tensor y;
      try (NDManager probe = calls.newSubManager()) {
        Tensor x = probeInput(in);
        y = probeRun(probe, full, x, "a " + shape(x.shape()) + " input (engine option input=" + spec + ")",
            "TorchScript file " + file, "give the input shape the model takes as input=CxHxW");
      }
      if (y.rank() != 2) {
        throw new ModelLoadException("TorchScript file " + file + " returns shape " + shape(y.shape())
            + " for one image, expected [1, K]; export a classifier whose forward returns [N, K]");
      }
      List<String> labels = new ArrayList<>();
      for (int k = 0; k < y.dim(1); k++) labels.add("class " + k);
      String name = file.getFileName().toString().replaceFirst("\\.pt$", "");
      ModelInfo info = new ModelInfo(name, task, labels, in, List.of(), null, file.toString(), DjlEngineProvider.NAME, Map.of(),
          outputKind(options, OutputKind.LOGITS));
      return new DjlModel(info, EnumSet.of(Capability.FORWARD, Capability.VJP, Capability.INPUT_GRADIENT,
          Capability.HESSIAN_VECTOR_PRODUCT), owned, calls,
          full, Map.of(), maxBatch);
    } catch (RuntimeException | Error e) {
      closeAll(owned, calls);
      throw e;
    }
  }

  /** Engine option {@code outputs=logits|probabilities}, else {@code dflt} (the manifest's {@code outputs}). */
  private static OutputKind outputKind(Map<String, String> options, OutputKind dflt) {
    String v = options.get("outputs");
    if (v == null) return dflt;
    try {
      return OutputKind.fromId(v);
    } catch (InvalidInputException e) {
      throw new ModelLoadException("engine option outputs=" + v + ": use logits (the default) or probabilities (the model applies"
          + " sigmoid or softmax itself)");
    }
  }

  /** The option {@code maxBatch}, or 0 when not given (slices sized by {@link #SLICE_BYTES}). */
  private static int maxBatch(Map<String, String> options) {
    String v = options.get("maxBatch");
    if (v == null) return 0;
    try {
      int n = Integer.parseInt(v.trim());
      if (n < 1) throw new NumberFormatException();
      return n;
    } catch (NumberFormatException e) {
      throw new ModelLoadException("engine option maxBatch='" + v + "' must be a positive integer");
    }
  }

  /** DJL's system property for libtorch's intra-op thread count, read once when the engine starts. */
  static final String THREADS_PROPERTY = "ai.djl.pytorch.num_threads";

  /**
   * The PyTorch engine, offline unless the user chose otherwise with {@code -Dai.djl.offline}, and with one intra-op
   * thread unless {@code -Dai.djl.pytorch.num_threads=N} says otherwise (see {@link DjlEngineProvider}: OpenMP
   * pools spin-wait, and under oversubscription a forward pass was 70-130x slower with 2 threads than with 1).
   */
  static Engine engine() {
    if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
    if (System.getProperty(THREADS_PROPERTY) == null) System.setProperty(THREADS_PROPERTY, "1");
    try {
      return Engine.getEngine("PyTorch");
    } catch (RuntimeException | LinkageError e) {
      throw new EngineException("cannot start DJL's PyTorch engine (" + reason(e) + "); put ai.djl.pytorch:pytorch-engine,"
          + " pytorch-jni and pytorch-native-cpu (linux-x86_64) on the class path and make ~/.djl.ai (or DJL_CACHE_DIR) writable", e);
    }
  }

  private static Module loadModule(Path file, List<ai.djl.Model> owned) {
    String stem = file.getFileName().toString().replaceFirst("\\.pt$", "");
    ai.djl.Model m = ai.djl.Model.newInstance(stem, Device.cpu(), "PyTorch");
    owned.add(m);
    try {
      m.load(file, stem, Map.of("trainParam", "true"));
    } catch (Exception e) {
      throw new ModelLoadException("cannot read TorchScript file " + file + " (" + reason(e)
          + "); the file is truncated, corrupt or not TorchScript; " + FIX, e);
    }
    if (!(m.getBlock() instanceof PtSymbolBlock block)) {
      throw new ModelLoadException("TorchScript file " + file + " did not load as a TorchScript module; " + FIX);
    }
    block.freezeParameters(true);
    return new Module(file, block);
  }

  /** A seeded pseudo-random batch of one: makes the load-time invariant check discriminative, unlike zeros. */
  private static Tensor probeInput(InputSpec in) {
    Random r = new Random(20261121L);
    float[] v = new float[in.channels() * in.height() * in.width()];
    for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian());
    return Tensor.wrap(v, 1, in.channels(), in.height(), in.width());
  }

  private static Tensor probeRun(NDManager m, Module mod, Tensor x, String what, String where, String fix) {
    try {
      return toTensor(run(mod, toNd(m, x), false));
    } catch (XcamException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new ModelLoadException(where + ": " + mod.file().getFileName() + " fails on " + what + " (" + reason(e)
          + "); " + fix, e);
    }
  }

  private static void closeAll(List<ai.djl.Model> owned, NDManager calls) {
    for (ai.djl.Model m : owned) {
      try {
        m.close();
      } catch (RuntimeException e) {
        LOG.debug("closing {} failed", m.getName(), e);
      }
    }
    if (calls != null) calls.close();
  }

  // ------------------------------------------------------------------------------------------------ Model

  @Override public ModelInfo info() { return info; }

  @Override public Set<Capability> capabilities() { return capabilities; }

  /**
   * The cores over libtorch's intra-op threads ({@value #THREADS_PROPERTY}, 1 by default): with one thread per call,
   * two Score-CAM batches in flight on 2 cores ran resnet18 1.8x faster than one ({@code xcam bench perturbation}:
   * 24 -> 44 images/s). Calls are thread-safe (see above).
   */
  @Override public int concurrency() {
    int threads = 1;
    try {
      threads = Math.max(1, Integer.parseInt(System.getProperty(THREADS_PROPERTY, "1").trim()));
    } catch (NumberFormatException e) {
      // DJL reads the same property; an unreadable value leaves its default of one thread per call here
    }
    return Math.max(1, Runtime.getRuntime().availableProcessors() / threads);
  }

  @Override public Tensor forward(Tensor batch) {
    checkInput(batch, "forward");
    return chunked(batch, null, "forward", (m, x, g) -> toTensor(run(full, toNd(m, x), false)));
  }

  @Override public LayerHook layer(String layer) {
    Hook h = hooks.get(layer);
    if (h != null) return h;
    List<String> names = new ArrayList<>(hooks.keySet());
    String hint = info.layers().isEmpty()
        ? "a bare TorchScript file has no cut layers; export a bundle with tools/export_bundle.py to cut inside the model"
        : "list them with: xcam layers --model " + info.source();
    throw UnknownNameException.of("layer", layer, names, hint);
  }

  @Override public void close() {
    Lock l = life.writeLock();
    l.lock();
    try {
      if (closed) return;
      closed = true;
      closeAll(owned, calls);
    } finally {
      l.unlock();
    }
  }

  @Override public String toString() { return "DjlModel[" + info.name() + " from " + info.source() + "]"; }

  // ------------------------------------------------------------------------------------------------ hooks

  private final class Hook implements LayerHook {
    private final LayerInfo layer;
    private final Module head;   // null for the input layer (identity)
    private final Module tail;

    Hook(LayerInfo layer, Module head, Module tail) {
      this.layer = layer;
      this.head = head;
      this.tail = tail;
    }

    @Override public String name() { return layer.name(); }

    @Override public Tensor activation(Tensor input) {
      checkInput(input, "activation at '" + layer.name() + "'");
      if (head == null) return input;
      return chunked(input, null, "activation at '" + layer.name() + "'", (m, x, g) -> toTensor(run(head, toNd(m, x), false)));
    }

    @Override public Tensor tail(Tensor activation) {
      checkActivation(activation);
      return chunked(activation, null, "tail from '" + layer.name() + "'", (m, a, g) -> toTensor(run(tail, toNd(m, a), false)));
    }

    @Override public Tensor vjp(Tensor activation, Tensor gradOutput) {
      checkActivation(activation);
      checkGradOutput(gradOutput, activation.dim(0));
      return chunked(activation, gradOutput, "vjp at '" + layer.name() + "'", (m, a, g) -> {
        NDArray an = toNd(m, a);
        an.setRequiresGradient(true);
        boolean before = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try {
          NDArray y = run(tail, an, true);
          return backward(m, an, y, g);
        } finally {
          JniUtils.setGradMode(before);
        }
      });
    }

    @Override public TailGradient tailWithGradient(Tensor activation, Function<Tensor, Tensor> seed) {
      checkActivation(activation);
      return call("tail+vjp at '" + layer.name() + "'", m -> {
        NDArray an = toNd(m, activation);
        an.setRequiresGradient(true);
        boolean before = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try {
          NDArray y = run(tail, an, true);
          Tensor out = toTensor(y);
          Tensor g;
          try {
            g = seed.apply(out);
          } catch (RuntimeException e) {
            throw new Passthrough(e);
          }
          checkGradOutput(g, activation.dim(0));
          return new TailGradient(out, backward(m, an, y, g));
        } finally {
          JniUtils.setGradMode(before);
        }
      });
    }

    /**
     * Exact Hessian-vector product by double backward through the TorchScript tail. {@code y = tail(a)} is recorded
     * with {@code a} and the seed {@code s} as leaves that require gradients; then {@code torch.autograd.grad},
     * called through the bundled helper module ({@link AutogradOps}), gives {@code g = J^T s} with its graph
     * ({@code create_graph}), then {@code d(g . v)/da = (dJ^T/da . v) s} and {@code d(g . v)/ds = J v}; when the seed
     * depends on the output, one more {@code J^T (ds/dy)(J v)} on the kept graph adds the objective's own curvature.
     * Rows are independent (eval-mode traces), so one call gives every row's product. Nothing is left in
     * {@code a.grad}: a gradient with a graph stored there would refer back to {@code a}, a cycle libtorch never
     * frees (DJL's {@code backward(create_graph=true)} does exactly that).
     */
    @Override public SecondOrder tailWithHessianVector(Tensor activation, Tensor v, Function<Tensor, Tensor> seed,
                                                       BiFunction<Tensor, Tensor, Tensor> seedTangent) {
      checkActivation(activation);
      if (v == null || !Arrays.equals(v.shape(), activation.shape())) {
        throw new InvalidInputException("the Hessian-vector direction v has shape " + (v == null ? "null" : shape(v.shape()))
            + " but the activation has " + shape(activation.shape()) + "; pass one direction per activation row");
      }
      return call("tail+hessian-vector at '" + layer.name() + "'", m -> {
        NDArray an = toNd(m, activation);
        an.setRequiresGradient(true);
        boolean before = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try {
          NDArray y = run(tail, an, true);
          Tensor out = toTensor(y);
          Tensor s;
          try {
            s = seed.apply(out);
          } catch (RuntimeException e) {
            throw new Passthrough(e);
          }
          checkGradOutput(s, activation.dim(0));
          String fn = JniUtils.getGradientFunctionNames((PtNDArray) y);
          if ((fn == null || fn.isBlank()) && !JniUtils.requiresGrad((PtNDArray) y)) {
            return new SecondOrder(out, Tensor.zeros(activation.shape()), Tensor.zeros(activation.shape()));
          }
          NDArray sn = toNd(m, s);
          if (sn.getDataType() != y.getDataType()) sn = sn.toType(y.getDataType(), false);
          sn.setRequiresGradient(true);
          NDArray vn = toNd(m, v);
          boolean keep = seedTangent != null;
          NDArray[] r = AutogradOps.secondOrder(m, y, an, sn, vn, keep);
          Tensor g = toTensor(r[0]);
          Tensor hv = toTensor(r[1]);
          if (keep) {
            Tensor jv = toTensor(r[2]);
            Tensor u;
            try {
              u = seedTangent.apply(out, jv);
            } catch (RuntimeException e) {
              throw new Passthrough(e);
            }
            if (u != null) {
              checkGradOutput(u, activation.dim(0));
              float[] ud = u.toArray();
              boolean any = false;
              for (float x : ud) any |= x != 0;
              if (any) {
                NDArray un = toNd(m, u);
                if (un.getDataType() != y.getDataType()) un = un.toType(y.getDataType(), false);
                float[] h = hv.toArray(), c = toTensor(AutogradOps.vjp(m, y, an, un)).toArray();
                for (int i = 0; i < h.length; i++) h[i] += c[i];
                hv = Tensor.wrap(h, activation.shape());
              }
            }
          }
          return new SecondOrder(out, g, hv);
        } finally {
          JniUtils.setGradMode(before);
        }
      });
    }

    private void checkActivation(Tensor a) {
      if (head == null) {
        checkInput(a, "tail from 'input'");
        return;
      }
      int[] s = a.shape();
      int[] want = layer.rawShape();
      if (s.length != want.length + 1 || s[0] < 1 || !Arrays.equals(Arrays.copyOfRange(s, 1, s.length), want)) {
        int[] batchWant = new int[want.length + 1];
        batchWant[0] = -1;
        System.arraycopy(want, 0, batchWant, 1, want.length);
        throw new InvalidInputException("activation for layer '" + layer.name() + "' of model '" + info.name()
            + "' has shape " + shape(s) + " but the layer's activation is " + shape(batchWant).replace("-1", "N")
            + "; pass what activation() of this layer returned");
      }
    }

    @Override public String toString() { return "DjlModel.layer(" + layer + ")"; }
  }

  /** Runs the backward of {@code y} with seed {@code g} and returns {@code d(g.y)/da} (zeros if y ignores a). */
  private static Tensor backward(NDManager m, NDArray a, NDArray y, Tensor g) {
    // Neither NDArray.hasGradient() nor JniUtils.requiresGrad() reports true for a module's output that has a
    // grad_fn (seen with DJL 0.35.1), so ask for the grad_fn: an output without one does not depend on a.
    String fn = JniUtils.getGradientFunctionNames((PtNDArray) y);
    if ((fn == null || fn.isBlank()) && !JniUtils.requiresGrad((PtNDArray) y)) return Tensor.zeros(shapeOf(a));
    NDArray gn = toNd(m, g);
    if (gn.getDataType() != y.getDataType()) gn = gn.toType(y.getDataType(), false);
    JniUtils.backward((PtNDArray) y, (PtNDArray) gn, false, false);
    return toTensor(a.getGradient());
  }

  private void checkGradOutput(Tensor g, int n) {
    if (g == null) throw new InvalidInputException("gradOutput is null; pass dObjective/dOutput of shape [N, K]");
    int k = info.numOutputs();
    if (g.rank() != 2 || g.dim(0) != n || g.dim(1) != k) {
      throw new InvalidInputException("gradOutput (dObjective/dOutput) has shape " + shape(g.shape()) + " but model '"
          + info.name() + "' needs [" + n + ", " + k + "] (one row per activation, one column per output)");
    }
  }

  private void checkInput(Tensor x, String what) {
    if (x == null) throw new InvalidInputException(what + ": input is null");
    InputSpec in = info.input();
    int[] s = x.shape();
    String takes = "[N, " + in.channels() + ", " + in.height() + ", " + in.width() + "]";
    if (s.length != 4) {
      throw new InvalidInputException("input has shape " + shape(s) + " but model '" + info.name() + "' takes a batch "
          + takes + (s.length == 3 ? "; add the batch axis (Tensor.unsqueeze())" : "; reshape it to " + takes));
    }
    if (s[0] < 1) throw new InvalidInputException("input batch is empty (shape " + shape(s) + "); pass at least one image");
    if (s[1] != in.channels()) {
      throw new InvalidInputException("input has " + s[1] + " channel(s) but model '" + info.name() + "' takes "
          + in.channels() + " (" + (in.channels() == 1 ? "grayscale" : in.channels() == 3 ? "RGB" : in.channels() + " channels")
          + "), shape " + takes + "; convert the image as the manifest's input says");
    }
    if (s[2] != in.height() || s[3] != in.width()) {
      throw new InvalidInputException("input is " + s[2] + " x " + s[3] + " (H x W) but model '" + info.name() + "' takes "
          + in.height() + " x " + in.width() + ", shape " + takes + "; resize the image to " + in.height() + " x "
          + in.width() + " first");
    }
    int bad = x.firstNonFinite();
    if (bad >= 0) {
      throw new InvalidInputException("input holds " + x.get(bad) + " at flat index " + bad
          + "; NaN or infinite values cannot be explained, fix the image or its normalisation");
    }
  }

  // ------------------------------------------------------------------------------------------------ calls

  @FunctionalInterface
  private interface Body<T> { T run(NDManager m); }

  @FunctionalInterface
  private interface Slice { Tensor run(NDManager m, Tensor x, Tensor g); }

  /** A seed function's own exception, carried through {@link #call} unchanged. */
  private static final class Passthrough extends RuntimeException {
    Passthrough(RuntimeException cause) { super(cause); }
  }

  /** Runs {@code body} in a fresh sub-manager (closed at the end) while holding the model open. */
  private <T> T call(String what, Body<T> body) {
    Lock l = life.readLock();
    l.lock();
    try {
      if (closed) throw new XcamException("model '" + info.name() + "' is closed; load it again to run " + what);
      try (NDManager m = calls.newSubManager()) {
        return body.run(m);
      }
    } catch (Passthrough p) {
      throw (RuntimeException) p.getCause();
    } catch (XcamException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new EngineException("djl engine failed in " + what + " of model '" + info.name() + "' (" + reason(e) + ")", e);
    } finally {
      l.unlock();
    }
  }

  /** Rows of {@code x} per engine call: the option {@code maxBatch}, else as many as fit in {@link #SLICE_BYTES}. */
  int sliceRows(Tensor x) {
    if (maxBatch > 0) return maxBatch;
    long rowBytes = 4L * (x.size() / Math.max(1, x.dim(0)));
    return (int) Math.max(1, Math.min(DEFAULT_MAX_BATCH, SLICE_BYTES / Math.max(1, rowBytes)));
  }

  /** Runs {@code f} over slices of at most {@link #sliceRows} items (x and the optional g sliced alike) and joins. */
  private Tensor chunked(Tensor x, Tensor g, String what, Slice f) {
    int n = x.dim(0);
    int rows = sliceRows(x);
    if (n <= rows) return call(what, m -> f.run(m, x, g));
    List<Tensor> parts = new ArrayList<>();
    for (int from = 0; from < n; from += rows) {
      int to = Math.min(n, from + rows);
      Tensor xs = x.slice(from, to);
      Tensor gs = g == null ? null : g.slice(from, to);
      parts.add(call(what, m -> f.run(m, xs, gs)));
    }
    return Tensor.concat(parts);
  }

  /** One TorchScript forward; {@code grad} records autograd (the caller sets the thread's grad mode). */
  private static NDArray run(Module mod, NDArray x, boolean grad) {
    NDList out = IValueUtils.forward(mod.block(), new NDList(x), grad);
    if (out.size() != 1) {
      throw new EngineException(mod.file().getFileName() + " returned " + out.size() + " tensors, expected one; " + FIX);
    }
    return out.get(0);
  }

  private static NDArray toNd(NDManager m, Tensor t) {
    int[] s = t.shape();
    long[] ls = new long[s.length];
    for (int i = 0; i < s.length; i++) ls[i] = s[i];
    return m.create(FloatBuffer.wrap(t.toArray()), new Shape(ls), DataType.FLOAT32);
  }

  private static Tensor toTensor(NDArray a) {
    NDArray f = a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
    return Tensor.wrap(f.toFloatArray(), shapeOf(f));
  }

  private static int[] shapeOf(NDArray a) {
    long[] s = a.getShape().getShape();
    int[] out = new int[s.length];
    for (int i = 0; i < s.length; i++) out[i] = Math.toIntExact(s[i]);
    return out;
  }

  private static String shape(int[] s) { return Arrays.toString(s); }

  /** The first line of the innermost useful message, kept short, for one-line errors. */
  static String reason(Throwable e) {
    Throwable t = e;
    String msg = null;
    while (t != null) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) msg = t.getMessage();
      if (t.getCause() == t) break;
      t = t.getCause();
    }
    if (msg == null) return e.getClass().getSimpleName();
    // TorchScript interpreter errors start with a generic line and a Python trace; the cause is after RuntimeError:
    int at = msg.lastIndexOf("RuntimeError: ");
    if (at >= 0) msg = msg.substring(at + "RuntimeError: ".length());
    String line = msg.strip().lines().findFirst().orElse("").strip();
    if (line.length() > 200) line = line.substring(0, 197) + "...";
    return line;
  }
}
