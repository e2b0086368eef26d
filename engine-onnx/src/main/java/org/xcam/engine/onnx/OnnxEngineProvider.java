package org.xcam.engine.onnx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.xcam.api.Model;
import org.xcam.api.bundle.BundleManifest;
import org.xcam.api.spi.EngineProvider;

/**
 * The {@code onnx} engine: plain {@code .onnx} files (the only engine that loads them) and bundles that carry a
 * {@code model.onnx} (rank {@value #RANK}, below DJL's, so bundles go to TorchScript unless {@code --engine onnx}).
 *
 * <p>Engine options: {@code device=auto|cpu|cuda} (also system property {@code xcam.onnx.device}), {@code threads},
 * and for plain files {@code channels}, {@code height}, {@code width} (when the model leaves them dynamic),
 * {@code mean}, {@code std} (comma-separated), {@code task}, {@code labels} (comma-separated), {@code name}.
 */
public final class OnnxEngineProvider implements EngineProvider {
  public static final String NAME = "onnx";
  public static final int RANK = 50;

  @Override public String name() { return NAME; }

  @Override public int rank() { return RANK; }

  @Override public boolean canLoad(Path path) {
    if (Files.isDirectory(path)) return BundleManifest.isBundle(path) && Files.isRegularFile(path.resolve("model.onnx"));
    return Files.isRegularFile(path) && path.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx");
  }

  @Override public Model load(Path path, Map<String, String> options) {
    return OnnxModel.load(path, options == null ? Map.of() : options);
  }

  @Override public String description() {
    return "ONNX Runtime (CUDA when usable, else CPU): plain .onnx files and bundles with model.onnx; gradients through generated backward graphs";
  }
}
