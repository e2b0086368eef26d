package org.xcam.plugins.iba;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.xcam.api.InvalidInputException;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;

/** The options every IBA variant shares, and how they become a {@link Bottleneck.Config} and a {@link StatsSource}. */
final class IbaOptions {
  private IbaOptions() { }

  static List<OptionSpec> common(double beta) {
    List<OptionSpec> l = new ArrayList<>();
    l.add(new OptionSpec("beta", fmt(beta), "weight of the capacity term (information loss)"));
    l.add(new OptionSpec("steps", "10", "optimisation steps (each: one batched tail + one batched VJP)"));
    l.add(new OptionSpec("lr", "1", "Adam learning rate"));
    l.add(new OptionSpec("samples", "10", "noise samples per step"));
    l.add(new OptionSpec("alpha-init", "5", "initial alpha (lambda = sigmoid(alpha))"));
    l.add(new OptionSpec("smooth-sigma", "1", "std of the spatial Gaussian blur of lambda (0 = none)"));
    l.add(new OptionSpec("kernel", "5", "size of the blur kernel (odd)"));
    l.add(new OptionSpec("min-std", "0.01", "floor of the activation std"));
    l.add(new OptionSpec("stats", "", "directory with <layer>.mean.npy/.std.npy/.json (default: xcam-stats beside the model)"));
    l.add(new OptionSpec("images-per-call", "8", "images whose noise samples share one tail+VJP call"));
    return l;
  }

  static Bottleneck.Config config(Options o, boolean inverse) {
    int kernel = o.getInt("kernel");
    if (kernel < 1 || kernel % 2 == 0) throw new InvalidInputException("option kernel must be an odd number >= 1, got " + kernel);
    double minStd = o.getDouble("min-std");
    if (minStd <= 0) throw new InvalidInputException("option min-std must be > 0, got " + minStd);
    if (o.getInt("steps") < 1 || o.getInt("samples") < 1) throw new InvalidInputException("options steps and samples must be >= 1");
    return new Bottleneck.Config(o.getDouble("beta"), o.getInt("steps"), o.getDouble("lr"), o.getInt("samples"),
        o.getDouble("alpha-init"), o.getDouble("smooth-sigma"), kernel, (float) minStd, inverse);
  }

  static StatsSource stats(Options o) {
    String s = o.has("stats") ? o.getString("stats").trim() : "";
    return StatsSource.directory(s.isEmpty() ? null : Path.of(s));
  }

  private static String fmt(double d) { return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d); }
}
