package org.xcam.cli;

import java.io.PrintStream;
import org.xcam.api.ProgressListener;

/** A one-line progress bar with rate and ETA on stderr; silent when {@code total <= 1}. */
public final class ProgressBar implements ProgressListener, AutoCloseable {
  private final PrintStream out;
  private final String label;
  private final long start = System.nanoTime();
  private long lastPrint;
  private boolean printed;

  public ProgressBar(PrintStream out, String label) {
    this.out = out;
    this.label = label;
  }

  @Override public synchronized void progress(long done, long total, String stage) {
    if (total <= 1) return;
    long now = System.nanoTime();
    if (done < total && now - lastPrint < 200_000_000L) return;
    lastPrint = now;
    double secs = (now - start) / 1e9;
    double rate = done / Math.max(secs, 1e-9);
    long eta = done == 0 ? -1 : Math.round((total - done) / rate);
    int width = 30, filled = (int) (width * done / Math.max(1, total));
    String bar = "#".repeat(filled) + "-".repeat(width - filled);
    out.printf("\r%s [%s] %d/%d %s %.1f/s ETA %s   ", label, bar, done, total, stage == null ? "" : stage, rate,
        eta < 0 ? "?" : (eta / 60) + "m" + String.format("%02d", eta % 60) + "s");
    out.flush();
    printed = true;
  }

  @Override public synchronized void close() {
    if (printed) out.println();
  }
}
