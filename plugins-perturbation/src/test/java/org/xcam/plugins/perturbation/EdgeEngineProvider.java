package org.xcam.plugins.perturbation;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xcam.api.Capability;
import org.xcam.api.InputSpec;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.ModelInfo;
import org.xcam.api.Task;
import org.xcam.api.Tensor;
import org.xcam.api.spi.EngineProvider;

/**
 * Test-only engine ({@code test-edge}) for files ending in {@code .edge}: a "network" returning a 4x4 map
 * {@code [1, 16]} whose value at cell (y, x) is the mean of the input over the matching 2x2 block of an 8x8 image
 * times 10.
 */
public final class EdgeEngineProvider implements EngineProvider {
  @Override public String name() { return "test-edge"; }
  @Override public int rank() { return 1; }
  @Override public boolean canLoad(Path path) { return path.toString().endsWith(".edge"); }

  @Override public Model load(Path path, Map<String, String> options) {
    ModelInfo info = new ModelInfo("edge", Task.REGRESSION, List.of("e"), new InputSpec(1, 8, 8, new float[] {0}, new float[] {1}),
        List.of(), "input", path.toString(), "test-edge", Map.of());
    return new Model() {
      @Override public ModelInfo info() { return info; }
      @Override public Set<Capability> capabilities() { return EnumSet.of(Capability.FORWARD); }
      @Override public Tensor forward(Tensor x) {
        float[] out = new float[16];
        for (int y = 0; y < 4; y++)
          for (int q = 0; q < 4; q++) {
            float s = 0;
            for (int dy = 0; dy < 2; dy++) for (int dx = 0; dx < 2; dx++) s += x.get(0, 0, 2 * y + dy, 2 * q + dx);
            out[y * 4 + q] = 10 * s / 4;
          }
        return Tensor.wrap(out, 1, 16);
      }
      @Override public LayerHook layer(String l) { throw new UnsupportedOperationException(); }
      @Override public void close() { }
    };
  }
}
