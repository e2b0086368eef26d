package org.xcam.engine.djl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.xcam.api.Model;
import org.xcam.api.ModelLoadException;
import org.xcam.api.bundle.BundleManifest;
import org.xcam.api.spi.EngineProvider;

/**
 * The {@code djl} engine: TorchScript models through DJL's PyTorch engine on the CPU, offline (the native library
 * comes from the {@code pytorch-native-cpu} jar on the class path, never from the network).
 *
 * <p>Loads an {@code xcam-bundle/1} directory (see {@code docs/model-bundle.md}): {@code model.pt} for the whole
 * network and {@code layers/<L>.head.pt} / {@code layers/<L>.tail.pt} for every cut layer, all with gradients
 * available (DJL option {@code trainParam=true}). A bare {@code .pt} file also loads (forward and input gradients
 * only, no cut layers) when the input shape is given as the option {@code input=CxHxW}; if the file sits in a
 * bundle directory the bundle is loaded instead.
 *
 * <pre>{@code
 * try (Model m = new DjlEngineProvider().load(Path.of("models/phantom-cxr"), Map.of())) {
 *   Tensor logits = m.forward(batch);
 * }
 * }</pre>
 *
 * <p>The system property {@code ai.djl.offline} is set to {@code true} on the first {@link #load} unless the user
 * set it explicitly; nothing native is touched by the constructor or by {@link #canLoad}.
 *
 * <p><b>Threads.</b> libtorch runs each operator on an OpenMP pool with one thread per core by default. xcam gets its
 * parallelism from batches and from concurrent explain calls instead, and OpenMP pools spin-wait at every operator:
 * when the cores are busy (other calls, other processes) each barrier waits for a descheduled thread. Measured on the
 * phantom-small bundle on a 2-core machine at load average 20: a forward pass took 200-380 ms with 2 intra-op
 * threads and 1.5-3 ms with 1. So the engine starts libtorch with one intra-op thread unless the system property
 * {@code ai.djl.pytorch.num_threads} is set; on a dedicated many-core machine running one large model at a time,
 * {@code -Dai.djl.pytorch.num_threads=8} (say) makes single images faster. The setting is per process and takes
 * effect only if it is made before the engine starts.
 *
 * <p>Options (all optional): {@code input=CxHxW} (bare {@code .pt} files), {@code task} (bare files:
 * {@code multiclass}, {@code multilabel}, {@code regression}; default multiclass), {@code maxBatch} (largest batch
 * sent to the engine in one call; bigger batches are split and the results joined; by default as many rows as fit in
 * 5 MiB of input, at most 64, which keeps libtorch's intermediate tensors small enough to be reused, see
 * {@link DjlModel}).
 */
public final class DjlEngineProvider implements EngineProvider {
  /** The engine's name. */
  public static final String NAME = "djl";

  public DjlEngineProvider() { }

  @Override public String name() { return NAME; }

  @Override public int rank() { return 100; }

  @Override public String description() {
    return "TorchScript bundles (model.pt + layers/*.pt) on DJL's PyTorch engine, CPU, offline; gradients at every layer";
  }

  @Override public boolean canLoad(Path path) {
    if (path == null) return false;
    if (Files.isDirectory(path)) return Files.isRegularFile(path.resolve("model.pt"));
    return Files.isRegularFile(path) && path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".pt");
  }

  @Override public Model load(Path path, Map<String, String> options) {
    Map<String, String> opts = options == null ? Map.of() : options;
    if (path == null) throw new ModelLoadException("no model path given; pass a bundle directory or a .pt file");
    if (Files.isDirectory(path)) {
      if (!Files.isRegularFile(path.resolve(BundleManifest.FILE)) && Files.isRegularFile(path.resolve("model.pt"))) {
        throw new ModelLoadException("directory " + path + " has model.pt but no " + BundleManifest.FILE
            + "; export it as a bundle with tools/export_bundle.py, or load model.pt itself with option input=CxHxW");
      }
      BundleManifest manifest = BundleManifest.read(path);
      manifest.checkTorchScriptFiles();
      return DjlModel.loadBundle(manifest, opts);
    }
    if (!Files.isRegularFile(path)) {
      throw new ModelLoadException("model path " + path + " does not exist; pass a bundle directory or a .pt file");
    }
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null && path.getFileName().toString().equals("model.pt") && BundleManifest.isBundle(parent)) {
      return load(parent, opts);
    }
    if (!canLoad(path)) {
      throw new ModelLoadException("engine 'djl' loads TorchScript (.pt) files and bundle directories, not " + path
          + "; choose another engine (e.g. --engine onnx for .onnx)");
    }
    return DjlModel.loadFile(path, opts);
  }

  @Override public String toString() { return "DjlEngineProvider[" + NAME + "]"; }
}
