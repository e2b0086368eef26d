package org.xcam.cli.bench;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.xcam.api.Tensor;
import org.xcam.cli.XcamCli;
import org.xcam.runtime.Fixtures;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code xcam bench fuzz}: feeds generated bad inputs to the CLI and checks its promise for each.
 *
 * <p>Inputs (seeded, so a run is repeatable): mutations of valid PNG (8/16-bit gray, palette, RGB), JPEG, DICOM and
 * {@code .npy} files (truncations, byte flips in the header and anywhere, extreme values in 4-byte fields, spliced
 * chunks); crafted files (PNG headers with impossible sizes, depths and colour types; DICOM headers with impossible
 * sizes, bits, frames, windows, lengths; {@code .npy} headers with bad shapes, types and versions); things that are
 * not images; and bad arguments ({@code --target}, {@code --method}, {@code --layer}, {@code --option},
 * {@code --window}, {@code --out}, {@code --batch}, {@code --budget}, {@code --device}, {@code --model},
 * {@code --dataset}, {@code --images}).
 *
 * <p>The promise: a bad input exits 2 with exactly one stderr line, no stack trace, no terminal codes, and nothing
 * left in {@code --out}. A mutation that happens to leave a valid file may be explained (exit 0): then the output must
 * be whole (a manifest and every file it lists, no staging left). Anything else is a violation; the command prints
 * the counts and every violation, and exits 1 when there is one.
 */
@Command(name = "fuzz", mixinStandardHelpOptions = true,
    description = "Fuzz the CLI with generated bad inputs: exit 2, one stderr line, no stack trace, nothing left in --out")
public final class FuzzBench implements Callable<Integer> {
  @Option(names = "--count", defaultValue = "300", description = "Mutated files to generate (crafted and argument cases come on top). Default: ${DEFAULT-VALUE}.")
  int count;

  @Option(names = "--seed", defaultValue = "19", description = "Seed of the generator. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--work", description = "Directory for the generated files and outputs (default: a temporary one, deleted after).")
  Path work;

  @Option(names = {"-v", "--verbose"}, description = "Print every case with its outcome.")
  boolean verbose;

  /** A generated case: a name, a kind (for the counts), and the CLI arguments; {@code out} is the --out to inspect. */
  public record Case(String kind, String name, List<String> args, Path out) { }

  /** The outcome of one case. */
  public record Outcome(Case c, String verdict, int code, String err) { }

  /** Counts per kind and verdict, and the violations. */
  public record Report(Map<String, int[]> byKind, List<Outcome> violations, int refused, int accepted) {
    public int total() { return refused + accepted + violations.size(); }
  }

  @Override public Integer call() throws IOException {
    boolean temp = work == null;
    Path dir = temp ? Files.createTempDirectory("xcam-fuzz") : Files.createDirectories(work);
    try {
      PrintStream console = System.out;
      Report r = run(dir, count, seed, verbose ? console : null);
      console.printf(Locale.ROOT, "xcam bench fuzz: %d cases (seed %d): %d refused as promised, %d accepted whole, %d violations%n",
          r.total(), seed, r.refused(), r.accepted(), r.violations().size());
      console.printf(Locale.ROOT, "  %-22s %8s %8s %8s%n", "kind", "refused", "accepted", "violated");
      r.byKind().forEach((k, v) -> console.printf(Locale.ROOT, "  %-22s %8d %8d %8d%n", k, v[0], v[1], v[2]));
      for (Outcome o : r.violations()) {
        console.println("VIOLATION " + o.c().kind() + " " + o.c().name() + ": " + o.verdict() + " (exit " + o.code() + "): "
            + o.err().strip().replace("\n", " | "));
      }
      return r.violations().isEmpty() ? 0 : 1;
    } finally {
      if (temp) deleteTree(dir);
    }
  }

  /** Generates and runs the cases; {@code log} (may be null) gets one line per case. */
  public static Report run(Path dir, int count, long seed, PrintStream log) throws IOException {
    Path model = Fixtures.phantomBundle();
    List<Case> cases = generate(dir, model, count, seed);
    Map<String, int[]> byKind = new LinkedHashMap<>();
    List<Outcome> violations = new ArrayList<>();
    int refused = 0, accepted = 0;
    for (Case c : cases) {
      Outcome o = runCase(c);
      int[] k = byKind.computeIfAbsent(c.kind(), x -> new int[3]);
      switch (o.verdict()) {
        case "refused" -> { refused++; k[0]++; }
        case "accepted" -> { accepted++; k[1]++; }
        default -> { violations.add(o); k[2]++; }
      }
      if (log != null) log.println(o.verdict() + "\t" + c.kind() + "\t" + c.name() + "\t" + o.err().strip().replace("\n", " | "));
    }
    return new Report(byKind, violations, refused, accepted);
  }

  static Outcome runCase(Case c) {
    PrintStream oldOut = System.out, oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      code = XcamCli.run(c.args().toArray(String[]::new));
    } catch (Throwable t) {
      code = -1;
      err.writeBytes(("escaped: " + t).getBytes(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
    String e = err.toString(StandardCharsets.UTF_8);
    List<String> lines = e.strip().isEmpty() ? List.of() : e.strip().lines().toList();
    List<String> left = list(c.out());
    if (code == 2) {
      if (lines.size() != 1) return new Outcome(c, lines.size() + " stderr lines", code, e);
      if (e.contains("\tat ") || e.contains("Exception:") && !e.contains("xcam: error:")) return new Outcome(c, "stack trace", code, e);
      if (e.indexOf('\u001B') >= 0) return new Outcome(c, "terminal codes", code, e);
      if (!left.isEmpty()) return new Outcome(c, "left in --out: " + left, code, e);
      return new Outcome(c, "refused", code, e);
    }
    if (code == 0) {
      if (e.contains("\tat ")) return new Outcome(c, "stack trace on success", code, e);
      if (c.out() != null && !whole(c.out())) return new Outcome(c, "incomplete output: " + left, code, e);
      return new Outcome(c, "accepted", code, e);
    }
    return new Outcome(c, "exit " + code, code, e);
  }

  /** The files in {@code out} (names), or empty when it does not exist or is not a directory. */
  static List<String> list(Path out) {
    if (out == null || !Files.isDirectory(out)) return List.of();
    try (Stream<Path> s = Files.list(out)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      return List.of("(unlistable)");
    }
  }

  /** A manifest, every file it lists, and no staging or lock left. */
  @SuppressWarnings("unchecked")
  static boolean whole(Path out) {
    List<String> names = list(out);
    if (names.stream().anyMatch(n -> n.startsWith(".xcam"))) return false;
    if (!names.contains("manifest.json")) return false;
    try {
      Map<String, Object> m = (Map<String, Object>) org.xcam.api.bundle.Json.parse(Files.readString(out.resolve("manifest.json")));
      for (Object r : (List<Object>) m.get("results")) {
        for (Object f : (List<Object>) ((Map<String, Object>) r).get("files")) if (!names.contains(String.valueOf(f))) return false;
      }
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  // ------------------------------------------------------------------------------------------------ generation

  static List<Case> generate(Path dir, Path model, int count, long seed) throws IOException {
    SplittableRandom rnd = new SplittableRandom(seed);
    Path files = Files.createDirectories(dir.resolve("inputs"));
    Map<String, byte[]> seeds = seeds(model);
    List<Case> cases = new ArrayList<>();
    int[] n = {0};
    List<String> names = new ArrayList<>(seeds.keySet());
    // 1. mutations of valid files
    for (int i = 0; i < count; i++) {
      String base = names.get(rnd.nextInt(names.size()));
      byte[] b = seeds.get(base);
      String how;
      byte[] m;
      switch (rnd.nextInt(5)) {
        case 0 -> {
          int at = rnd.nextInt(Math.max(1, b.length));
          m = Arrays.copyOf(b, at);
          how = "truncated at " + at;
        }
        case 1 -> {
          m = b.clone();
          int flips = 1 + rnd.nextInt(8);
          for (int f = 0; f < flips; f++) m[rnd.nextInt(Math.min(m.length, 400))] ^= (byte) (1 + rnd.nextInt(255));
          how = flips + " header bytes flipped";
        }
        case 2 -> {
          m = b.clone();
          int flips = 1 + rnd.nextInt(32);
          for (int f = 0; f < flips; f++) m[rnd.nextInt(m.length)] ^= (byte) (1 + rnd.nextInt(255));
          how = flips + " bytes flipped";
        }
        case 3 -> {
          m = b.clone();
          int at = rnd.nextInt(Math.max(1, Math.min(m.length - 4, 400)));
          int[] extremes = {0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 0xFFFF, 0x10000};
          ByteBuffer.wrap(m).order(rnd.nextBoolean() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN)
              .putInt(at, extremes[rnd.nextInt(extremes.length)]);
          how = "extreme int at " + at;
        }
        default -> {
          int from = rnd.nextInt(b.length), len = rnd.nextInt(Math.max(1, b.length - from));
          ByteArrayOutputStream s = new ByteArrayOutputStream();
          s.write(b, 0, from);
          s.write(b, from + len, b.length - from - len);
          if (rnd.nextBoolean()) s.write(b, 0, Math.min(b.length, rnd.nextInt(64)));
          m = s.toByteArray();
          how = "chunk of " + len + " cut at " + from;
        }
      }
      Path f = files.resolve(String.format(Locale.ROOT, "m%04d-%s", i, base));
      Files.write(f, m);
      cases.add(explainCase(dir, model, "mutated " + ext(base), f.getFileName() + " (" + how + ")", f.toString()));
    }
    // 2. crafted files
    for (Map.Entry<String, byte[]> e : crafted(seeds).entrySet()) {
      Path f = files.resolve(e.getKey());
      Files.write(f, e.getValue());
      cases.add(explainCase(dir, model, "crafted " + ext(e.getKey()), e.getKey(), f.toString()));
    }
    // 3. not images
    Path good = files.resolve("good.png");
    Files.write(good, seeds.get("gray8.png"));
    Path dcm = files.resolve("good.dcm");
    Files.write(dcm, seeds.get("mono1-12bit.dcm"));
    Files.createDirectories(files.resolve("a-directory.png"));
    Files.writeString(files.resolve("text.png"), "not a PNG\n");
    Files.write(files.resolve("empty.jpg"), new byte[0]);
    Files.write(files.resolve("one.dcm"), new byte[] {1});
    byte[] noise = new byte[2048];
    rnd.nextBytes(noise);
    Files.write(files.resolve("noise.npy"), noise);
    Files.write(files.resolve("noise"), noise);
    for (String s : List.of("missing.png", "a-directory.png", "text.png", "empty.jpg", "one.dcm", "noise.npy", "noise")) {
      cases.add(explainCase(dir, model, "not an image", s, files.resolve(s).toString()));
    }
    // 4. arguments
    String[][] explainArgs = {
        {"--target", "all:2"}, {"--target", "all:-1"}, {"--target", "all:nan"}, {"--target", "-1"}, {"--target", "99"},
        {"--target", "regression:-3"}, {"--target", ","}, {"--target", "abc"}, {"--target", "1,2,3"}, {"--target", ""},
        {"--method", ""}, {"--method", ","}, {"--method", "gradcm"}, {"--method", "GRADCAM"}, {"--layer", "nope"}, {"--layer", ""},
        {"--batch", "0"}, {"--batch", "-1"}, {"--batch", "abc"}, {"--seed", "abc"}, {"--budget", "-1"}, {"--budget", "x"},
        {"--option", "noequals"}, {"--option", "=x"}, {"--option", "batch-size=0", "--method", "rise"},
        {"--option", "masks=-5", "--method", "rise"}, {"--option", "masks=abc", "--method", "rise"},
        {"--option", "masks=1000000000", "--method", "rise"}, {"--option", "steps=0", "--method", "iba"},
        {"--option", "unknown=1"}, {"--device", "bogus"}, {"--device", "cuda:x"}, {"--engine", "nope"},
        {"--regions", files.resolve("missing.csv").toString()}, {"--regions", files.resolve("text.png").toString()},
    };
    for (String[] a : explainArgs) {
      List<String> args = new ArrayList<>(List.of(a));
      if (!args.contains("--method")) args.addAll(List.of("--method", "gradcam"));
      if (args.contains("cuda:x") || (args.contains("cuda") && nvidia())) continue;
      Path out = dir.resolve("out-" + n[0]++);
      List<String> all = new ArrayList<>(List.of("explain", "--model", model.toString(), "--out", out.toString()));
      all.addAll(args);
      all.add(good.toString());
      cases.add(new Case("argument", String.join(" ", a), all, out));
    }
    for (String w : List.of("abc", "1,0", "nan,5", "1,2,3", "1e400,5", "-", "minmax,1")) {
      Path out = dir.resolve("out-" + n[0]++);
      cases.add(new Case("argument", "--window " + w, List.of("explain", "--model", model.toString(), "--out", out.toString(),
          "--method", "gradcam", "--window", w, dcm.toString()), out));
    }
    Path aFile = Files.writeString(dir.resolve("a-file"), "x");
    for (String o : List.of("", aFile.toString(), aFile.resolve("sub").toString())) {
      cases.add(new Case("argument", "--out '" + o + "'", List.of("explain", "--model", model.toString(), "--out", o, "--method", "gradcam",
          good.toString()), null));
    }
    for (String m : List.of(files.resolve("nope").toString(), files.resolve("text.png").toString(),
        Files.createDirectories(dir.resolve("empty-model")).toString())) {
      Path out = dir.resolve("out-" + n[0]++);
      cases.add(new Case("argument", "--model " + Path.of(m).getFileName(), List.of("explain", "--model", m, "--out", out.toString(),
          "--method", "gradcam", good.toString()), out));
    }
    for (String ds : List.of("phantom:-1", "phantom:abc", "phantom:", "nih:x", "csv:" + files.resolve("missing.csv"),
        "dicom:" + files.resolve("nowhere"), "masks:a", "bogus:1", "")) {
      Path out = dir.resolve("out-" + n[0]++);
      cases.add(new Case("argument", "--dataset " + ds.replace(dir.toString(), "."), List.of("evaluate", "--model", model.toString(),
          "--dataset", ds, "--methods", "gradcam", "--metrics", "pointing-game", "--out", out.toString()), out));
    }
    for (String im : List.of("phantom:-1", "phantom:0", "phantom:x", files.resolve("nowhere").toString(), files.toString() + "/text.png")) {
      cases.add(new Case("argument", "--images " + im.replace(dir.toString(), "."), List.of("estimate", "--model", model.toString(),
          "--layer", "features.14", "--images", im, "--out", dir.resolve("stats-" + n[0]++).toString()), null));
    }
    return cases;
  }

  private static boolean nvidia() {
    return Files.exists(Path.of("/proc/driver/nvidia/version")) || Files.exists(Path.of("/dev/nvidia0"));
  }

  static Case explainCase(Path dir, Path model, String kind, String name, String image) {
    Path out = dir.resolve("out-" + Integer.toHexString(name.hashCode()) + "-" + Math.abs(image.hashCode()));
    return new Case(kind, name, List.of("explain", "--model", model.toString(), "--out", out.toString(), "--method", "gradcam", image), out);
  }

  private static String ext(String name) {
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "(none)" : name.substring(dot + 1);
  }

  /** Valid files of every format to mutate. */
  static Map<String, byte[]> seeds(Path model) throws IOException {
    Map<String, byte[]> s = new LinkedHashMap<>();
    Path samples = model.resolve("samples");
    s.put("gray8.png", Files.readAllBytes(samples.resolve("nodule-10100000.png")));
    BufferedImage g16 = new BufferedImage(64, 64, BufferedImage.TYPE_USHORT_GRAY);
    BufferedImage rgb = new BufferedImage(48, 40, BufferedImage.TYPE_INT_RGB);
    byte[] lut = new byte[16];
    for (int i = 0; i < 16; i++) lut[i] = (byte) (255 - i * 17);
    BufferedImage pal = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_BINARY, new IndexColorModel(4, 16, lut, lut, lut));
    for (int y = 0; y < 64; y++) {
      for (int x = 0; x < 64; x++) {
        g16.getRaster().setSample(x, y, 0, (x * 1000 + y * 7) & 0xffff);
        pal.getRaster().setSample(x, y, 0, (x + y) % 16);
        if (x < 48 && y < 40) rgb.setRGB(x, y, (x * 5 << 16) | (y * 6 << 8) | 90);
      }
    }
    s.put("gray16.png", png(g16, "png"));
    s.put("rgb.png", png(rgb, "png"));
    s.put("palette4.png", png(pal, "png"));
    s.put("gray.jpg", png(javax.imageio.ImageIO.read(samples.resolve("nodule-10100000.png").toFile()), "jpeg"));
    s.put("mono1-12bit.dcm", Files.readAllBytes(samples.resolve("nodule-10100000-dicom.dcm")));
    s.put("mono2-16bit.dcm", Files.readAllBytes(samples.resolve("effusion-10100001-dicom.dcm")));
    s.put("image.npy", Tensor.readNpy(model.resolve("reference/inputs/0.npy")).toNpyBytes());
    return s;
  }

  private static byte[] png(BufferedImage img, String format) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    if (!ImageIO.write(img, format, b)) throw new IOException("no " + format + " writer");
    return b.toByteArray();
  }

  /** Files whose headers say impossible things, each with otherwise valid structure (checksums right). */
  static Map<String, byte[]> crafted(Map<String, byte[]> seeds) {
    Map<String, byte[]> c = new LinkedHashMap<>();
    byte[] png = seeds.get("gray8.png");
    int[][] ihdr = {{0, 64, 8, 0}, {64, 0, 8, 0}, {Integer.MAX_VALUE, Integer.MAX_VALUE, 8, 0}, {70000, 70000, 8, 0}, {64, 64, 3, 0},
        {64, 64, 8, 5}, {64, 64, 16, 3}, {64, 64, 8, 3}, {-1, 64, 8, 0}, {64, 64, 1, 2}};
    for (int[] h : ihdr) c.put("ihdr-" + h[0] + "x" + h[1] + "-d" + h[2] + "-c" + h[3] + ".png", withIhdr(png, h[0], h[1], h[2], h[3]));
    c.put("no-idat.png", Arrays.copyOf(png, 33));
    byte[] dcm = seeds.get("mono2-16bit.dcm");
    c.put("rows0.dcm", dicomUs(dcm, 0x0010, 0));
    c.put("rows65535.dcm", dicomUs(dcm, 0x0010, 65535));
    c.put("bits32.dcm", dicomUs(dcm, 0x0100, 32));
    c.put("bits1.dcm", dicomUs(dcm, 0x0100, 1));
    c.put("stored0.dcm", dicomUs(dcm, 0x0101, 0));
    c.put("stored20.dcm", dicomUs(dcm, 0x0101, 20));
    c.put("samples3.dcm", dicomUs(dcm, 0x0002, 3));
    c.put("dicm-only.dcm", Arrays.copyOf(dcm, 132));
    c.put("dicm-garbage.dcm", concat(Arrays.copyOf(dcm, 132), "garbage garbage garbage".getBytes(StandardCharsets.US_ASCII)));
    byte[] npyHead = "\u0093NUMPY\u0001\u0000".getBytes(StandardCharsets.ISO_8859_1);
    String[] headers = {"{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 64, 64), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 64, 64, 1), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536, 65536), }",
        "{'descr': '<c8', 'fortran_order': False, 'shape': (1, 64, 64), }",
        "{'descr': '|O', 'fortran_order': False, 'shape': (1, 64, 64), }",
        "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 64, 64), }",
        "{'descr': '<f4', 'shape': (1, 64, 64), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, x, 64), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 64, 64), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 32, 32), }",
        "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 64, 64), }\n\u0000\n"};
    for (int i = 0; i < headers.length; i++) {
      byte[] h = headers[i].getBytes(StandardCharsets.ISO_8859_1);
      byte[] len = {(byte) h.length, (byte) (h.length >> 8)};
      c.put("npy-header-" + i + ".npy", concat(npyHead, len, h, new byte[64 * 64 * 4]));
    }
    byte[] nan = new byte[64 * 64 * 4];
    ByteBuffer.wrap(nan).order(ByteOrder.LITTLE_ENDIAN).putFloat(40, Float.NaN).putFloat(400, Float.POSITIVE_INFINITY);
    byte[] h = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 64, 64), }".getBytes(StandardCharsets.ISO_8859_1);
    c.put("npy-nan.npy", concat(npyHead, new byte[] {(byte) h.length, 0}, h, nan));
    c.put("npy-v2-huge-header.npy", concat("\u0093NUMPY\u0002\u0000".getBytes(StandardCharsets.ISO_8859_1), new byte[] {-1, -1, -1, 127}, h));
    c.put("npy-v9.npy", concat("\u0093NUMPY\u0009\u0000".getBytes(StandardCharsets.ISO_8859_1), new byte[] {(byte) h.length, 0}, h));
    byte[] big = new byte[64 * 64 * 4];
    ByteBuffer bb = ByteBuffer.wrap(big).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 64 * 64; i++) bb.putFloat(i * 4, 3e38f);
    c.put("npy-3e38.npy", concat(npyHead, new byte[] {(byte) h.length, 0}, h, big));
    return c;
  }

  /** The PNG with its IHDR replaced (CRC recomputed). */
  static byte[] withIhdr(byte[] png, int w, int h, int depth, int colour) {
    byte[] out = png.clone();
    ByteBuffer b = ByteBuffer.wrap(out);
    b.putInt(16, w).putInt(20, h);
    out[24] = (byte) depth;
    out[25] = (byte) colour;
    CRC32 crc = new CRC32();
    crc.update(out, 12, 17);
    b.putInt(29, (int) crc.getValue());
    return out;
  }

  /** The DICOM file with the first US element (0028,elem) in the dataset set to {@code value} (explicit VR LE). */
  static byte[] dicomUs(byte[] dcm, int elem, int value) {
    byte[] out = dcm.clone();
    for (int i = 132; i + 10 <= out.length; i++) {
      if (out[i] == 0x28 && out[i + 1] == 0 && (out[i + 2] & 0xff) == (elem & 0xff) && (out[i + 3] & 0xff) == (elem >> 8)
          && out[i + 4] == 'U' && out[i + 5] == 'S') {
        out[i + 8] = (byte) value;
        out[i + 9] = (byte) (value >> 8);
        return out;
      }
    }
    throw new IllegalStateException("no (0028," + Integer.toHexString(elem) + ") in the seed file");
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] p : parts) b.writeBytes(p);
    return b.toByteArray();
  }

  static void deleteTree(Path p) {
    try (Stream<Path> w = Files.walk(p)) {
      w.sorted(java.util.Comparator.reverseOrder()).forEach(f -> {
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
}
