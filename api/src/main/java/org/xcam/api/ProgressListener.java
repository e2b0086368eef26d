package org.xcam.api;

/**
 * Progress of a long run (perturbation methods, IBA, evaluation). Called from the working thread; keep it cheap.
 *
 * <pre>{@code
 * ProgressListener bar = (done, total, stage) -> System.err.printf("\r%s %d/%d", stage, done, total);
 * }</pre>
 */
@FunctionalInterface
public interface ProgressListener {
  ProgressListener NONE = (done, total, stage) -> { };

  /**
   * @param done  units done so far
   * @param total units in all (or -1 when unknown)
   * @param stage a short word for what is running, e.g. {@code "scorecam masks"}
   */
  void progress(long done, long total, String stage);
}
