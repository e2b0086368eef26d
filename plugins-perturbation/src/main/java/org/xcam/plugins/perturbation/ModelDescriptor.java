package org.xcam.plugins.perturbation;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.xcam.api.Heatmap;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Model;
import org.xcam.api.ModelLoadException;
import org.xcam.api.Tensor;
import org.xcam.api.spi.EngineProvider;
import org.xcam.api.spi.Providers;

/**
 * {@code model:<path>}: an edge network (e.g. HED exported to ONNX, or a TorchScript bundle) used as the feature
 * descriptor.
 *
 * <p>Plugins depend on the api only, so this descriptor does not link ONNX Runtime or DJL: it finds the engines on
 * the class path with {@link java.util.ServiceLoader} ({@link EngineProvider}) and lets the highest-ranked one that
 * {@link EngineProvider#canLoad can load} the path load it, on first use. The network gets the image as given to
 * the classifier ({@code [1, C, H, W]}); its output must hold {@code H * W} values, or be {@code [1, 1, h, w]} /
 * {@code [1, h*w]} of a square {@code h x w} which is resized (half-pixel bilinear) to {@code H x W}. The output is
 * min-max scaled to [0,1] (HED's sigmoid side outputs pass through unchanged up to scale).
 */
public final class ModelDescriptor implements FeatureDescriptor, AutoCloseable {
  private final Path path;
  private Model model;

  public ModelDescriptor(Path path) { this.path = path; }

  @Override public String name() { return "model:" + path; }

  @Override public String description() { return "edge network loaded from " + path; }

  private synchronized Model model() {
    if (model != null) return model;
    if (!Files.exists(path)) {
      throw new InvalidInputException("feature-cam descriptor model " + path + " does not exist; give descriptor=model:<path to .onnx or bundle>");
    }
    List<EngineProvider> engines = Providers.all(EngineProvider.class, ModelDescriptor.class.getClassLoader());
    EngineProvider engine = engines.stream().filter(e -> e.canLoad(path))
        .max(Comparator.comparingInt(EngineProvider::rank))
        .orElseThrow(() -> new ModelLoadException("no engine on the class path can load the descriptor model " + path
            + " (engines found: " + engines.stream().map(EngineProvider::name).toList()
            + "); add xcam-engine-onnx or xcam-engine-djl"));
    model = engine.load(path, Map.of());
    return model;
  }

  @Override public float[] describe(Tensor image) {
    int h = image.dim(1), w = image.dim(2);
    Tensor out = model().forward(image.unsqueeze());
    float[] v = out.toArray();
    if (v.length != h * w) {
      int side = (int) Math.round(Math.sqrt(v.length));
      if (side * side != v.length) {
        throw new InvalidInputException("descriptor model " + path + " returned " + v.length + " values (shape "
            + java.util.Arrays.toString(out.shape()) + "); it must return one edge map of " + h + "x" + w + " or a square map");
      }
      v = Heatmap.resizeBilinear(v, side, side, h, w);
    }
    for (float f : v) {
      if (!Float.isFinite(f)) throw new InvalidInputException("descriptor model " + path + " returned a non-finite value");
    }
    return Filters.minMax(v);
  }

  @Override public synchronized void close() {
    if (model != null) model.close();
    model = null;
  }
}
