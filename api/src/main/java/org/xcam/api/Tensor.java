package org.xcam.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An immutable float32 tensor in row-major (C) order: the one data type that crosses the engine boundary.
 *
 * <p>Images are {@code [N,C,H,W]} (or {@code [C,H,W]} for one image), activations {@code [N,C_L,H_L,W_L]}, outputs
 * {@code [N,K]}. Reads and writes NumPy {@code .npy} format 1.0 (little-endian {@code <f4}, C order; {@code <f8} and
 * integer arrays are converted on read).
 *
 * <pre>{@code
 * Tensor x = Tensor.readNpy(Path.of("image.npy"));     // [1, 64, 64]
 * Tensor batch = x.unsqueeze();                          // [1, 1, 64, 64]
 * float v = batch.get(0, 0, 10, 20);
 * }</pre>
 *
 * <p>{@link #toArray()} returns a copy; {@link #wrap(float[], int...)} takes ownership of an array without copying
 * (the caller must not change it afterwards). Instances are safe to share between threads.
 */
public final class Tensor {
  private final float[] data;
  private final int[] shape;

  private Tensor(float[] data, int[] shape) {
    this.data = data;
    this.shape = shape;
  }

  /** A tensor holding a copy of {@code data}. */
  public static Tensor of(float[] data, int... shape) {
    return wrap(data.clone(), shape);
  }

  /** A tensor that takes ownership of {@code data} (no copy). Do not modify the array afterwards. */
  public static Tensor wrap(float[] data, int... shape) {
    int[] s = shape.clone();
    long n = 1;
    for (int d : s) {
      if (d < 0) throw new InvalidInputException("negative dimension in shape " + Arrays.toString(s));
      n *= d;
    }
    if (n != data.length) {
      throw new InvalidInputException("shape " + Arrays.toString(s) + " needs " + n + " values but " + data.length + " were given");
    }
    return new Tensor(data, s);
  }

  public static Tensor zeros(int... shape) {
    long n = 1;
    for (int d : shape) n *= d;
    return wrap(new float[Math.toIntExact(n)], shape);
  }

  public static Tensor full(float value, int... shape) {
    Tensor t = zeros(shape);
    Arrays.fill(t.data, value);
    return t;
  }

  public int[] shape() { return shape.clone(); }
  public int rank() { return shape.length; }
  public int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }
  public int size() { return data.length; }

  /** A copy of the values in row-major order. */
  public float[] toArray() { return data.clone(); }

  /** The value at a flat row-major index. */
  public float get(int flatIndex) { return data[flatIndex]; }

  /** The value at a multi-index. */
  public float get(int... index) { return data[offset(index)]; }

  /** Copies {@code length} values starting at flat index {@code from} into {@code dst[dstPos..]}. */
  public void copyTo(int from, float[] dst, int dstPos, int length) { System.arraycopy(data, from, dst, dstPos, length); }

  private int offset(int[] index) {
    if (index.length != shape.length) {
      throw new IllegalArgumentException("index rank " + index.length + " != tensor rank " + shape.length);
    }
    int off = 0;
    for (int i = 0; i < shape.length; i++) {
      if (index[i] < 0 || index[i] >= shape[i]) {
        throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " outside shape " + Arrays.toString(shape));
      }
      off = off * shape[i] + index[i];
    }
    return off;
  }

  /** The same values with another shape of the same size. */
  public Tensor reshape(int... newShape) {
    int[] s = newShape.clone();
    int infer = -1;
    long known = 1;
    for (int i = 0; i < s.length; i++) {
      if (s[i] == -1) infer = i; else known *= s[i];
    }
    if (infer >= 0) s[infer] = (int) (data.length / known);
    return wrap(data, s);
  }

  /** Adds a leading axis of size 1: {@code [C,H,W] -> [1,C,H,W]}. */
  public Tensor unsqueeze() {
    int[] s = new int[shape.length + 1];
    s[0] = 1;
    System.arraycopy(shape, 0, s, 1, shape.length);
    return new Tensor(data, s);
  }

  /** Item {@code n} along the first axis: {@code [N,...] -> [...]}. */
  public Tensor item(int n) {
    if (n < 0 || n >= shape[0]) throw new IndexOutOfBoundsException("item " + n + " of batch " + shape[0]);
    int per = data.length / shape[0];
    return new Tensor(Arrays.copyOfRange(data, n * per, (n + 1) * per), Arrays.copyOfRange(shape, 1, shape.length));
  }

  /** Items {@code [from, to)} along the first axis, keeping the axis. */
  public Tensor slice(int from, int to) {
    int per = shape[0] == 0 ? 0 : data.length / shape[0];
    int[] s = shape.clone();
    s[0] = to - from;
    return new Tensor(Arrays.copyOfRange(data, from * per, to * per), s);
  }

  /** Stacks tensors of equal shape along a new leading axis. */
  public static Tensor stack(List<Tensor> items) {
    if (items.isEmpty()) throw new IllegalArgumentException("nothing to stack");
    int[] s0 = items.get(0).shape;
    int per = items.get(0).data.length;
    float[] out = new float[per * items.size()];
    for (int i = 0; i < items.size(); i++) {
      Tensor t = items.get(i);
      if (!Arrays.equals(t.shape, s0)) {
        throw new InvalidInputException("cannot stack shapes " + Arrays.toString(s0) + " and " + Arrays.toString(t.shape));
      }
      System.arraycopy(t.data, 0, out, i * per, per);
    }
    int[] s = new int[s0.length + 1];
    s[0] = items.size();
    System.arraycopy(s0, 0, s, 1, s0.length);
    return new Tensor(out, s);
  }

  /** Concatenates tensors along the first axis (shapes must agree on the other axes). */
  public static Tensor concat(List<Tensor> items) {
    if (items.isEmpty()) throw new IllegalArgumentException("nothing to concatenate");
    int[] rest = Arrays.copyOfRange(items.get(0).shape, 1, items.get(0).shape.length);
    int n = 0, total = 0;
    for (Tensor t : items) {
      if (!Arrays.equals(Arrays.copyOfRange(t.shape, 1, t.shape.length), rest)) {
        throw new InvalidInputException("cannot concatenate shapes " + Arrays.toString(items.get(0).shape) + " and " + Arrays.toString(t.shape));
      }
      n += t.shape[0];
      total += t.data.length;
    }
    float[] out = new float[total];
    int pos = 0;
    for (Tensor t : items) {
      System.arraycopy(t.data, 0, out, pos, t.data.length);
      pos += t.data.length;
    }
    int[] s = items.get(0).shape.clone();
    s[0] = n;
    return new Tensor(out, s);
  }

  /** True when every value is finite (no NaN, no infinity). */
  public boolean isFinite() {
    for (float v : data) if (!Float.isFinite(v)) return false;
    return true;
  }

  /** Index of the first non-finite value, or -1. */
  public int firstNonFinite() {
    for (int i = 0; i < data.length; i++) if (!Float.isFinite(data[i])) return i;
    return -1;
  }

  /** Largest absolute elementwise difference to {@code other} (same shape required). */
  public double maxAbsDiff(Tensor other) {
    if (!Arrays.equals(shape, other.shape)) {
      throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " vs " + Arrays.toString(other.shape));
    }
    double m = 0;
    for (int i = 0; i < data.length; i++) m = Math.max(m, Math.abs((double) data[i] - other.data[i]));
    return m;
  }

  @Override public boolean equals(Object o) {
    return o instanceof Tensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
  }

  @Override public int hashCode() { return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data); }

  @Override public String toString() { return "Tensor" + Arrays.toString(shape); }

  // ---------------------------------------------------------------- NumPy .npy

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern ORDER = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  /** Reads a {@code .npy} file. Errors name the file and say what is wrong with it. */
  public static Tensor readNpy(Path path) {
    if (!Files.isRegularFile(path)) throw new InvalidInputException("no such file: " + path);
    try (InputStream in = Files.newInputStream(path)) {
      return readNpy(in);
    } catch (IOException e) {
      throw new InvalidInputException("cannot read " + path + ": " + e.getMessage(), e);
    } catch (InvalidInputException e) {
      throw new InvalidInputException(path + ": " + e.getMessage(), e);
    }
  }

  /** Reads {@code .npy} bytes from a stream (the stream is read to its end). */
  public static Tensor readNpy(InputStream in) throws IOException {
    byte[] all = in.readAllBytes();
    if (all.length < 10 || !Arrays.equals(Arrays.copyOf(all, 6), MAGIC)) {
      throw new InvalidInputException("not a NumPy .npy file (bad magic); write it with numpy.save");
    }
    int major = all[6];
    ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    int headerLen, start;
    if (major == 1) {
      headerLen = Short.toUnsignedInt(bb.getShort(8));
      start = 10;
    } else if (major == 2 || major == 3) {
      headerLen = bb.getInt(8);
      start = 12;
    } else {
      throw new InvalidInputException("unsupported .npy version " + major);
    }
    if (headerLen < 0 || start + (long) headerLen > all.length) throw new InvalidInputException("truncated .npy header");
    String header = new String(all, start, headerLen, StandardCharsets.ISO_8859_1);
    Matcher d = DESCR.matcher(header), o = ORDER.matcher(header), s = SHAPE.matcher(header);
    if (!d.find() || !o.find() || !s.find()) {
      String shown = header.replaceAll("[\\p{Cntrl}\\s]+", " ").trim();
      throw new InvalidInputException("malformed .npy header (" + (shown.length() > 120 ? shown.substring(0, 120) + "..." : shown)
          + "); write the file with numpy.save");
    }
    if (o.group(1).equals("True")) throw new InvalidInputException("Fortran-order .npy is not supported; save with np.ascontiguousarray");
    int[] shape = npyShape(s.group(1));
    long n = 1;
    for (int dd : shape) {
      n *= dd;
      if (n > Integer.MAX_VALUE - 8) {
        throw new InvalidInputException(".npy shape " + Arrays.toString(shape) + " has more values than a Java array holds");
      }
    }
    String descr = d.group(1);
    int dataStart = start + headerLen;
    ByteOrder order = descr.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    String type = descr.replaceAll("^[<>|=]", "");
    int width = switch (type) {
      case "f4", "i4", "u4" -> 4;
      case "f8", "i8", "u8" -> 8;
      case "f2", "i2", "u2" -> 2;
      case "u1", "i1", "b1" -> 1;
      default -> throw new InvalidInputException("unsupported .npy dtype '" + descr + "'; save as float32");
    };
    if (dataStart + n * width > all.length) {
      throw new InvalidInputException("truncated .npy data: shape " + Arrays.toString(shape) + " needs " + n * width
          + " bytes, file has " + (all.length - dataStart));
    }
    ByteBuffer body = ByteBuffer.wrap(all, dataStart, all.length - dataStart).slice().order(order);
    float[] out = new float[Math.toIntExact(n)];
    for (int i = 0; i < n; i++) {
      out[i] = switch (type) {
        case "f4" -> body.getFloat(i * 4);
        case "f8" -> (float) body.getDouble(i * 8);
        case "f2" -> half(body.getShort(i * 2));
        case "i4" -> body.getInt(i * 4);
        case "u4" -> Integer.toUnsignedLong(body.getInt(i * 4));
        case "i8", "u8" -> body.getLong(i * 8);
        case "i2" -> body.getShort(i * 2);
        case "u2" -> Short.toUnsignedInt(body.getShort(i * 2));
        case "i1" -> body.get(i);
        default -> Byte.toUnsignedInt(body.get(i));
      };
    }
    return new Tensor(out, shape);
  }

  /** The shape tuple of a .npy header: non-negative ints, e.g. {@code "1, 64, 64"} or {@code "3,"}. */
  private static int[] npyShape(String tuple) {
    String[] parts = tuple.split(",");
    int[] shape = new int[parts.length];
    int k = 0;
    for (String p : parts) {
      String t = p.trim();
      if (t.isEmpty()) continue;
      if (t.endsWith("L")) t = t.substring(0, t.length() - 1);
      try {
        shape[k] = Integer.parseInt(t);
      } catch (NumberFormatException e) {
        throw new InvalidInputException("malformed .npy shape (" + tuple.trim() + "); write the file with numpy.save");
      }
      if (shape[k] < 0) throw new InvalidInputException("negative dimension in .npy shape (" + tuple.trim() + ")");
      k++;
    }
    return Arrays.copyOf(shape, k);
  }

  private static float half(short h) {
    int bits = h & 0xffff, sign = (bits >> 15) & 1, exp = (bits >> 10) & 0x1f, mant = bits & 0x3ff;
    float v;
    if (exp == 0) v = (float) (mant * Math.pow(2, -24));
    else if (exp == 31) v = mant == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
    else v = (float) ((1 + mant / 1024.0) * Math.pow(2, exp - 15));
    return sign == 1 ? -v : v;
  }

  /** Writes {@code .npy} format 1.0, little-endian float32, C order. */
  public void writeNpy(Path path) {
    try (OutputStream out = Files.newOutputStream(path)) {
      writeNpy(out);
    } catch (IOException e) {
      throw new InvalidInputException("cannot write " + path + ": " + e.getMessage(), e);
    }
  }

  public void writeNpy(OutputStream out) throws IOException {
    out.write(toNpyBytes());
  }

  public byte[] toNpyBytes() {
    StringBuilder sh = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      sh.append(shape[i]);
      if (shape.length == 1 || i < shape.length - 1) sh.append(shape.length == 1 ? "," : ", ");
    }
    sh.append(")");
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + sh + ", }";
    int total = 10 + dict.length() + 1;
    int pad = (64 - total % 64) % 64;
    String header = dict + " ".repeat(pad) + "\n";
    ByteArrayOutputStream bos = new ByteArrayOutputStream(10 + header.length() + data.length * 4);
    bos.writeBytes(MAGIC);
    bos.write(1);
    bos.write(0);
    bos.write(header.length() & 0xff);
    bos.write((header.length() >> 8) & 0xff);
    bos.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
    ByteBuffer bb = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bb.asFloatBuffer().put(data);
    bos.writeBytes(bb.array());
    return bos.toByteArray();
  }
}
