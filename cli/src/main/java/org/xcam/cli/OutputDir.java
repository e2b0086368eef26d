package org.xcam.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.xcam.api.CancelledException;
import org.xcam.api.InvalidInputException;

/**
 * An output directory a command writes whole or not at all:
 * <ul>
 *   <li>{@code --out ''} is refused (it would mean the current directory), and so is a path that is a file;</li>
 *   <li>a lock ({@code .xcam.lock}, an OS file lock) keeps a second run out: it refuses in one line, naming the
 *       holder's pid, instead of silently replacing the first run's manifest;</li>
 *   <li>{@link #checkTargets} checks every output path before the first pass (a directory sitting where a file must
 *       go is found up front, not after 13 of 18 maps);</li>
 *   <li>files are written into a staging directory inside it and moved into place by {@link #commit()} only when
 *       everything succeeded;</li>
 *   <li>on SIGINT/SIGTERM a shutdown hook removes the staging directory (and the lock) and says on stderr what, if
 *       anything, was kept. Writes and the final move hold one lock, so the hook never removes files mid-move: the
 *       output is either all there or as it was.</li>
 * </ul>
 */
final class OutputDir implements AutoCloseable {
  static final String LOCK = ".xcam.lock";
  static final String STAGING_PREFIX = ".xcam-staging-";

  private final Path out;
  private final boolean created;
  private final FileChannel channel;
  private final FileLock lock;
  private final Path lockFile;
  private final Path staging;
  private final ReentrantLock writing = new ReentrantLock();
  private final Thread hook;
  private final PrintStream err;
  private volatile boolean interrupted;
  private volatile boolean committed;
  private volatile boolean closed;
  private int moved;

  private OutputDir(Path out, boolean created, FileChannel channel, FileLock lock, Path lockFile, Path staging, PrintStream err) {
    this.out = out;
    this.created = created;
    this.channel = channel;
    this.lock = lock;
    this.lockFile = lockFile;
    this.staging = staging;
    this.err = err;
    this.hook = new Thread(this::onInterrupt, "xcam-output-cleanup");
    if (staging != null) {
      try {
        Runtime.getRuntime().addShutdownHook(hook);
      } catch (IllegalStateException e) {
        // already shutting down
      }
    }
  }

  /** Validates, creates and locks {@code out}, with a staging directory for whole-or-nothing writes. */
  static OutputDir open(Path out, String option) { return open(out, option, true); }

  /** Validates, creates and locks {@code out} (no staging: for commands that resume, like evaluate). */
  static OutputDir lockOnly(Path out, String option) { return open(out, option, false); }

  private static OutputDir open(Path out, String option, boolean stage) {
    Path dir = validate(out, option);
    boolean created = !Files.exists(dir);
    try {
      Files.createDirectories(dir);
    } catch (IOException | SecurityException e) {
      throw new InvalidInputException("cannot create the output directory " + dir + " (" + e.getMessage() + "); choose another " + option);
    }
    Path lockFile = dir.resolve(LOCK);
    FileChannel ch = null;
    try {
      for (int attempt = 0; ; attempt++) {
        ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
        Object before = fileKey(lockFile);
        FileLock l;
        try {
          l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
          l = null;
        }
        if (l == null) {
          String holder = readHolder(ch);
          ch.close();
          throw new InvalidInputException("the output directory " + dir + " is in use by another xcam run" + holder
              + "; wait for it to finish or choose another " + option);
        }
        // The holder before us may have deleted the file after we opened it: then we locked a ghost; try again.
        Object after = fileKey(lockFile);
        if (before != null && before.equals(after)) {
          ch.truncate(0);
          ch.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + " since " + Instant.now() + "\n")
              .getBytes(StandardCharsets.UTF_8)));
          ch.force(false);
          Path staging = null;
          if (stage) {
            staging = dir.resolve(STAGING_PREFIX + UUID.randomUUID());
            Files.createDirectory(staging);
          }
          return new OutputDir(dir, created, ch, l, lockFile, staging, System.err);
        }
        l.release();
        ch.close();
        if (attempt > 5) throw new InvalidInputException("cannot lock the output directory " + dir + "; choose another " + option);
      }
    } catch (IOException | SecurityException e) {
      closeQuietly(ch);
      throw new InvalidInputException("the output directory " + dir + " is not writable (" + e.getMessage() + "); choose another " + option);
    }
  }

  /** Refuses an empty path and a path that is a file. */
  static Path validate(Path out, String option) {
    if (out == null || out.toString().isBlank()) {
      throw new InvalidInputException(option + " is empty; give a directory for the outputs, e.g. " + option + " out/");
    }
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new InvalidInputException("output path " + out + " is a file, not a directory; choose another " + option);
    }
    return out;
  }

  /** The file's identity (device and inode on Unix), or null when it does not exist. */
  private static Object fileKey(Path p) {
    try {
      Object k = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
      return k == null ? "no-file-keys" : k;
    } catch (IOException e) {
      return null;
    }
  }

  private static String readHolder(FileChannel ch) {
    try {
      ByteBuffer b = ByteBuffer.allocate(200);
      ch.read(b, 0);
      String s = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
      return s.isEmpty() ? "" : " (" + s + ")";
    } catch (IOException e) {
      return "";
    }
  }

  Path path() { return out; }

  /** True once SIGINT/SIGTERM arrived: long methods poll this as their cancellation flag. */
  boolean interrupted() { return interrupted; }

  /** Where files are written until {@link #commit()}. */
  Path staging() {
    if (staging == null) throw new IllegalStateException("lock-only output directory has no staging");
    return staging;
  }

  /**
   * Checks, before any work, that each of {@code names} can be written into the output directory: nothing but a
   * regular file may sit at its place. {@code pattern} also matches names only known later (e.g. per-class suffixes).
   */
  void checkTargets(Collection<String> names, Predicate<String> pattern) {
    List<String> blocked = new ArrayList<>();
    for (String n : names) {
      Path p = out.resolve(n);
      if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) blocked.add(n);
    }
    if (pattern != null) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(out)) {
        for (Path p : ds) {
          String n = p.getFileName().toString();
          if (!blocked.contains(n) && pattern.test(n) && !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) blocked.add(n);
        }
      } catch (IOException e) {
        throw new InvalidInputException("cannot list the output directory " + out + " (" + e.getMessage() + ")");
      }
    }
    if (!blocked.isEmpty()) {
      throw new InvalidInputException("cannot write " + out.resolve(blocked.get(0)) + ": a directory (or other non-file) is in the way"
          + (blocked.size() > 1 ? " (and " + (blocked.size() - 1) + " more)" : "") + "; remove it or choose another --out");
    }
  }

  /** Runs a write under the writers' lock; stops with {@link CancelledException} once the run was interrupted. */
  void write(IoAction action) throws IOException {
    writing.lock();
    try {
      if (interrupted) throw new CancelledException("interrupted");
      action.run();
    } finally {
      writing.unlock();
    }
  }

  /** Moves every staged file into the output directory (replacing older files of the same name). */
  List<Path> commit() throws IOException {
    writing.lock();
    try {
      if (interrupted) throw new CancelledException("interrupted");
      List<Path> done = new ArrayList<>();
      try (var files = Files.list(staging)) {
        for (Path f : files.sorted().toList()) {
          Path to = out.resolve(f.getFileName());
          Files.move(f, to, StandardCopyOption.REPLACE_EXISTING);
          done.add(to);
          moved++;
        }
      }
      committed = true;
      return done;
    } finally {
      writing.unlock();
    }
  }

  /** Removes the staging directory and the lock; removes the output directory too when this run made it and left it empty. */
  @Override public void close() {
    if (closed) return;
    closed = true;
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException | IllegalArgumentException e) {
      // shutting down: the hook does the cleaning
    }
    cleanup();
  }

  private void cleanup() {
    if (staging != null) deleteTree(staging);
    try {
      Files.deleteIfExists(lockFile);
    } catch (IOException ignored) {
      // the OS lock goes with the process anyway
    }
    try {
      if (lock.isValid()) lock.release();
    } catch (IOException ignored) {
      // closing the channel releases it
    }
    closeQuietly(channel);
    if (created && !committed) {
      try (var s = Files.list(out)) {
        if (s.findAny().isEmpty()) Files.deleteIfExists(out);
      } catch (IOException ignored) {
        // left as an empty directory
      }
    }
  }

  /** The shutdown hook: SIGINT/SIGTERM (or System.exit) while the run is still going. */
  private void onInterrupt() {
    interrupted = true;
    boolean got = false;
    try {
      got = writing.tryLock(10, TimeUnit.SECONDS);   // let a write or the final move finish
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      if (closed) return;
      int staged = count(staging);
      closed = true;
      cleanup();
      String what = committed ? "the run had finished: its " + moved + " files are in " + out
          : staged + " unfinished file" + (staged == 1 ? "" : "s") + " removed; " + out + " is as it was before the run";
      err.println("xcam: interrupted; " + what);
      err.flush();
    } finally {
      if (got) writing.unlock();
    }
  }

  private static int count(Path dir) {
    if (dir == null || !Files.isDirectory(dir)) return 0;
    try (var s = Files.list(dir)) {
      return (int) s.count();
    } catch (IOException e) {
      return 0;
    }
  }

  static void deleteTree(Path p) {
    if (p == null || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
    try (var walk = Files.walk(p)) {
      walk.sorted(Comparator.reverseOrder()).forEach(f -> {
        try {
          Files.deleteIfExists(f);
        } catch (IOException ignored) {
          // best effort
        }
      });
    } catch (IOException ignored) {
      // best effort
    }
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch == null) return;
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  /** A write that may throw IOException. */
  @FunctionalInterface
  interface IoAction {
    void run() throws IOException;
  }
}
