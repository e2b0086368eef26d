package org.xcam.spark;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;

/**
 * A partition's rows (sorted by ordinal) handed on one chunk at a time: the rows sharing a {@code chunk} number are
 * one batch, processed when the writer asks for the next output row, so a partition never holds more than a batch of
 * images and maps. Runs the failure test hook at the end of the partition.
 */
final class Chunks implements Iterator<Row> {
  private final Iterator<Row> in;
  private final Function<List<Row>, List<Row>> process;
  private final ExplainSpec.Failure failure;
  private final ArrayDeque<Row> ready = new ArrayDeque<>();
  private Row pending;
  private boolean ended;

  Chunks(Iterator<Row> in, Function<List<Row>, List<Row>> process, ExplainSpec.Failure failure) {
    this.in = in;
    this.process = process;
    this.failure = failure;
  }

  @Override public boolean hasNext() {
    while (ready.isEmpty() && (pending != null || in.hasNext())) {
      List<Row> chunk = new ArrayList<>();
      Row first = pending != null ? pending : in.next();
      pending = null;
      chunk.add(first);
      long id = first.getLong(first.fieldIndex("chunk"));
      while (in.hasNext()) {
        Row r = in.next();
        if (r.getLong(r.fieldIndex("chunk")) != id) {
          pending = r;
          break;
        }
        chunk.add(r);
      }
      ready.addAll(process.apply(chunk));
    }
    if (ready.isEmpty() && !ended) {
      ended = true;
      inject();
    }
    return !ready.isEmpty();
  }

  @Override public Row next() {
    if (!hasNext()) throw new NoSuchElementException();
    return ready.poll();
  }

  /** The test hook: partition 0 fails after handing over all its rows (so they must not reach the output). */
  private void inject() {
    TaskContext tc = TaskContext.get();
    if (failure == ExplainSpec.Failure.NONE || tc == null || tc.partitionId() != 0) return;
    if (failure == ExplainSpec.Failure.EVERY_ATTEMPT_OF_PARTITION_0 || tc.attemptNumber() == 0) {
      throw new IllegalStateException("xcam test hook: injected failure of partition 0, attempt " + tc.attemptNumber());
    }
  }

  /** A throwable as one line. */
  static String oneLine(Throwable t) {
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    if (!(t instanceof org.xcam.api.XcamException) && t.getMessage() != null) m = t.getClass().getSimpleName() + ": " + m;
    return m.replace('\n', ' ').replace('\r', ' ');
  }
}
