package org.xcam.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.LayerHook;
import org.xcam.api.Tensor;

/** One model used from several threads at once: lazily built sessions are built once, and results equal sequential ones. */
class OnnxConcurrencyTest {
  @Test @DisplayName("Concurrent first use and repeated calls from four threads give the sequential results")
  void concurrent() throws Exception {
    try (OnnxModel m = OnnxModel.load(Ref.bundle(), Map.of("device", "cpu", "threads", "1"));
         OnnxModel ref = OnnxModel.load(Ref.bundle(), Map.of("device", "cpu"))) {
      Tensor x = Ref.inputs();
      Tensor gy = FiniteDifferences.gaussian(new int[] {6, 3}, 3, 1);
      Map<String, Tensor> expected = new java.util.HashMap<>();
      for (String l : List.of("features.10", "features.14", "input")) {
        LayerHook h = ref.layer(l);
        expected.put(l, h.vjp(h.activation(x), gy));
      }
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<Double>> fs = new ArrayList<>();
        for (int t = 0; t < 12; t++) {
          String l = List.of("features.10", "features.14", "input").get(t % 3);
          boolean fused = t % 2 == 0;
          fs.add(pool.submit(() -> {
            LayerHook h = m.layer(l);
            double worst = 0;
            for (int r = 0; r < 3; r++) {
              Tensor a = h.activation(x);
              Tensor g = fused ? h.tailWithGradient(a, y -> gy).gradient() : h.vjp(a, gy);
              worst = Math.max(worst, g.maxAbsDiff(expected.get(l)));
            }
            return worst;
          }));
        }
        for (Future<Double> f : fs) assertThat(f.get()).isLessThanOrEqualTo(1e-6);
      } finally {
        pool.shutdown();
      }
    }
  }

  @Test @DisplayName("concurrency(): 1 with ONNX Runtime's own threads (every core per call), cores / T with threads=T on the CPU")
  void concurrencyHint() {
    int cores = Runtime.getRuntime().availableProcessors();
    try (OnnxModel own = OnnxModel.load(Ref.bundle(), Map.of("device", "cpu"));
         OnnxModel one = OnnxModel.load(Ref.bundle(), Map.of("device", "cpu", "threads", "1"));
         OnnxModel many = OnnxModel.load(Ref.bundle(), Map.of("device", "cpu", "threads", "" + (2 * cores)))) {
      assertThat(own.concurrency()).isEqualTo(1);
      assertThat(one.concurrency()).isEqualTo(cores);
      assertThat(many.concurrency()).isEqualTo(1);
    }
  }
}
