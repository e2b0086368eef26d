package org.xcam.cli.options;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xcam.api.OptionSpec;
import org.xcam.runtime.Xcam;
import picocli.CommandLine.Option;

/**
 * The options {@code xcam explain} and {@code xcam spark explain} share word for word (a picocli mixin): the methods,
 * their layers and options, and the batch size. Those whose help differs between the two ({@code --target},
 * {@code --seed}, {@code --regions}, {@code --window}, {@code --out}, the model) stay in each command.
 */
public final class ExplainOptions {
  @Option(names = "--method", required = true, split = ",", description = "Method name(s), comma-separated (see: xcam list).")
  public List<String> methods;

  @Option(names = "--layer", description = "Layer to explain at (repeat for several: maps are averaged). Default: the model's default layer.")
  public List<String> layers = new ArrayList<>();

  @Option(names = "--option", description = "Method option name=value (repeatable), e.g. --option batch-size=16.")
  public List<String> options = new ArrayList<>();

  @Option(names = "--batch", defaultValue = "16", description = "Images per batch. Default: ${DEFAULT-VALUE}.")
  public int batch;

  /** The {@code --option} pairs. */
  public Map<String, String> optionPairs() { return KeyValues.pairs(options, "--option"); }

  /**
   * The options each method gets, in the order of {@code names}: those among {@code opts} that the method declares;
   * a single method gets them all (so that its own check names a misspelt option).
   */
  public static Map<String, Map<String, String>> perMethod(Xcam xcam, List<String> names, Map<String, String> opts) {
    Map<String, Map<String, String>> out = new LinkedHashMap<>();
    for (String name : names) {
      Map<String, String> own = new LinkedHashMap<>();
      List<String> known = xcam.explainerProvider(name).options().stream().map(OptionSpec::name).toList();
      for (var e : opts.entrySet()) if (known.contains(e.getKey()) || names.size() == 1) own.put(e.getKey(), e.getValue());
      out.put(name, own);
    }
    return out;
  }
}
