package org.xcam.runtime.eval;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar with rate and ETA, redrawn in place on stderr ({@code \r}); at most 4 redraws a second. */
final class Progress {
  private final PrintStream out;
  private final long total;
  private final long start = System.nanoTime();
  private long lastDraw;
  private long counted;

  Progress(PrintStream out, long total) {
    this.out = out;
    this.total = total;
  }

  /** @param done images handled so far; @param worked those that needed computing (for the rate and ETA) */
  void update(long done, long worked, long skipped, boolean force) {
    if (out == null) return;
    long now = System.nanoTime();
    if (!force && now - lastDraw < 250_000_000L) return;
    lastDraw = now;
    counted = worked;
    double secs = (now - start) / 1e9;
    double rate = worked > 0 ? worked / secs : 0;
    String eta = total > 0 && rate > 0 ? time((total - done) / rate) : "--:--";
    int width = 30;
    int filled = total > 0 ? (int) Math.min(width, Math.round((double) done / total * width)) : 0;
    String bar = "=".repeat(filled) + (filled < width ? ">" : "") + " ".repeat(Math.max(0, width - filled - 1));
    out.print(String.format(Locale.ROOT, "\revaluate [%s] %d/%s images  %.2f img/s  elapsed %s  ETA %s%s   ", bar, done,
        total > 0 ? Long.toString(total) : "?", rate, time(secs), eta, skipped > 0 ? "  skipped " + skipped : ""));
    out.flush();
  }

  void finish(long done, long skipped) {
    if (out == null) return;
    update(done, Math.max(counted, 0), skipped, true);
    out.println();
  }

  static String time(double s) {
    long t = Math.round(s);
    return t >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60)
        : String.format(Locale.ROOT, "%d:%02d", t / 60, t % 60);
  }
}
