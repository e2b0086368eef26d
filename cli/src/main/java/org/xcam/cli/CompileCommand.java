package org.xcam.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.xcam.api.InvalidInputException;
import org.xcam.api.compile.CompileRequest;
import org.xcam.api.compile.CompileResult;
import org.xcam.api.spi.CompilerProvider;
import org.xcam.cli.options.KeyValues;
import org.xcam.runtime.Xcam;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code xcam compile}: writes one model that returns its outputs and, per method, the heatmap, through whichever
 * {@link CompilerProvider} on the class path can read the model (found by discovery; the CLI imports no engine class).
 */
@Command(name = "compile", mixinStandardHelpOptions = true,
    description = {"Compile explanations into the model: one ONNX graph returns the original outputs and, per method,",
        "xcam_<method> [N, H, W] ([N, K, H, W] for --target all), min-max normalised as xcam explain's .npy maps.",
        "Runs anywhere ONNX Runtime runs (C++, C#, Node.js, the browser) with nothing of xcam installed."})
public final class CompileCommand implements Callable<Integer> {
  @Option(names = {"-m", "--model"}, required = true, description = "A bundle directory with model.onnx, or an .onnx file.")
  Path model;

  @Option(names = "--method", required = true, split = ",", description = "Method name(s), comma-separated: gradcam, gradcam-plusplus, "
      + "hirescam, xgradcam, layercam, gradcam-elementwise, gg-cam, saliency, gradient-x-input, recipro-cam.")
  List<String> methods;

  @Option(names = "--layer", description = "Layer every method explains at. Default: the model's default layer (input for saliency and gradient-x-input).")
  String layer;

  @Option(names = "--target", defaultValue = "predicted",
      description = "predicted (ArgMax inside the graph), a class index K, or all (one map per output). Default: ${DEFAULT-VALUE}.")
  String target;

  @Option(names = "--size", defaultValue = "input",
      description = "input (maps resized to the input's H x W, half-pixel bilinear) or layer (the layer's resolution). Default: ${DEFAULT-VALUE}.")
  String size;

  @Option(names = "--option", description = "Method option name=value (repeatable): smoothing=false (gg-cam), map=absolute (gradient-x-input), "
      + "kernel=gaussian and score=softmax (recipro-cam).")
  List<String> options = new ArrayList<>();

  @Option(names = "--compiler", description = "Compiler to use (default: the first that can read the model; xcam list shows them).")
  String compiler;

  @Option(names = "--out", required = true, description = "The file to write, e.g. model.xcam.onnx (written atomically).")
  Path out;

  @Override public Integer call() {
    Xcam xcam = Xcam.create();
    if (!java.nio.file.Files.exists(model)) {
      throw new org.xcam.api.ModelLoadException("model path " + model + " does not exist; give a bundle directory with model.onnx or an .onnx file");
    }
    CompilerProvider c = xcam.compiler(compiler, model);
    for (String m : methods) {
      String why = c.refusal(m.trim());
      if (why != null) throw new org.xcam.api.UnsupportedCapabilityException(why);
    }
    if (methods.stream().map(String::trim).distinct().count() != methods.size()) {
      throw new InvalidInputException("--method names a method twice; name each once");
    }
    Map<String, String> opts = new LinkedHashMap<>(KeyValues.pairs(options, "--option"));
    CompileResult r = c.compile(CompileRequest.builder(model, out).methods(methods.stream().map(String::trim).toList()).layer(layer)
        .target(target).size(CompileRequest.MapSize.parse(size)).options(opts).build());
    System.out.printf("wrote %s (compiler %s, opset %d, target %s)%n", r.file(), c.name(), r.opset(), r.metadata().get("xcam.target.rule"));
    for (Map.Entry<String, String> e : r.outputs().entrySet()) {
      System.out.printf("  output %-28s %s at layer %s%n", e.getKey(), e.getValue(), r.layers().get(e.getValue()));
    }
    for (String n : r.notes()) System.out.println("  note: " + n);
    return 0;
  }
}
