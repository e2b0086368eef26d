package org.xcam.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.xcam.api.InvalidInputException;

/** Small files of an output folder on any Hadoop filesystem: the manifest and the summaries. */
final class Output {
  private Output() { }

  /**
   * Creates the folder (and checks it can be written) before any work: a one-line error otherwise. Returns it as a
   * fully qualified URI, so that executors (whose working directory is not the driver's) find the same place.
   */
  static String prepare(Configuration conf, String dir) {
    try {
      Path p = new Path(dir);
      FileSystem fs = p.getFileSystem(conf);
      p = fs.makeQualified(p);
      if (fs.exists(p) && !fs.getFileStatus(p).isDirectory()) {
        throw new InvalidInputException("output path " + dir + " is a file, not a directory; choose another --out");
      }
      fs.mkdirs(p);
      Path probe = new Path(p, ".xcam-probe-" + UUID.randomUUID());
      try (OutputStream o = fs.create(probe, false)) {
        o.write(0);
      }
      fs.delete(probe, false);
      return p.toString();
    } catch (IOException | RuntimeException e) {
      if (e instanceof InvalidInputException ie) throw ie;
      throw new InvalidInputException("output directory " + dir + " is not writable (" + e.getMessage() + "); choose another --out", e);
    }
  }

  static boolean exists(Configuration conf, String path) {
    try {
      Path p = new Path(path);
      return p.getFileSystem(conf).exists(p);
    } catch (IOException e) {
      throw new InvalidInputException("cannot read " + path + " (" + e.getMessage() + ")", e);
    }
  }

  static String read(Configuration conf, String path) {
    try {
      Path p = new Path(path);
      try (InputStream in = p.getFileSystem(conf).open(p)) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new InvalidInputException("cannot read " + path + " (" + e.getMessage() + ")", e);
    }
  }

  /** Writes a text file whole: to a temporary name first, then renamed over the old one. */
  static void write(Configuration conf, String dir, String name, String text) {
    try {
      Path d = new Path(dir);
      FileSystem fs = d.getFileSystem(conf);
      Path tmp = new Path(d, "." + name + "." + UUID.randomUUID() + ".tmp");
      try (OutputStream o = fs.create(tmp, true)) {
        o.write(text.getBytes(StandardCharsets.UTF_8));
      }
      Path target = new Path(d, name);
      if (fs.exists(target)) fs.delete(target, false);
      if (!fs.rename(tmp, target)) throw new IOException("rename " + tmp + " -> " + target + " failed");
    } catch (IOException e) {
      throw new InvalidInputException("cannot write " + dir + "/" + name + " (" + e.getMessage() + ")", e);
    }
  }
}
