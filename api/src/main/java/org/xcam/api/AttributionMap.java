package org.xcam.api;

import java.util.Locale;

/**
 * How a signed attribution (a per-pixel or per-cell sum over channels, as Captum returns it) becomes the raw map:
 * the option {@code map} that attribution methods share ({@code --option map=signed}).
 *
 * <ul>
 *   <li>{@code positive} (default): ReLU of the sum, positive evidence only;</li>
 *   <li>{@code absolute}: its absolute value;</li>
 *   <li>{@code signed}: the sum with its sign kept, as Captum's attributions are; the raw map ({@code .raw.npy})
 *       holds negative evidence as negative values (the normalised map is still min-max scaled to [0,1]).</li>
 * </ul>
 *
 * <pre>{@code
 * List<OptionSpec> options = List.of(AttributionMap.option());
 * AttributionMap mode = AttributionMap.of(options);      // from the method's Options
 * double[] raw = mode.apply(channelSum);                  // a new array
 * }</pre>
 */
public enum AttributionMap {
  POSITIVE, ABSOLUTE, SIGNED;

  /** The option's name. */
  public static final String OPTION = "map";

  /** The shared option, default {@code positive}. */
  public static OptionSpec option() {
    return new OptionSpec(OPTION, "positive",
        "positive: ReLU of the channel sum; absolute: its absolute value; signed: the sum with its sign (as Captum)");
  }

  /** The mode the options name (checked: positive, absolute or signed). */
  public static AttributionMap of(Options options) {
    return valueOf(options.getChoice(OPTION, "positive", "signed", "absolute").toUpperCase(Locale.ROOT));
  }

  /** This mode applied to one value. */
  public double apply(double v) {
    return switch (this) {
      case POSITIVE -> v > 0 ? v : 0;
      case ABSOLUTE -> Math.abs(v);
      case SIGNED -> v;
    };
  }

  /** This mode applied to every value (a new array). */
  public double[] apply(double[] v) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) out[i] = apply(v[i]);
    return out;
  }

  /** The option value ({@code positive}, {@code absolute}, {@code signed}). */
  public String id() { return name().toLowerCase(Locale.ROOT); }
}
