package org.xcam.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.xcam.api.InputSpec;
import org.xcam.api.InvalidInputException;
import org.xcam.runtime.Images;
import org.xcam.runtime.LoadedImage;
import org.xcam.runtime.eval.Datasets;
import org.xcam.runtime.eval.Sample;

/**
 * Reads an input row's image on an executor through the runtime's own loaders ({@link Images#load},
 * {@link Datasets#tableSample}, {@link Datasets#phantomSample}), so pixels, resizing, normalisation, boxes and error
 * messages are those of {@code xcam explain} and {@code xcam evaluate}. A file on a Hadoop filesystem other than the
 * local one is first copied, under its own name, to a temporary local folder that is removed right after.
 */
final class ImageSource {
  private ImageSource() { }

  /** The model inputs of one row: one image (several for a batched .npy). */
  static List<LoadedImage> images(Row in, InputSpec spec, List<String> labels, Map<String, String> readerOptions,
                                  Configuration conf) {
    Long seed = in.getAs("phantom_seed");
    if (seed != null) {
      Sample s = Datasets.phantomSample(seed, spec, labels);
      return List.of(new LoadedImage(s.id(), s.input(), s.display(), spec.width(), spec.height(), s.flags()));
    }
    return withLocalFile(in.getAs("path"), conf, p -> Images.load(p, spec, readerOptions));
  }

  /** The evaluation sample of one row: the image with its table records' label and boxes. */
  static Sample sample(Row in, InputSpec spec, List<String> labels, Map<String, String> readerOptions, Configuration conf) {
    Long seed = in.getAs("phantom_seed");
    if (seed != null) return Datasets.phantomSample(seed, spec, labels);
    String id = in.getAs("id");
    List<List<String>> records = new ArrayList<>();
    int at = in.fieldIndex("records");
    if (!in.isNullAt(at)) {
      for (Object r : in.getList(at)) records.add(strings(r));
    }
    String source = in.getAs("source");
    return withLocalFile(in.getAs("path"), conf,
        p -> Datasets.tableSample(id, p, records, source == null ? "the table" : source, spec, labels, readerOptions));
  }

  @SuppressWarnings("unchecked")
  private static List<String> strings(Object o) {
    if (o instanceof scala.collection.Seq<?> seq) {
      List<String> out = new ArrayList<>();
      scala.collection.Iterator<?> it = seq.iterator();
      while (it.hasNext()) out.add((String) it.next());
      return out;
    }
    return new ArrayList<>((List<String>) o);
  }

  /** Runs {@code f} on a local copy of a Hadoop path (the file itself when it is local). */
  static <T> T withLocalFile(String path, Configuration conf, Function<java.nio.file.Path, T> f) {
    if (path == null) throw new InvalidInputException("the input row has neither a path nor a phantom seed");
    Path hp = new Path(path);
    String scheme = hp.toUri().getScheme();
    if (scheme == null || scheme.equals("file")) {
      return f.apply(scheme == null ? java.nio.file.Path.of(path) : java.nio.file.Path.of(hp.toUri()));
    }
    java.nio.file.Path dir = null;
    try {
      FileSystem fs = hp.getFileSystem(conf);
      if (!fs.exists(hp)) throw new InvalidInputException("no such image: " + path + "; check the path");
      dir = Files.createTempDirectory("xcam-image-");
      java.nio.file.Path local = dir.resolve(hp.getName());
      try (InputStream in = fs.open(hp)) {
        Files.copy(in, local);
      }
      return f.apply(local);
    } catch (IOException e) {
      throw new InvalidInputException("cannot read " + path + " (" + e.getMessage() + ")", e);
    } finally {
      if (dir != null) {
        try (var walk = Files.walk(dir)) {
          walk.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        } catch (IOException ignored) {
          // a temporary folder left behind is harmless
        }
      }
    }
  }

  /** Writes a file under a Hadoop folder, replacing it (a retried task writes the same bytes again). */
  static void write(Configuration conf, String dir, String name, byte[] bytes) {
    try {
      Path p = new Path(dir, name);
      try (OutputStream out = p.getFileSystem(conf).create(p, true)) {
        out.write(bytes);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot write " + dir + "/" + name + ": " + e.getMessage(), e);
    }
  }

  static byte[] png(java.awt.image.BufferedImage img) {
    try (java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream()) {
      ImageIO.write(img, "png", b);
      return b.toByteArray();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
