package org.xcam.cli;

import java.io.PrintStream;
import org.xcam.api.ProgressListener;

/**
 * A one-line progress bar with rate and ETA on stderr, drawn only when stderr is a terminal ({@link Terminal}), so
 * scripts see nothing but results and one-line errors. {@link #within()} is the listener a method reports to while
 * it works on one call (RISE's masks, Score-CAM's channels, IBA's steps): a long method shows progress inside a single
 * image. Silent when {@code total <= 1}.
 */
public final class ProgressBar implements ProgressListener, AutoCloseable {
  private final PrintStream out;
  private final String label;
  private final boolean enabled;
  private final long start = System.nanoTime();
  private long lastPrint;
  private boolean printed;
  private long done;
  private long total;
  private String stage;
  private long innerDone = -1;
  private long innerTotal;
  private String innerStage;

  /** A bar on {@code out} (stderr), shown only when stderr is a terminal. */
  public ProgressBar(PrintStream out, String label) { this(out, label, Terminal.stderrIsTerminal()); }

  public ProgressBar(PrintStream out, String label, boolean enabled) {
    this.out = out;
    this.label = label;
    this.enabled = enabled;
  }

  /** Whether anything is drawn. */
  public boolean enabled() { return enabled; }

  @Override public synchronized void progress(long done, long total, String stage) {
    this.done = done;
    this.total = total;
    this.stage = stage;
    this.innerDone = -1;
    draw(done >= total);
  }

  /** The listener for progress within one call: shown after the outer count, e.g. "rise 1200/4001 masked images". */
  public ProgressListener within() {
    return (d, t, s) -> {
      synchronized (this) {
        innerDone = d;
        innerTotal = t;
        innerStage = s;
        draw(false);
      }
    };
  }

  private void draw(boolean force) {
    if (!enabled || (total <= 1 && innerDone < 0)) return;
    long now = System.nanoTime();
    if (!force && now - lastPrint < 200_000_000L) return;
    lastPrint = now;
    double secs = (now - start) / 1e9;
    double rate = done / Math.max(secs, 1e-9);
    long eta = done == 0 ? -1 : Math.round((total - done) / rate);
    int width = 30, filled = (int) (width * Math.min(done, total) / Math.max(1, total));
    String bar = "#".repeat(filled) + "-".repeat(width - filled);
    String inner = innerDone < 0 ? "" : String.format("  [%s %d/%d]", innerStage == null ? "" : innerStage, innerDone, innerTotal);
    out.printf("\r%s [%s] %d/%d %s %.1f/s ETA %s%s   ", label, bar, done, total, stage == null ? "" : stage, rate,
        eta < 0 ? "?" : (eta / 60) + "m" + String.format("%02d", eta % 60) + "s", inner);
    out.flush();
    printed = true;
  }

  @Override public synchronized void close() {
    if (printed) out.println();
  }
}
