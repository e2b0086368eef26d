package org.xcam.engine.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.xcam.engine.djl.Fixtures.assertClose;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.LayerHook;
import org.xcam.api.TailGradient;
import org.xcam.api.Tensor;

@DisplayName("DJL engine under concurrent use of one model")
class DjlConcurrencyTest {
  private static final int THREADS = 4;
  private static final int CALLS = 50;

  /** Call number i: a mix of every operation, over the six inputs, both layers and the input layer. */
  private static Tensor call(DjlModel m, int i) {
    Tensor x = Fixtures.input(i % 6);
    String layer = switch (i % 3) {
      case 0 -> "features.10";
      case 1 -> "features.14";
      default -> "input";
    };
    LayerHook h = m.layer(layer);
    int target = i % 3;
    return switch (i % 5) {
      case 0 -> m.forward(Fixtures.batch(i % 6, (i + 1) % 6));
      case 1 -> h.activation(x);
      case 2 -> h.tail(h.activation(x));
      case 3 -> h.vjp(h.activation(x), Fixtures.oneHot(1, 3, target));
      default -> {
        Function<Tensor, Tensor> seed = y -> Fixtures.oneHot(y.dim(0), y.dim(1), target);
        TailGradient tg = h.tailWithGradient(h.activation(x), seed);
        yield Tensor.concat(List.of(tg.output().reshape(-1), tg.gradient().reshape(-1)));
      }
    };
  }

  @Test
  @DisplayName("4 threads x 50 mixed calls (forward, activation, tail, vjp, fused tail+vjp) equal the single-threaded results")
  void concurrentEqualsSequential() throws Exception {
    DjlModel m = Fixtures.model();
    int total = THREADS * CALLS;
    List<Tensor> expected = new ArrayList<>();
    for (int i = 0; i < total; i++) expected.add(call(m, i));

    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<List<Tensor>>> futures = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        Callable<List<Tensor>> work = () -> {
          start.await();
          List<Tensor> out = new ArrayList<>();
          for (int c = 0; c < CALLS; c++) out.add(call(m, thread * CALLS + c));
          return out;
        };
        futures.add(pool.submit(work));
      }
      start.countDown();
      for (int t = 0; t < THREADS; t++) {
        List<Tensor> got = futures.get(t).get();
        assertThat(got).hasSize(CALLS);
        for (int c = 0; c < CALLS; c++) {
          int i = t * CALLS + c;
          assertClose(got.get(c), expected.get(i), 1e-5, "call " + i + " on thread " + t);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
