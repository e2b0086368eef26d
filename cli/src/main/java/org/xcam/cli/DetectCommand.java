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
import org.xcam.api.InvalidInputException;
import org.xcam.api.Model;
import org.xcam.api.Tensor;
import org.xcam.api.bundle.Json;
import org.xcam.plugins.anatomy.AdpdDecoder;
import org.xcam.plugins.anatomy.AdpdResult;
import org.xcam.plugins.anatomy.AnatomySpec;
import org.xcam.runtime.Images;
import org.xcam.runtime.LoadedImage;
import org.xcam.runtime.Overlay;
import org.xcam.runtime.Xcam;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code xcam detect}: anatomy-driven pathology detection with an ADPD bundle (task {@code anatomy-detection}).
 * Writes {@code DIR/<stem>.boxes.json} (regions with presence, pathology boxes with scores, image-level MIL
 * probabilities; pixel coordinates of the original image, x1/y1 exclusive) and {@code DIR/<stem>.detect.png} (the
 * image with region boxes in cyan and pathology boxes in red). Owner: plugins-anatomy.
 */
@Command(name = "detect", mixinStandardHelpOptions = true,
    description = {"Anatomy-driven pathology detection: boxes JSON and overlay.",
        "Needs a bundle with task anatomy-detection (e.g. the phantom fixtures in plugins-anatomy).",
        "Writes DIR/<stem>.boxes.json and DIR/<stem>.detect.png (regions cyan, pathologies red)."})
public final class DetectCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Option(names = "--out", required = true, description = "Output directory (created if missing).")
  Path out;

  @Option(names = "--threshold", defaultValue = "0.5",
      description = "A region is a pathology box when its class probability is above this. Default: ${DEFAULT-VALUE}.")
  double threshold;

  @Option(names = "--presence-threshold", defaultValue = "0.5",
      description = "Regions with a presence probability below this are ignored. Default: ${DEFAULT-VALUE}.")
  double presenceThreshold;

  @Option(names = "--no-wbf", description = "Do not merge each class's boxes by weighted box fusion (IoU 0.03, conf max).")
  boolean noWbf;

  @Option(names = "--wbf-iou", defaultValue = "0.03", description = "IoU threshold of the fusion. Default: ${DEFAULT-VALUE}.")
  double wbfIou;

  @Option(names = "--top1", description = "Keep only the best box per pathology.")
  boolean top1;

  @Option(names = "--lse-r", defaultValue = "5.0",
      description = "LSE pooling sharpness for image-level probabilities (r -> inf: max, r -> 0: mean). Default: ${DEFAULT-VALUE}.")
  double lseR;

  @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "PNG/JPEG or .npy images.")
  List<Path> images;

  @Override public Integer call() {
    ExplainJob.checkWritable(out);
    AdpdDecoder.Config config = new AdpdDecoder.Config(threshold, presenceThreshold, !noWbf, wbfIou, top1, lseR);
    Xcam xcam = Xcam.create();
    try (Model m = model.load(xcam)) {
      AnatomySpec spec = AnatomySpec.of(m.info());
      AdpdDecoder decoder = new AdpdDecoder(spec, config);
      List<LoadedImage> loaded = new ArrayList<>();
      for (Path p : images) loaded.addAll(Images.load(p, m.info().input()));
      List<Tensor> xs = new ArrayList<>();
      for (LoadedImage li : loaded) xs.add(li.tensor());
      Tensor outputs = m.forward(Tensor.stack(xs));
      int k = outputs.dim(1);
      for (int i = 0; i < loaded.size(); i++) {
        LoadedImage li = loaded.get(i);
        float[] row = new float[k];
        outputs.copyTo(i * k, row, 0, k);
        AdpdResult r = decoder.decode(row, li.originalWidth(), li.originalHeight());
        write(li, r, m, config);
        System.out.printf(Locale.ROOT, "%s  %d region(s), %d pathology box(es)%s -> %s%n", li.stem(), r.regions().size(),
            r.detections().size(), summary(r), out.resolve(li.stem() + ".boxes.json"));
      }
    }
    return 0;
  }

  private static String summary(AdpdResult r) {
    if (r.detections().isEmpty()) return "";
    StringBuilder b = new StringBuilder(":");
    for (Box d : r.detections()) b.append(String.format(Locale.ROOT, " %s %.2f", d.label(), d.score()));
    return b.toString();
  }

  private void write(LoadedImage li, AdpdResult r, Model m, AdpdDecoder.Config c) {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("image", li.stem());
    j.put("width", li.originalWidth());
    j.put("height", li.originalHeight());
    j.put("model", m.info().name());
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
    for (Box b : r.detections()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("label", b.label());
      o.put("score", b.score());
      o.put("box", List.of(b.x0(), b.y0(), b.x1(), b.y1()));
      dets.add(o);
    }
    j.put("detections", dets);
    j.put("imageProbabilities", new LinkedHashMap<>(r.imageProbabilities()));
    Map<String, Object> cfg = new LinkedHashMap<>();
    cfg.put("threshold", c.threshold());
    cfg.put("presenceThreshold", c.presenceThreshold());
    cfg.put("wbf", c.wbf());
    cfg.put("wbfIou", c.wbfIou());
    cfg.put("wbfConfType", "max");
    cfg.put("top1", c.top1());
    cfg.put("lseR", c.lseR());
    j.put("config", cfg);
    try {
      Files.writeString(out.resolve(li.stem() + ".boxes.json"), Json.write(j));
    } catch (IOException e) {
      throw new InvalidInputException("cannot write " + out.resolve(li.stem() + ".boxes.json") + ": " + e.getMessage(), e);
    }
    BufferedImage img = new BufferedImage(li.display().getWidth(), li.display().getHeight(), BufferedImage.TYPE_INT_RGB);
    img.getGraphics().drawImage(li.display(), 0, 0, null);
    double sx = img.getWidth() / (double) li.originalWidth(), sy = img.getHeight() / (double) li.originalHeight();
    List<Box> unlabeled = r.regions().stream().map(b -> new Box(b.x0(), b.y0(), b.x1(), b.y1(), "", 1)).toList();
    Overlay.boxes(img, unlabeled, new Color(0, 200, 220), sx, sy);
    Overlay.boxes(img, r.detections(), new Color(235, 40, 40), sx, sy);
    Overlay.writePng(img, out.resolve(li.stem() + ".detect.png"));
  }
}
