package org.xcam.plugins.perturbation;

import org.xcam.api.CancelledException;
import org.xcam.api.ExplainRequest;

/**
 * The run controls of one perturbation call: pass budget, cancellation and progress, checked before every network
 * pass. The budget is the smaller non-zero one of the request's {@link ExplainRequest#maxPasses()} and the method's
 * {@code max-passes} option; a pass is one batched engine call (forward, head or tail), so the budget is independent of
 * how many images a call carries but not of the batch size.
 */
final class Work {
  private final String method;
  private final ExplainRequest request;
  private final long budget;
  private final long total;
  private final String unit;
  private long passes;
  private long done;
  private long planned;

  Work(String method, ExplainRequest request, long optionMaxPasses, long totalUnits, String unit) {
    this.method = method;
    this.request = request;
    this.budget = smallerNonZero(request.maxPasses(), optionMaxPasses);
    this.total = totalUnits;
    this.unit = unit;
  }

  private static long smallerNonZero(long a, long b) {
    if (a <= 0) return Math.max(0, b);
    if (b <= 0) return a;
    return Math.min(a, b);
  }

  /** Call before each network pass: stops on cancellation or when the budget is spent, saying how far it got. */
  void beforePass() {
    if (request.cancelled().getAsBoolean()) {
      throw new CancelledException(method + " cancelled by the caller after " + done + " of " + total + " " + unit
          + " (" + passes + " passes)");
    }
    if (budget > 0 && passes >= budget) {
      throw new CancelledException(method + " stopped at its pass budget (max-passes " + budget + ") after " + done
          + " of " + total + " " + unit + (planned > 0 ? "; the whole run needs " + planned + " passes" : "")
          + ": raise max-passes (0 = no limit), raise batch-size, or ask for less work");
    }
    passes++;
  }

  /** Declares how many passes the whole run takes (for the budget message). */
  Work plan(long passes) {
    this.planned = passes;
    return this;
  }

  static long batches(long items, int batch) { return (items + batch - 1) / batch; }

  /** Records {@code n} more units done and reports progress. */
  void advance(long n) {
    done += n;
    request.progress().progress(done, total, method);
  }

  long passes() { return passes; }

  long total() { return total; }
}
