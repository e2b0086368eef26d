package org.xcam.cli;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.xcam.api.Box;
import org.xcam.api.DetectRequest;
import org.xcam.api.Detection;
import org.xcam.api.Detections;
import org.xcam.api.Detector;
import org.xcam.api.Explainer;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Model;
import org.xcam.api.Options;
import org.xcam.api.Tensor;
import org.xcam.api.bundle.Json;
import org.xcam.api.spi.DetectorProvider;
import org.xcam.cli.options.KeyValues;
import org.xcam.runtime.Images;
import org.xcam.runtime.LoadedImage;
import org.xcam.runtime.Overlay;
import org.xcam.runtime.Xcam;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code xcam detect}: runs an installed detector ({@link DetectorProvider}, found on the class path; {@code xcam list}
 * shows them under "Detectors") on images. Writes {@code DIR/<stem>.boxes.json} (regions with presence, boxes with
 * label, score and provenance, image-level probabilities; pixel coordinates of the original image, x1/y1 exclusive)
 * and {@code DIR/<stem>.detect.png} (the image with region boxes in cyan and boxes in red). The CLI knows no detector
 * class: everything goes through the SPI.
 *
 * <p>Outputs are whole or absent, as {@code xcam explain}'s ({@link OutputDir}): the directory is locked (a second run
 * into it refuses in one line), every output path is checked before the detector runs, files are written into a
 * staging directory and moved into place only when every image succeeded, and SIGINT/SIGTERM removes what was staged.
 * Images with one stem from different folders get {@code -2}, {@code -3}, ... as in explain.
 */
@Command(name = "detect", mixinStandardHelpOptions = true,
    description = {"Detect pathologies with an installed detector: boxes JSON and overlay.",
        "Default detector: adpd (anatomy-driven detection; needs a bundle with task anatomy-detection), or cam-boxes when",
        "--method is given (boxes cut from the method's heatmaps of a classifier). See: xcam list --options.",
        "Writes DIR/<stem>.boxes.json and DIR/<stem>.detect.png (regions cyan, boxes red)."})
public final class DetectCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Option(names = "--out", required = true, description = "Output directory (created if missing).")
  Path out;

  @Option(names = "--detector", description = "Detector name (see: xcam list). Default: adpd, or cam-boxes with --method.")
  String detector;

  @Option(names = "--option", description = "Detector option name=value (repeatable), e.g. --option threshold=0.4 --option top1=true.")
  List<String> options = new ArrayList<>();

  @Option(names = "--method", description = "For detectors that cut boxes from heatmaps: the method (e.g. gradcam).")
  String method;

  @Option(names = "--method-option", description = "Option of --method, name=value (repeatable).")
  List<String> methodOptions = new ArrayList<>();

  @Option(names = "--layer", description = "Layer --method explains at (repeatable). Default: the model's default layer.")
  List<String> layers = new ArrayList<>();

  @Option(names = "--classes", split = ",", description = "Only these classes (comma-separated). Default: every class.")
  List<String> classes = new ArrayList<>();

  @Option(names = "--window", description = "DICOM images: the VOI window, C,W or minmax or full (see xcam explain --help).")
  String window;

  @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "PNG/JPEG, DICOM or .npy images.")
  List<Path> images;

  @Override public Integer call() throws IOException {
    OutputDir.validate(out, "--out");
    Xcam xcam = Xcam.create();
    String name = detector != null ? detector : method != null ? "cam-boxes" : "adpd";
    DetectorProvider provider = xcam.detectorProvider(name);   // unknown names fail before the model loads
    Map<String, String> given = KeyValues.pairs(options, "--option");
    Map<String, String> used = Options.of("detector " + name, provider.options(), given).asMap();
    Detector d = xcam.detector(name, given);
    Explainer explainer = method == null ? null : xcam.explainer(method, KeyValues.pairs(methodOptions, "--method-option"));
    try (OutputDir dir = OutputDir.open(out, "--out"); Model m = model.load(xcam)) {
      List<LoadedImage> loaded = new ArrayList<>();
      for (Path p : images) loaded.addAll(Images.load(p, m.info().input(), ExplainCommand.readerOptions(window)));
      loaded = ExplainCommand.uniqueStems(loaded);
      List<String> names = new ArrayList<>();
      for (LoadedImage li : loaded) names.addAll(List.of(li.stem() + ".boxes.json", li.stem() + ".detect.png"));
      dir.checkTargets(names, null);
      List<Tensor> xs = new ArrayList<>();
      List<DetectRequest.Frame> frames = new ArrayList<>();
      for (LoadedImage li : loaded) {
        xs.add(li.tensor());
        frames.add(new DetectRequest.Frame(li.originalWidth(), li.originalHeight()));
      }
      DetectRequest request = DetectRequest.builder(Tensor.stack(xs)).frames(frames).explainer(explainer)
          .classes(classes).layers(layers).build();
      List<Detections> found = d.detect(m, request);
      for (int i = 0; i < loaded.size(); i++) {
        LoadedImage li = loaded.get(i);
        Detections r = found.get(i);
        dir.write(() -> write(dir.staging(), li, r, m, name, used));
      }
      dir.commit();
      for (int i = 0; i < loaded.size(); i++) {
        LoadedImage li = loaded.get(i);
        Detections r = found.get(i);
        System.out.printf(Locale.ROOT, "%s  %d region(s), %d box(es)%s -> %s%n", li.stem(), r.regions().size(),
            r.detections().size(), summary(r), out.resolve(li.stem() + ".boxes.json"));
      }
    }
    return 0;
  }

  private static String summary(Detections r) {
    if (r.detections().isEmpty()) return "";
    StringBuilder b = new StringBuilder(":");
    for (Detection d : r.detections()) b.append(String.format(Locale.ROOT, " %s %.2f", d.label(), d.score()));
    return b.toString();
  }

  /** Writes one image's boxes JSON and overlay into {@code to} (the staging directory). */
  private void write(Path to, LoadedImage li, Detections r, Model m, String name, Map<String, String> used) {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("image", li.stem());
    j.put("width", li.originalWidth());
    j.put("height", li.originalHeight());
    j.put("model", m.info().name());
    j.put("detector", name);
    j.put("options", used);
    if (method != null) j.put("method", method);
    j.put("coordinates", "pixels of the original image, [x0, y0, x1, y1], x1/y1 exclusive");
    List<Object> regions = new ArrayList<>();
    for (Box b : r.regions()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("name", b.label());
      o.put("presence", b.score());
      o.put("box", List.of(b.x0(), b.y0(), b.x1(), b.y1()));
      regions.add(o);
    }
    j.put("regions", regions);
    List<Object> dets = new ArrayList<>();
    for (Detection d : r.detections()) {
      Box b = d.box();
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("label", b.label());
      o.put("score", b.score());
      o.put("box", List.of(b.x0(), b.y0(), b.x1(), b.y1()));
      o.put("source", d.source().name().toLowerCase(Locale.ROOT));
      o.put("from", d.from());
      dets.add(o);
    }
    j.put("detections", dets);
    j.put("imageProbabilities", new LinkedHashMap<>(r.imageScores()));
    if (!r.notes().isEmpty()) j.put("notes", r.notes());
    try {
      Files.writeString(to.resolve(li.stem() + ".boxes.json"), Json.write(j));
    } catch (IOException e) {
      throw new InvalidInputException("cannot write " + out.resolve(li.stem() + ".boxes.json") + ": " + e.getMessage(), e);
    }
    BufferedImage img = new BufferedImage(li.display().getWidth(), li.display().getHeight(), BufferedImage.TYPE_INT_RGB);
    img.getGraphics().drawImage(li.display(), 0, 0, null);
    double sx = img.getWidth() / (double) li.originalWidth(), sy = img.getHeight() / (double) li.originalHeight();
    List<Box> unlabeled = r.regions().stream().map(b -> new Box(b.x0(), b.y0(), b.x1(), b.y1(), "", 1)).toList();
    Overlay.boxes(img, unlabeled, new Color(0, 200, 220), sx, sy);
    Overlay.boxes(img, r.boxes(), new Color(235, 40, 40), sx, sy);
    Overlay.writePng(img, to.resolve(li.stem() + ".detect.png"));
  }
}
