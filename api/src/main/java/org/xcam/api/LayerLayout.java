package org.xcam.api;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * How a layer's activation is laid out, and the <b>spatial view</b> every layer-based method works on.
 *
 * <p>A layer's raw activation (one row, without the batch axis) is one of:
 * <ul>
 *   <li>{@link Kind#CHANNELS_FIRST} {@code [C, h, w]} (convolutional networks; the view is the activation itself);</li>
 *   <li>{@link Kind#TOKENS} {@code [T, D]} with {@code P} prefix tokens (class, distillation or register tokens) first,
 *       then an {@code h x w} grid of patch tokens in row-major order ({@code T = P + h*w}; token {@code P + r*w + c}
 *       is the patch at row r, column c): ViT, DeiT;</li>
 *   <li>{@link Kind#CHANNELS_LAST} {@code [h, w, C]}: Swin and ConvNeXt stages;</li>
 *   <li>{@link Kind#ATTENTION} {@code [heads, T, T]}: attention probabilities. They have no spatial view
 *       ({@link #spatial()} is false); layer methods refuse them up front.</li>
 * </ul>
 *
 * <p>The view is {@code [D, h, w]} ({@code [N, D, h, w]} batched), exactly pytorch-grad-cam's
 * {@code reshape_transform}: {@code tokens[:, P:, :].reshape(N, h, w, D).permute(0, 3, 1, 2)} (the prefix tokens are
 * dropped), and {@code t.permute(0, 3, 1, 2)} for channels-last. {@link #toView} maps raw to view (activations and
 * gradients alike: the view of a raw gradient is the gradient with respect to the view); {@link #fromView} goes
 * back, taking the prefix tokens from a raw tensor (a perturbed or ablated view needs the unperturbed prefix), or
 * zero for a seed or tangent; {@link #prefix} gives the prefix tokens' rows (e.g. their gradient) to methods that
 * want them.
 *
 * <p>Engines' {@link LayerHook}s take and return the raw layout; {@link LayerInfo#shape()} is the view shape and
 * {@link LayerInfo#rawShape()} the raw one. Immutable and thread-safe.
 */
public final class LayerLayout {
  /** The raw layouts. */
  public enum Kind {
    CHANNELS_FIRST("channels-first"), TOKENS("tokens"), CHANNELS_LAST("channels-last"), ATTENTION("attention");

    private final String id;

    Kind(String id) { this.id = id; }

    /** The name used in bundle manifests, engine options and {@code xcam layers}. */
    public String id() { return id; }

    /** The kind named {@code id} ({@code channels-first}, {@code tokens}, {@code channels-last}, {@code attention}). */
    public static Kind of(String id) {
      for (Kind k : values()) if (k.id.equals(id.trim().toLowerCase(Locale.ROOT))) return k;
      throw new InvalidInputException("unknown layer layout '" + id + "'; use channels-first, tokens, channels-last or attention");
    }
  }

  /** Most prefix tokens {@link #infer} considers (class + distillation + up to two register tokens). */
  public static final int MAX_INFERRED_PREFIX = 4;

  private final Kind kind;
  private final int prefix;
  private final int[] raw;
  private final int c;
  private final int h;
  private final int w;

  private LayerLayout(Kind kind, int prefix, int[] raw, int c, int h, int w) {
    this.kind = kind;
    this.prefix = prefix;
    this.raw = raw;
    this.c = c;
    this.h = h;
    this.w = w;
  }

  /** Channels-first, any rank: {@code [C, h, w]} (channels, height and width read from the last three axes as {@link LayerInfo} always did). */
  public static LayerLayout channelsFirst(int... shape) {
    int[] s = shape.clone();
    int c = s.length >= 3 ? s[s.length - 3] : 1, h = s.length >= 2 ? s[s.length - 2] : 1, w = s.length >= 1 ? s[s.length - 1] : 1;
    return new LayerLayout(Kind.CHANNELS_FIRST, 0, s, c, h, w);
  }

  /** Tokens {@code [P + h*w, D]}: {@code prefix} leading tokens, then an {@code h x w} grid in row-major order. */
  public static LayerLayout tokens(int prefix, int h, int w, int d) {
    if (prefix < 0 || h < 1 || w < 1 || d < 1) {
      throw new InvalidInputException("a token layout needs prefix >= 0 and a positive grid and width; got prefix " + prefix
          + ", grid " + h + "x" + w + ", width " + d);
    }
    return new LayerLayout(Kind.TOKENS, prefix, new int[] {prefix + h * w, d}, d, h, w);
  }

  /** Channels-last {@code [h, w, C]}. */
  public static LayerLayout channelsLast(int h, int w, int c) {
    if (h < 1 || w < 1 || c < 1) throw new InvalidInputException("a channels-last layout needs positive sizes; got " + h + "x" + w + "x" + c);
    return new LayerLayout(Kind.CHANNELS_LAST, 0, new int[] {h, w, c}, c, h, w);
  }

  /** Attention probabilities {@code [heads, T, T]} (no spatial view). */
  public static LayerLayout attention(int heads, int tokens) {
    return new LayerLayout(Kind.ATTENTION, 0, new int[] {heads, tokens, tokens}, heads, tokens, tokens);
  }

  /**
   * The layout a spec names for a raw activation shape (without the batch axis). Specs: {@code channels-first},
   * {@code channels-last}, {@code attention}, {@code tokens} (prefix and square grid inferred), {@code tokens:P}
   * (square grid), {@code tokens:P:HxW}. A spec that does not fit the shape fails with a one-line reason.
   */
  public static LayerLayout of(String spec, int[] rawShape) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    String[] parts = s.split(":");
    Kind k = Kind.of(parts[0]);
    String where = "layout '" + spec + "' does not fit activation " + Arrays.toString(rawShape);
    switch (k) {
      case CHANNELS_FIRST -> {
        if (parts.length > 1) throw new InvalidInputException(where + ": channels-first takes no parameters");
        return channelsFirst(rawShape);
      }
      case CHANNELS_LAST -> {
        if (rawShape.length != 3 || parts.length > 1) throw new InvalidInputException(where + ": channels-last is [h, w, C]");
        return channelsLast(rawShape[0], rawShape[1], rawShape[2]);
      }
      case ATTENTION -> {
        if (rawShape.length != 3 || rawShape[1] != rawShape[2] || parts.length > 1) {
          throw new InvalidInputException(where + ": attention is [heads, T, T]");
        }
        return attention(rawShape[0], rawShape[1]);
      }
      default -> {
        if (rawShape.length != 2) throw new InvalidInputException(where + ": tokens are [T, D]");
        int t = rawShape[0], d = rawShape[1];
        if (parts.length == 1) {
          return inferTokens(rawShape).orElseThrow(() -> new InvalidInputException(where + ": no prefix of 0.."
              + MAX_INFERRED_PREFIX + " tokens leaves a square grid; say it: tokens:P or tokens:P:HxW"));
        }
        int p;
        try {
          p = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
          throw new InvalidInputException(where + ": the prefix token count '" + parts[1] + "' is not a number (tokens:P:HxW)");
        }
        int gh, gw;
        if (parts.length >= 3) {
          String[] g = parts[2].split("x");
          try {
            gh = Integer.parseInt(g[0]);
            gw = Integer.parseInt(g[g.length - 1]);
          } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            throw new InvalidInputException(where + ": the grid '" + parts[2] + "' is not HxW (tokens:P:HxW)");
          }
        } else {
          int n = t - p;
          int r = n < 0 ? -1 : (int) Math.round(Math.sqrt(n));
          if (r < 1 || r * r != n) throw new InvalidInputException(where + ": " + t + " - " + p + " tokens is no square grid; give it: tokens:P:HxW");
          gh = r;
          gw = r;
        }
        if (p < 0 || gh < 1 || gw < 1 || p + gh * gw != t) {
          throw new InvalidInputException(where + ": " + p + " prefix + " + gh + "x" + gw + " grid is not " + t + " tokens");
        }
        return tokens(p, gh, gw, d);
      }
    }
  }

  /**
   * Tokens inferred from a raw {@code [T, D]} shape when unambiguous: the one prefix count P in
   * {@code 0..}{@value #MAX_INFERRED_PREFIX} that leaves a square grid of at least 2 x 2 (consecutive squares from 4 on
   * are at least 5 apart, so at most one P fits). Empty for any other shape.
   */
  public static Optional<LayerLayout> inferTokens(int[] rawShape) {
    if (rawShape.length != 2) return Optional.empty();
    int t = rawShape[0];
    for (int p = 0; p <= MAX_INFERRED_PREFIX && p <= t - 4; p++) {
      int r = (int) Math.round(Math.sqrt(t - p));
      if (r >= 2 && r * r == t - p) return Optional.of(tokens(p, r, r, rawShape[1]));
    }
    return Optional.empty();
  }

  public Kind kind() { return kind; }

  /** Prefix tokens (0 unless {@link Kind#TOKENS}). */
  public int prefixTokens() { return prefix; }

  /** Channels of the view ({@code D} for tokens, {@code C} otherwise). */
  public int channels() { return c; }

  /** Height of the view (grid rows). */
  public int height() { return h; }

  /** Width of the view (grid columns). */
  public int width() { return w; }

  /** Grid positions {@code h * w}. */
  public int positions() { return h * w; }

  /** The raw activation shape without the batch axis. */
  public int[] rawShape() { return raw.clone(); }

  /** The view's shape without the batch axis: {@code [D, h, w]} (a channels-first layout's own shape). */
  public int[] viewShape() { return kind == Kind.CHANNELS_FIRST ? raw.clone() : new int[] {c, h, w}; }

  /** Values in one raw row. */
  public int rawSize() {
    int n = 1;
    for (int d : raw) n *= d;
    return n;
  }

  /** Values in one view row. */
  public int viewSize() {
    int n = 1;
    for (int d : viewShape()) n *= d;
    return n;
  }

  /** Whether layer methods can see this layer as a map ({@code false} for attention). */
  public boolean spatial() { return kind != Kind.ATTENTION; }

  /** True when the view is the raw activation itself (channels-first): conversions return their argument. */
  public boolean identity() { return kind == Kind.CHANNELS_FIRST; }

  /** The spec {@link #of} reads back: {@code channels-first}, {@code tokens:1:8x8}, {@code channels-last}, {@code attention}. */
  public String spec() {
    return kind == Kind.TOKENS ? "tokens:" + prefix + ":" + h + "x" + w : kind.id();
  }

  /** One line for people: {@code tokens [65, 64]: 1 prefix + 8x8 grid, view [64, 8, 8]}. */
  public String describe() {
    return switch (kind) {
      case CHANNELS_FIRST -> "channels-first " + Arrays.toString(raw);
      case TOKENS -> "tokens " + Arrays.toString(raw) + ": " + prefix + " prefix + " + h + "x" + w + " grid, view " + Arrays.toString(viewShape());
      case CHANNELS_LAST -> "channels-last " + Arrays.toString(raw) + ", view " + Arrays.toString(viewShape());
      case ATTENTION -> "attention " + Arrays.toString(raw) + " (no spatial view)";
    };
  }

  /**
   * Fails with a one-line {@link InvalidInputException} when a method needs a spatial view and this layer has none
   * (attention); {@code who} is the method, {@code layer} the layer's name.
   */
  public void requireSpatial(String who, String layer) {
    if (!spatial()) {
      throw new InvalidInputException("'" + who + "' needs a spatial map at layer '" + layer + "', but it is " + describe()
          + "; choose a block output (xcam layers) or an attention method");
    }
  }

  /** Raw flat index (within one row) of view element (channel {@code ch}, grid position {@code pos = y*w + x}). */
  public int rawIndex(int ch, int pos) {
    return switch (kind) {
      case CHANNELS_FIRST -> ch * h * w + pos;
      case TOKENS -> (prefix + pos) * c + ch;
      case CHANNELS_LAST -> pos * c + ch;
      case ATTENTION -> throw new IllegalStateException("an attention layer has no spatial view");
    };
  }

  /** One row raw -> view: {@code raw[rawOff ..]} to {@code view[viewOff .. viewOff + viewSize())}. */
  public void toView(float[] rawData, int rawOff, float[] view, int viewOff) {
    if (identity()) {
      System.arraycopy(rawData, rawOff, view, viewOff, rawSize());
      return;
    }
    requireView();
    int hw = h * w, base = rawOff + prefix * c;
    for (int p = 0; p < hw; p++) {
      int r = base + p * c;
      for (int ch = 0; ch < c; ch++) view[viewOff + ch * hw + p] = rawData[r + ch];
    }
  }

  /** One row view -> raw: writes the grid values; the prefix tokens of {@code raw} are left as they are. */
  public void fromView(float[] view, int viewOff, float[] rawData, int rawOff) {
    if (identity()) {
      System.arraycopy(view, viewOff, rawData, rawOff, rawSize());
      return;
    }
    requireView();
    int hw = h * w, base = rawOff + prefix * c;
    for (int p = 0; p < hw; p++) {
      int r = base + p * c;
      for (int ch = 0; ch < c; ch++) rawData[r + ch] = view[viewOff + ch * hw + p];
    }
  }

  /** {@code [N, raw...]} -> {@code [N, D, h, w]} (the same tensor for channels-first). Prefix tokens are dropped. */
  public Tensor toView(Tensor rawTensor) {
    if (identity()) return rawTensor;
    int n = rows(rawTensor, rawSize(), "raw");
    float[] src = rawTensor.toArray(), out = new float[n * viewSize()];
    for (int i = 0; i < n; i++) toView(src, i * rawSize(), out, i * viewSize());
    return Tensor.wrap(out, n, c, h, w);
  }

  /**
   * {@code [N, D, h, w]} -> {@code [N, raw...]}. The prefix tokens come from {@code like} ({@code [M, raw...]} with M
   * dividing N; view row i takes like's row {@code i / (N / M)}, i.e. an image's expanded rows are consecutive), or
   * are zero when {@code like} is null (a seed, a tangent, a gradient). The same tensor for channels-first.
   */
  public Tensor fromView(Tensor view, Tensor like) {
    if (identity()) return view;
    int n = rows(view, viewSize(), "view");
    int rs = rawSize();
    float[] v = view.toArray(), out = new float[n * rs];
    float[] l = like == null || prefix == 0 ? null : like.toArray();
    int m = l == null ? n : rows(like, rs, "raw");
    if (n % m != 0) throw new InvalidInputException("a view of " + n + " rows cannot take its prefix tokens from " + m + " rows");
    int rep = n / m, pre = prefix * c;
    for (int i = 0; i < n; i++) {
      if (l != null) System.arraycopy(l, (i / rep) * rs, out, i * rs, pre);
      fromView(v, i * viewSize(), out, i * rs);
    }
    return Tensor.wrap(out, batched(n, raw));
  }

  /** The prefix tokens {@code [N, P, D]} of a raw tensor (activations or gradients); {@code [N, 0, D]} when there are none. */
  public Tensor prefix(Tensor rawTensor) {
    int n = rows(rawTensor, rawSize(), "raw");
    int pre = kind == Kind.TOKENS ? prefix * c : 0;
    float[] src = rawTensor.toArray(), out = new float[n * pre];
    for (int i = 0; i < n; i++) System.arraycopy(src, i * rawSize(), out, i * pre, pre);
    return Tensor.wrap(out, n, kind == Kind.TOKENS ? prefix : 0, c);
  }

  /**
   * Sets view channel {@code ch} to {@code value} in one raw row at every grid position and, when
   * {@code prefixToo}, in every prefix token as well (pytorch-grad-cam's {@code AblationLayerVit} overwrites the
   * channel in every token, the class token included).
   */
  public void setChannel(float[] rawData, int rawOff, int ch, float value, boolean prefixToo) {
    requireView();
    int hw = h * w;
    for (int p = 0; p < hw; p++) rawData[rawOff + rawIndex(ch, p)] = value;
    if (prefixToo && kind == Kind.TOKENS) for (int t = 0; t < prefix; t++) rawData[rawOff + t * c + ch] = value;
  }

  private void requireView() {
    if (!spatial()) throw new InvalidInputException("an attention layer " + Arrays.toString(raw) + " has no spatial view");
  }

  private static int rows(Tensor t, int rowSize, String what) {
    int n = t.rank() == 0 ? 0 : t.dim(0);
    if (rowSize == 0 || (long) n * rowSize != t.size()) {
      throw new InvalidInputException("a " + what + " tensor " + Arrays.toString(t.shape()) + " does not hold rows of " + rowSize + " values");
    }
    return n;
  }

  private static int[] batched(int n, int[] s) {
    int[] out = new int[s.length + 1];
    out[0] = n;
    System.arraycopy(s, 0, out, 1, s.length);
    return out;
  }

  @Override public boolean equals(Object o) {
    return o instanceof LayerLayout l && l.kind == kind && l.prefix == prefix && Arrays.equals(l.raw, raw)
        && l.c == c && l.h == h && l.w == w;
  }

  @Override public int hashCode() { return 31 * kind.hashCode() + Arrays.hashCode(raw) + prefix; }

  @Override public String toString() { return spec() + " " + Arrays.toString(raw); }
}
