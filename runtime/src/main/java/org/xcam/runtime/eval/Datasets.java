package org.xcam.runtime.eval;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.xcam.api.Box;
import org.xcam.api.Heatmap;
import org.xcam.api.InputSpec;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Tensor;
import org.xcam.api.UnknownNameException;
import org.xcam.runtime.Images;
import org.xcam.runtime.LoadedImage;
import org.xcam.runtime.phantom.Phantom;
import org.xcam.runtime.phantom.PhantomGenerator;

/**
 * Dataset specs for {@code xcam evaluate --dataset}:
 * <ul>
 *   <li>{@code nih:<BBox_List csv>:<image dir>}: the NIH ChestX-ray8 box list ({@code Image Index, Finding Label,
 *       x, y, w, h} in the file's pixels); rows of one image are grouped; boxes are scaled to the model input.</li>
 *   <li>{@code phantom:<count>[:<seed>]}: {@link PhantomGenerator} images at the model's input size, seeds
 *       {@code seed .. seed+count-1} (seed defaults to the run's {@code --seed}), with lesion boxes.</li>
 *   <li>{@code csv:<file>[:<image dir>]} or any path ending in {@code .csv}: a generic CSV
 *       {@code image,label,x,y,w,h} (header optional; x..h may be empty for no box; several rows per image
 *       add boxes); images relative to the image dir or the CSV's folder.</li>
 *   <li>{@code masks:<image dir>:<mask dir>[:<labels csv>]}: images with a mask of the same stem (PNG: non-zero
 *       pixels inside; or .npy); labels from an optional {@code image,label} CSV.</li>
 *   <li>{@code dicom:<dir>[:<boxes csv>]}: every DICOM file in a folder ({@code .dcm}, {@code .dicom}, or no extension
 *       with the {@code DICM} preamble, as PACS exports name them), labels and boxes (in the file's pixels) from an
 *       optional CSV {@code image,label,x,y,w,h} keyed by file name. A {@code csv:} dataset may list DICOM files too.</li>
 * </ul>
 * Images go through the installed image readers ({@link org.xcam.runtime.Images}); reader options (the DICOM
 * {@code window}) come with {@link #parse(String, long, Map)}.
 * Boxes reaching outside the image are clipped and the sample is flagged; unreadable images fail in
 * {@link Dataset.Entry#load} with a one-line message the harness reports.
 */
public final class Datasets {
  private Datasets() { }

  /** The dataset kinds, for error messages. */
  public static final List<String> KINDS = List.of("nih:<BBox_List csv>:<image dir>", "phantom:<count>[:<seed>]",
      "csv:<file>[:<image dir>]", "masks:<image dir>:<mask dir>[:<labels csv>]", "dicom:<dir>[:<boxes csv>]");

  public static Dataset parse(String spec, long defaultSeed) { return parse(spec, defaultSeed, Map.of()); }

  /** As {@link #parse(String, long)}, with reader options for every image (e.g. {@code window=2048,4096}). */
  public static Dataset parse(String spec, long defaultSeed, Map<String, String> readerOptions) {
    Map<String, String> ro = Map.copyOf(readerOptions);
    String s = spec.trim();
    int colon = s.indexOf(':');
    String kind = colon < 0 ? "" : s.substring(0, colon).toLowerCase(Locale.ROOT);
    String rest = colon < 0 ? "" : s.substring(colon + 1);
    switch (kind) {
      case "nih": {
        String[] p = rest.split(":", 2);
        if (p.length != 2) throw new InvalidInputException("dataset '" + spec + "': use nih:<BBox_List csv>:<image dir>");
        return nih(Path.of(p[0]), Path.of(p[1]), spec, ro);
      }
      case "phantom": {
        String[] p = rest.split(":");
        try {
          int count = Integer.parseInt(p[0].trim());
          long seed = p.length > 1 ? Long.parseLong(p[1].trim()) : defaultSeed;
          if (count < 1 || p.length > 2) throw new NumberFormatException();
          return phantom(count, seed, spec);
        } catch (NumberFormatException e) {
          throw new InvalidInputException("dataset '" + spec + "': use phantom:<count>[:<seed>] with count >= 1, e.g. phantom:500");
        }
      }
      case "csv": {
        String[] p = rest.split(":", 2);
        Path f = Path.of(p[0]);
        return csv(f, p.length > 1 ? Path.of(p[1]) : parentOf(f), spec, ro);
      }
      case "dicom": {
        String[] p = rest.split(":", 2);
        if (p[0].isBlank()) throw new InvalidInputException("dataset '" + spec + "': use dicom:<dir>[:<boxes csv>]");
        return dicom(Path.of(p[0]), p.length > 1 ? Path.of(p[1]) : null, spec, ro);
      }
      case "masks": {
        String[] p = rest.split(":");
        if (p.length < 2 || p.length > 3) throw new InvalidInputException("dataset '" + spec + "': use masks:<image dir>:<mask dir>[:<labels csv>]");
        return masks(Path.of(p[0]), Path.of(p[1]), p.length > 2 ? Path.of(p[2]) : null, spec, ro);
      }
      default:
        if (s.toLowerCase(Locale.ROOT).endsWith(".csv")) return csv(Path.of(s), parentOf(Path.of(s)), spec, ro);
        throw UnknownNameException.of("dataset kind", colon < 0 ? s : kind, KINDS,
            "e.g. --dataset phantom:500 or --dataset nih:BBox_List_2017.csv:images");
    }
  }

  private static Path parentOf(Path f) {
    Path p = f.toAbsolutePath().getParent();
    return p == null ? Path.of(".") : p;
  }

  // ------------------------------------------------------------------ list-backed datasets

  private record ListDataset(String spec, List<Dataset.Entry> list) implements Dataset {
    @Override public int size() { return list.size(); }
    @Override public Iterator<Entry> entries() { return list.iterator(); }
  }

  private record Row(String label, Box box) { }

  private static int labelIndex(String label, List<String> labels) {
    if (label == null) return -1;
    for (int i = 0; i < labels.size(); i++) if (labels.get(i).equalsIgnoreCase(label.trim())) return i;
    return -1;
  }

  /** Loads an image file and scales/clips its boxes (file pixels) to the model input. */
  static Sample fromFile(String id, Path file, List<Row> rows, InputSpec spec, List<String> labels, Map<String, String> readerOptions) {
    LoadedImage img = Images.load(file, spec, readerOptions).get(0);
    double ow = img.originalWidth(), oh = img.originalHeight();
    double sx = spec.width() / ow, sy = spec.height() / oh;
    List<Box> boxes = new ArrayList<>();
    List<String> flags = new ArrayList<>();
    String label = null;
    for (Row r : rows) {
      if (label == null && r.label() != null && !r.label().isBlank()) label = r.label();
      if (r.box() == null) continue;
      Box b = r.box();
      if (b.outside(ow, oh)) {
        flags.add("box " + fmt(b) + " reaches outside the " + (int) ow + "x" + (int) oh + " image: clipped");
        b = b.clipped(ow, oh);
      }
      boxes.add(b.scaled(sx, sy));
    }
    return new Sample(id, img.tensor(), img.display(), boxes, null, label, labelIndex(label, labels), flags);
  }

  private static String fmt(Box b) {
    return String.format(Locale.ROOT, "[%.1f, %.1f, %.1f, %.1f]", b.x0(), b.y0(), b.x1(), b.y1());
  }

  private static double num(String s, String what, String where) {
    try {
      double d = Double.parseDouble(s.trim());
      if (!Double.isFinite(d)) throw new NumberFormatException();
      return d;
    } catch (NumberFormatException e) {
      throw new InvalidInputException(where + ": " + what + " '" + s + "' is not a number");
    }
  }

  /** A box from x, y, w, h; a negative width or height is rejected with the row's place. */
  private static Box xywh(List<String> r, int from, String label, String where) {
    double x = num(r.get(from), "x", where), y = num(r.get(from + 1), "y", where);
    double w = num(r.get(from + 2), "w", where), h = num(r.get(from + 3), "h", where);
    if (w < 0 || h < 0) throw new InvalidInputException(where + ": box width and height must be >= 0, got w=" + w + " h=" + h);
    return Box.ofXywh(x, y, w, h, label);
  }

  /** A dataset entry whose rows could not be parsed: loading it reports the problem. */
  private static Dataset.Entry broken(String id, String why) {
    return new Dataset.Entry() {
      @Override public String id() { return id; }
      @Override public Sample load(InputSpec spec, List<String> labels) { throw new InvalidInputException(why); }
    };
  }

  private static Dataset.Entry fileEntry(String id, Path file, List<Row> rows, Map<String, String> options) {
    return new Dataset.Entry() {
      @Override public String id() { return id; }
      @Override public Sample load(InputSpec spec, List<String> labels) { return fromFile(id, file, rows, spec, labels, options); }
    };
  }

  private static String stem(String name) {
    String n = Path.of(name).getFileName().toString();
    return n.contains(".") ? n.substring(0, n.lastIndexOf('.')) : n;
  }

  // ------------------------------------------------------------------ NIH

  static Dataset nih(Path csv, Path dir, String spec, Map<String, String> options) {
    if (!Files.isRegularFile(csv)) throw new InvalidInputException("NIH box list " + csv + " does not exist; give BBox_List_2017.csv");
    if (!Files.isDirectory(dir)) throw new InvalidInputException("NIH image folder " + dir + " does not exist");
    Map<String, List<Row>> byImage = new LinkedHashMap<>();
    Map<String, String> bad = new LinkedHashMap<>();
    int[] line = {0};
    Csv.read(csv, r -> {
      line[0]++;
      if (line[0] == 1 && r.get(0).trim().equalsIgnoreCase("Image Index")) return;
      String where = csv.getFileName() + " line " + line[0];
      String img = r.get(0).trim();
      if (img.isEmpty()) return;
      try {
        if (r.size() < 6) throw new InvalidInputException(where + ": expected Image Index, Finding Label, x, y, w, h; got " + r.size() + " fields");
        byImage.computeIfAbsent(img, k -> new ArrayList<>()).add(new Row(r.get(1).trim(), xywh(r, 2, r.get(1).trim(), where)));
      } catch (InvalidInputException e) {
        bad.putIfAbsent(img, e.getMessage());
      }
    });
    List<Dataset.Entry> list = new ArrayList<>();
    for (Map.Entry<String, List<Row>> e : byImage.entrySet()) {
      String id = stem(e.getKey());
      list.add(bad.containsKey(e.getKey()) ? broken(id, bad.get(e.getKey())) : fileEntry(id, dir.resolve(e.getKey()), e.getValue(), options));
    }
    for (Map.Entry<String, String> e : bad.entrySet()) {
      if (!byImage.containsKey(e.getKey())) list.add(broken(stem(e.getKey()), e.getValue()));
    }
    return new ListDataset(spec, list);
  }

  // ------------------------------------------------------------------ generic CSV

  static Dataset csv(Path csv, Path dir, String spec, Map<String, String> options) {
    if (!Files.isRegularFile(csv)) throw new InvalidInputException("dataset CSV " + csv + " does not exist");
    Map<String, List<Row>> byImage = new LinkedHashMap<>();
    Map<String, String> bad = new LinkedHashMap<>();
    int[] line = {0};
    Csv.read(csv, r -> {
      line[0]++;
      if (line[0] == 1 && r.get(0).trim().equalsIgnoreCase("image")) return;
      String where = csv.getFileName() + " line " + line[0];
      String img = r.get(0).trim();
      if (img.isEmpty()) return;
      try {
        byImage.computeIfAbsent(img, k -> new ArrayList<>()).add(csvRow(r, where));
      } catch (InvalidInputException e) {
        bad.putIfAbsent(img, e.getMessage());
      }
    });
    List<Dataset.Entry> list = new ArrayList<>();
    for (Map.Entry<String, List<Row>> e : byImage.entrySet()) {
      String id = stem(e.getKey());
      Path f = Path.of(e.getKey()).isAbsolute() ? Path.of(e.getKey()) : dir.resolve(e.getKey());
      list.add(bad.containsKey(e.getKey()) ? broken(id, bad.get(e.getKey())) : fileEntry(id, f, e.getValue(), options));
    }
    for (Map.Entry<String, String> e : bad.entrySet()) {
      if (!byImage.containsKey(e.getKey())) list.add(broken(stem(e.getKey()), e.getValue()));
    }
    return new ListDataset(spec, list);
  }

  // ------------------------------------------------------------------ DICOM folder

  static Dataset dicom(Path dir, Path boxesCsv, String spec, Map<String, String> options) {
    if (!Files.isDirectory(dir)) throw new InvalidInputException("DICOM folder " + dir + " does not exist");
    Map<String, List<Row>> rowsByName = new LinkedHashMap<>();
    Map<String, String> bad = new LinkedHashMap<>();
    if (boxesCsv != null) {
      if (!Files.isRegularFile(boxesCsv)) throw new InvalidInputException("box CSV " + boxesCsv + " does not exist");
      int[] line = {0};
      Csv.read(boxesCsv, r -> {
        line[0]++;
        if (line[0] == 1 && r.get(0).trim().equalsIgnoreCase("image")) return;
        String img = r.get(0).trim();
        if (img.isEmpty()) return;
        String where = boxesCsv.getFileName() + " line " + line[0];
        String label = r.size() > 1 && !r.get(1).isBlank() ? r.get(1).trim() : null;
        try {
          boolean hasBox = r.size() >= 6 && !r.get(2).isBlank();
          rowsByName.computeIfAbsent(img, k -> new ArrayList<>()).add(new Row(label, hasBox ? xywh(r, 2, label == null ? "" : label, where) : null));
        } catch (InvalidInputException e) {
          bad.putIfAbsent(img, e.getMessage());
        }
      });
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(f -> Files.isRegularFile(f) && isDicom(f)).sorted().toList();
    } catch (IOException e) {
      throw new InvalidInputException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    if (files.isEmpty()) {
      throw new InvalidInputException("no DICOM files in " + dir + " (.dcm, .dicom, or files with the DICM preamble)");
    }
    List<Dataset.Entry> list = new ArrayList<>();
    for (Path f : files) {
      String name = f.getFileName().toString();
      String id = stem(name);
      List<Row> rows = rowsByName.containsKey(name) ? rowsByName.get(name) : rowsByName.getOrDefault(id, List.of(new Row(null, null)));
      String why = bad.containsKey(name) ? bad.get(name) : bad.get(id);
      list.add(why != null ? broken(id, why) : fileEntry(id, f, rows, options));
    }
    return new ListDataset(spec, list);
  }

  /** A DICOM file by name (.dcm, .dicom, .dic) or by its 'DICM' preamble at byte 128. */
  static boolean isDicom(Path f) {
    String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
    if (n.endsWith(".dcm") || n.endsWith(".dicom") || n.endsWith(".dic")) return true;
    try (var in = Files.newInputStream(f)) {
      byte[] head = in.readNBytes(132);
      return head.length == 132 && head[128] == 'D' && head[129] == 'I' && head[130] == 'C' && head[131] == 'M';
    } catch (IOException e) {
      return false;
    }
  }

  /** One csv: record {@code image,label,x,y,w,h} (x..h may be empty: no box) as a label and a box in file pixels. */
  private static Row csvRow(List<String> r, String where) {
    String label = r.size() > 1 && !r.get(1).isBlank() ? r.get(1).trim() : null;
    boolean hasBox = r.size() >= 6 && !r.get(2).isBlank();
    if (!hasBox && r.size() > 2 && r.size() < 6 && !r.get(2).isBlank()) {
      throw new InvalidInputException(where + ": a box needs x, y, w and h; got " + (r.size() - 2) + " numbers");
    }
    return new Row(label, hasBox ? xywh(r, 2, label == null ? "" : label, where) : null);
  }

  /**
   * One image of a {@code csv:} (or {@code nih:}) table, for runners that read the table themselves (xcam-spark): its
   * records parsed, the image loaded and its boxes scaled and clipped exactly as the dataset kinds do.
   *
   * @param records the image's records as the table has them, {@code image,label,x,y,w,h} (x..h may be empty)
   * @param where   where the records come from, for error messages (e.g. "labels.csv")
   * @param readerOptions image-reader options (e.g. a DICOM window), as the dataset kinds take them; may be empty
   * @throws InvalidInputException on a malformed record or an unreadable image (one line, for an error row)
   */
  public static Sample tableSample(String id, Path file, List<List<String>> records, String where, InputSpec spec,
                                   List<String> labels, Map<String, String> readerOptions) {
    List<Row> rows = new ArrayList<>();
    for (List<String> r : records) rows.add(csvRow(r, where));
    return fromFile(id, file, rows, spec, labels, readerOptions);
  }

  // ------------------------------------------------------------------ phantom

  static Dataset phantom(int count, long seed, String spec) {
    return new Dataset() {
      @Override public String spec() { return spec; }
      @Override public int size() { return count; }
      @Override public Iterator<Entry> entries() {
        return new Iterator<>() {
          int i = 0;
          @Override public boolean hasNext() { return i < count; }
          @Override public Entry next() {
            if (i >= count) throw new NoSuchElementException();
            long s = seed + i++;
            return new Entry() {
              @Override public String id() { return "phantom-" + s; }
              @Override public Sample load(InputSpec in, List<String> labels) { return phantomSample(s, in, labels); }
            };
          }
        };
      }
    };
  }

  /** The {@code phantom:} image of one seed at the model's input size, with its lesion boxes and label. */
  public static Sample phantomSample(long seed, InputSpec spec, List<String> labels) {
    int size = spec.height();
    Phantom p = PhantomGenerator.generate(seed, size);
    float[] px = p.image().toArray();
    List<String> flags = new ArrayList<>();
    if (spec.width() != size) {
      px = Heatmap.resizeBilinear(px, size, size, spec.height(), spec.width());
      flags.add("phantom resized to " + spec.height() + "x" + spec.width());
    }
    int hw = spec.height() * spec.width();
    float[] mean = spec.mean(), std = spec.std();
    float[] x = new float[spec.channels() * hw];
    for (int c = 0; c < spec.channels(); c++) for (int i = 0; i < hw; i++) x[c * hw + i] = (px[i] - mean[c]) / std[c];
    BufferedImage display = new BufferedImage(spec.width(), spec.height(), BufferedImage.TYPE_INT_RGB);
    for (int i = 0; i < hw; i++) {
      int g = Math.max(0, Math.min(255, Math.round(px[i] * 255)));
      display.setRGB(i % spec.width(), i / spec.width(), (g << 16) | (g << 8) | g);
    }
    double sx = (double) spec.width() / size;
    List<Box> boxes = new ArrayList<>();
    for (Box b : p.lesions()) {
      Box c = b;
      if (b.outside(size, size)) {
        flags.add("lesion box reaches outside the image: clipped");
        c = b.clipped(size, size);
      }
      boxes.add(c.scaled(sx, 1));
    }
    return new Sample("phantom-" + seed, Tensor.wrap(x, spec.channels(), spec.height(), spec.width()), display, boxes, null,
        p.label(), labelIndex(p.label(), labels), flags);
  }

  // ------------------------------------------------------------------ masks

  static Dataset masks(Path images, Path maskDir, Path labelsCsv, String spec, Map<String, String> options) {
    if (!Files.isDirectory(images)) throw new InvalidInputException("image folder " + images + " does not exist");
    if (!Files.isDirectory(maskDir)) throw new InvalidInputException("mask folder " + maskDir + " does not exist");
    Map<String, String> labelOf = new LinkedHashMap<>();
    if (labelsCsv != null) {
      Csv.read(labelsCsv, r -> {
        if (r.size() >= 2 && !r.get(0).equalsIgnoreCase("image")) labelOf.put(stem(r.get(0).trim()), r.get(1).trim());
      });
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(images)) {
      files = s.filter(f -> f.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(png|jpe?g|npy)$")).sorted().toList();
    } catch (IOException e) {
      throw new InvalidInputException("cannot list " + images + ": " + e.getMessage(), e);
    }
    List<Dataset.Entry> list = new ArrayList<>();
    for (Path f : files) {
      String id = stem(f.getFileName().toString());
      list.add(new Dataset.Entry() {
        @Override public String id() { return id; }
        @Override public Sample load(InputSpec in, List<String> labels) {
          Path m = findMask(maskDir, id);
          String label = labelOf.get(id);
          Sample s = fromFile(id, f, List.of(new Row(label, null)), in, labels, options);
          Tensor mask = readMask(m, in.height(), in.width());
          Box bb = bounds(mask, label == null ? "mask" : label);
          return new Sample(id, s.input(), s.display(), bb == null ? List.of() : List.of(bb), mask, label, s.labelIndex(), s.flags());
        }
      });
    }
    return new ListDataset(spec, list);
  }

  private static Path findMask(Path dir, String id) {
    for (String ext : List.of(".png", ".npy", ".jpg", ".jpeg")) {
      Path p = dir.resolve(id + ext);
      if (Files.isRegularFile(p)) return p;
    }
    throw new InvalidInputException("no mask for image '" + id + "' in " + dir + " (looked for " + id + ".png / .npy)");
  }

  /** A mask file as an {@code [H, W]} 0/1 tensor at the model's size (bilinear, then > 0.5). */
  static Tensor readMask(Path file, int h, int w) {
    float[] v;
    int mh, mw;
    if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy")) {
      Tensor t = Tensor.readNpy(file);
      mh = t.dim(-2);
      mw = t.dim(-1);
      if (t.size() != mh * mw) throw new InvalidInputException("mask " + file + " must be one [H, W] plane");
      v = t.toArray();
      for (int i = 0; i < v.length; i++) v[i] = v[i] > 0 ? 1f : 0f;
    } else {
      BufferedImage img;
      try {
        img = ImageIO.read(file.toFile());
      } catch (IOException e) {
        throw new InvalidInputException("cannot read mask " + file + ": " + e.getMessage(), e);
      }
      if (img == null) throw new InvalidInputException("cannot decode mask " + file + " (not a PNG/JPEG)");
      Raster r = img.getRaster();
      mh = img.getHeight();
      mw = img.getWidth();
      v = new float[mh * mw];
      for (int y = 0; y < mh; y++) for (int x = 0; x < mw; x++) v[y * mw + x] = r.getSample(x, y, 0) > 0 ? 1f : 0f;
    }
    if (mh != h || mw != w) {
      v = Heatmap.resizeBilinear(v, mh, mw, h, w);
      for (int i = 0; i < v.length; i++) v[i] = v[i] > 0.5f ? 1f : 0f;
    }
    return Tensor.wrap(v, h, w);
  }

  /** The bounding box of a mask's non-zero pixels (for drawing), or null when empty. */
  static Box bounds(Tensor mask, String label) {
    int h = mask.dim(0), w = mask.dim(1), x0 = w, y0 = h, x1 = -1, y1 = -1;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        if (mask.get(y * w + x) > 0) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
      }
    }
    return x1 < 0 ? null : Box.of(x0, y0, x1 + 1, y1 + 1, label);
  }
}
