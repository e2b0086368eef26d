package org.xcam.plugins.perturbation;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;
import org.xcam.api.Tensor;
import org.xcam.api.XcamException;

/**
 * Runs {@code total} perturbation jobs through the engine in batches of {@code batch}, building the next batch (its
 * masks, ablated activations or occluded images) on a helper thread while the engine runs the current one. At most two
 * batches exist at a time, so memory is bounded by the batch size, never by the number of jobs.
 *
 * <p>Results are handed to the consumer in job order on the calling thread, so accumulations are identical for any
 * batch size and any timing.
 */
final class Pipeline {
  private Pipeline() { }

  /** Builds the engine input for jobs {@code [start, start + count)}. Must not depend on anything but its arguments. */
  interface Builder { Tensor build(int start, int count); }

  /** Receives the engine's output {@code [count, K]} for jobs {@code [start, start + count)}. */
  interface Consumer { void accept(int start, int count, Tensor output); }

  static void run(int total, int batch, Builder builder, UnaryOperator<Tensor> engine, Consumer consumer, Work work) {
    run(total, batch, 1, builder, engine, consumer, work);
  }

  /**
   * As {@link #run(int, int, Builder, UnaryOperator, Consumer, Work)} with up to {@code parallel} engine calls in flight
   * at once, each on its own thread (building its batch first). For engines that run one intra-op thread (DJL's
   * default), {@code parallel} = the free cores uses them; at most {@code parallel} batches exist at a time. Results
   * still reach the consumer in job order on the calling thread, so the map does not depend on it. The builder must be
   * thread-safe (it only reads its arguments and shared read-only data).
   */
  static void run(int total, int batch, int parallel, Builder builder, UnaryOperator<Tensor> engine, Consumer consumer, Work work) {
    if (total == 0) return;
    if (parallel > 1) {
      runParallel(total, batch, parallel, builder, engine, consumer, work);
      return;
    }
    ExecutorService pool = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "xcam-perturbation-prefetch");
      t.setDaemon(true);
      return t;
    });
    try {
      Future<Tensor> next = pool.submit(() -> builder.build(0, Math.min(batch, total)));
      for (int start = 0; start < total; start += batch) {
        int count = Math.min(batch, total - start);
        Tensor in = await(next);
        int following = start + batch;
        next = following < total
            ? pool.submit(() -> builder.build(following, Math.min(batch, total - following))) : null;
        try {
          work.beforePass();
        } catch (RuntimeException e) {
          if (next != null) next.cancel(true);
          throw e;
        }
        Tensor out = engine.apply(in);
        consumer.accept(start, count, out);
        work.advance(count);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static void runParallel(int total, int batch, int parallel, Builder builder, UnaryOperator<Tensor> engine,
                                  Consumer consumer, Work work) {
    ExecutorService pool = Executors.newFixedThreadPool(parallel, r -> {
      Thread t = new Thread(r, "xcam-perturbation-engine");
      t.setDaemon(true);
      return t;
    });
    java.util.ArrayDeque<Future<Tensor>> inflight = new java.util.ArrayDeque<>();
    try {
      int next = 0;
      for (int start = 0; start < total; start += batch) {
        while (inflight.size() < parallel && next < total) {
          work.beforePass();
          int s = next, count = Math.min(batch, total - s);
          inflight.add(pool.submit(() -> engine.apply(builder.build(s, count))));
          next += batch;
        }
        int count = Math.min(batch, total - start);
        consumer.accept(start, count, await(inflight.poll()));
        work.advance(count);
      }
    } finally {
      for (Future<Tensor> f : inflight) f.cancel(true);
      pool.shutdownNow();
    }
  }

  private static Tensor await(Future<Tensor> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new XcamException("interrupted while preparing a perturbation batch", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException re) throw re;
      if (c instanceof Error err) throw err;
      throw new XcamException("preparing a perturbation batch failed: " + c, c);
    }
  }
}
