package org.xcam.cli.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.InputSpec;
import org.xcam.api.LayerHook;
import org.xcam.api.LayerInfo;
import org.xcam.api.Model;
import org.xcam.api.Objectives;
import org.xcam.api.Options;
import org.xcam.api.Target;
import org.xcam.api.Tensor;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.runtime.Xcam;
import org.xcam.tck.fixtures.Reference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code xcam bench gradient}: per gradient method, the time per image divided by the minimum a gradient CAM needs on
 * the same engine, model, layer and batch: one head forward, one tail forward and one VJP from the output to the layer
 * ({@code hook.activation} then one fused {@code hook.tailWithGradient}, nothing into the head or the parameters).
 * Input-level methods are divided by the same minimum at the layer {@code input} (one forward + one VJP to the input);
 * {@code gradient-rollout} too, and the target-free {@code attention-rollout} by one bare forward pass.
 *
 * <p>Models: every {@code --model} (a bundle, or a plain {@code .onnx} file with {@code --engine onnx}; engine options
 * such as {@code outputs=probabilities} with {@code --engine-option}); without one, the pytorch-grad-cam reference bundle (phantom-small) plus every
 * bundle directory found under {@code --models-dir} (default {@code tools/.work} and {@code bench-models};
 * {@code python3 tools/gen_torchvision.py --bundles} writes a torchvision resnet18 bundle to the first). The minimum and the method are timed alternately ({@code --repeats} pairs
 * after {@code --warmup} pairs) so that load on a shared machine hits both alike; the ratio reported is min/min
 * (the least disturbed run of each), with the median of the per-pair ratios beside it.
 */
@Command(name = "gradient", mixinStandardHelpOptions = true,
    description = "Benchmark gradient CAMs: time per image / (head + tail + one VJP) on the same engine")
public final class GradientBench implements Callable<Integer> {
  private static final List<String> DEFAULT_METHODS = List.of("gradcam", "gradcam-plusplus", "hirescam", "xgradcam",
      "layercam", "gradcam-elementwise", "eigencam", "eigengradcam", "gg-cam", "hessian-ciam", "shapleycam",
      "shapleycam:hvp=finite-difference", "kpca-cam", "fem", "finer-cam", "random-cam", "smooth-gradcam-plusplus",
      "saliency", "gradient-x-input", "integrated-gradients", "smoothgrad", "guided-backprop", "deeplift",
      "guided-gradcam", "gradient-shap", "fullgrad", "attention-rollout", "gradient-rollout");

  @Option(names = {"-m", "--model"}, description = "Bundle directories (repeatable). Default: the reference bundle and --models-dir.")
  List<Path> models = new ArrayList<>();

  @Option(names = "--models-dir", split = ",", defaultValue = "tools/.work,bench-models",
      description = "Directories searched for more bundles (default: ${DEFAULT-VALUE}; tools/gen_torchvision.py --bundles writes there).")
  List<Path> modelsDirs;

  @Option(names = "--engine", defaultValue = "djl", description = "Engine (default: ${DEFAULT-VALUE}).")
  String engine;

  @Option(names = "--engine-option", description = "Engine option name=value (repeatable), e.g. device=cpu, outputs=probabilities.")
  Map<String, String> engineOptions = new LinkedHashMap<>();

  @Option(names = "--methods", split = ",", description = "Methods to time, each NAME or NAME:key=value[&key=value] "
      + "(default: the whole gradient family; methods the engine cannot run are listed as skipped).")
  List<String> methods = new ArrayList<>(DEFAULT_METHODS);

  @Option(names = "--layer", description = "Layer (default: the model's default layer).")
  String layer;

  @Option(names = "--batch", defaultValue = "1", description = "Images per call (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--repeats", defaultValue = "20", description = "Timed calls per measurement (default: ${DEFAULT-VALUE}).")
  int repeats;

  @Option(names = "--warmup", defaultValue = "3", description = "Untimed calls first (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--out", description = "Also write the table as CSV to this file.")
  Path out;

  @Override public Integer call() {
    Xcam xcam = Xcam.create();
    List<Path> targets = BenchModels.targets(models, modelsDirs, false);
    StringBuilder csv = new StringBuilder("model,engine,layer,batch,method,method_ms_per_image,minimum_ms_per_image,ratio_of_minima,median_paired_ratio\n");
    for (Path bundle : targets) {
      try (Model model = xcam.load(bundle, engine, engineOptions)) {
        benchModel(xcam, model, csv);
      }
    }
    if (out != null) {
      try {
        Files.writeString(out, csv.toString());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return 0;
  }

  private void benchModel(Xcam xcam, Model model, StringBuilder csv) {
    String l = layer != null ? layer : model.info().defaultLayer();
    Tensor x = input(model);
    // a model without a cut (ONNX bundle without an "onnx" map) still times its input-level and attention methods
    Runnable atLayer = l == null ? null : baseline(model, l, x), atInput = baseline(model, LayerInfo.INPUT, x);
    System.out.printf(Locale.ROOT, "%nmodel %s (%s, %.1f MB on disk), engine %s, layer %s, batch %d, input %s, %d paired repeats%n",
        model.info().name(), model.info().source(), megabytes(Path.of(model.info().source())), model.info().engine(), l, batch,
        Arrays.toString(x.shape()), repeats);
    System.out.printf(Locale.ROOT, "| %-34s | %-11s | %14s | %14s | %9s | %12s |%n", "method", "layer", "method ms/img",
        "minimum ms/img", "ratio", "median ratio");
    System.out.printf(Locale.ROOT, "|%s|%s|%s|%s|%s|%s|%n", "-".repeat(36), "-".repeat(13), "-".repeat(16), "-".repeat(16),
        "-".repeat(11), "-".repeat(14));
    for (String spec : methods) {
      String m = spec.contains(":") ? spec.substring(0, spec.indexOf(':')) : spec;
      Map<String, String> opts = new LinkedHashMap<>();
      if (spec.contains(":")) {
        for (String kv : spec.substring(spec.indexOf(':') + 1).split("&")) {
          int eq = kv.indexOf('=');
          if (eq > 0) opts.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
      }
      ExplainerProvider p = xcam.explainerProvider(m);
      if (!model.capabilities().containsAll(p.requires())) {
        java.util.EnumSet<org.xcam.api.Capability> missing = java.util.EnumSet.copyOf(p.requires());
        missing.removeAll(model.capabilities());
        System.out.printf(Locale.ROOT, "| %-34s | skipped: engine %s lacks %s |%n", spec, model.info().engine(), missing);
        continue;
      }
      if (p.layerBased() && atLayer == null) {
        System.out.printf(Locale.ROOT, "| %-34s | skipped: model %s has no layer on engine %s |%n", spec, model.info().name(), model.info().engine());
        continue;
      }
      Explainer e = p.create(Options.of(m, p.options(), opts));
      String at = p.layerBased() ? l : LayerInfo.INPUT;
      // a method with a layer and an input pass (guided Grad-CAM) is measured against both minima
      boolean both = p.layerBased() && p.requires().contains(org.xcam.api.Capability.MODIFIED_BACKWARD);
      if (both) at = l + "+input";
      ExplainRequest r = ExplainRequest.builder(x).target(Target.predicted()).layer(p.layerBased() ? l : LayerInfo.INPUT).seed(1).build();
      Runnable base = both ? () -> { atLayer.run(); atInput.run(); } : p.layerBased() ? atLayer : atInput;
      if (p.requires().contains(org.xcam.api.Capability.ATTENTION) && !p.requires().contains(org.xcam.api.Capability.ATTENTION_GRADIENT)) {
        at = "forward";   // target-free attention rollout: against one bare forward pass
        base = () -> model.forward(x);
      }
      double[][] t = paired(base, () -> e.explain(model, r));
      double ratio = t[1][0] / t[0][0];
      double[] pr = new double[repeats];
      for (int i = 0; i < repeats; i++) pr[i] = t[3][i] / t[2][i];
      Arrays.sort(pr);
      double med = pr[repeats / 2];
      System.out.printf(Locale.ROOT, "| %-34s | %-11s | %14.3f | %14.3f | %9.3f | %12.3f |%n", spec, at, t[1][0] / batch,
          t[0][0] / batch, ratio, med);
      csv.append(String.format(Locale.ROOT, "%s,%s,%s,%d,%s,%.4f,%.4f,%.4f,%.4f%n", model.info().name(), model.info().engine(),
          at, batch, spec.replace(',', ';'), t[1][0] / batch, t[0][0] / batch, ratio, med));
    }
  }

  /**
   * Times the baseline and the method alternately, {@code repeats} pairs after {@code warmup} pairs, so load on a
   * shared machine hits both alike. Returns {min baseline}, {min method}, then the per-pair baseline and method times.
   */
  private double[][] paired(Runnable base, Runnable method) {
    for (int i = 0; i < warmup; i++) { base.run(); method.run(); }
    double[] tb = new double[repeats], tm = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      tb[i] = time(base);
      tm[i] = time(method);
    }
    return new double[][] {{Arrays.stream(tb).min().orElseThrow()}, {Arrays.stream(tm).min().orElseThrow()}, tb, tm};
  }

  /** Size of a bundle directory or model file, for the report. */
  static double megabytes(Path p) {
    try (var s = Files.walk(p)) {
      return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum() / 1e6;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  private static double time(Runnable r) {
    long t0 = System.nanoTime();
    r.run();
    return (System.nanoTime() - t0) / 1e6;
  }

  /** The minimum: head + one fused tail+VJP of the top logit. */
  private static Runnable baseline(Model model, String l, Tensor x) {
    LayerHook hook = model.layer(l);
    return () -> {
      Tensor a = hook.activation(x);
      hook.tailWithGradient(a, y -> Objectives.gradients(top(y), y));
    };
  }

  private static List<org.xcam.api.Objective> top(Tensor y) {
    List<org.xcam.api.Objective> out = new ArrayList<>();
    int k = y.dim(1);
    float[] row = new float[k];
    for (int i = 0; i < y.dim(0); i++) {
      y.copyTo(i * k, row, 0, k);
      out.add(Objectives.logit(Objectives.argmax(row), ""));
    }
    return out;
  }

  private Tensor input(Model model) {
    InputSpec s = model.info().input();
    if (model.info().name().equals("phantom-small") && s.channels() == 1 && s.height() == 64) {
      List<Tensor> xs = new ArrayList<>();
      for (int i = 0; i < batch; i++) xs.add(Reference.input(i % 6));
      return Tensor.stack(xs);
    }
    Random rnd = new Random(7);
    float[] v = new float[batch * s.channels() * s.height() * s.width()];
    for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
    return Tensor.wrap(v, s.batchShape(batch));
  }


}
