package org.xcam.plugins.anatomy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xcam.api.DetectRequest;
import org.xcam.api.Detection;
import org.xcam.api.Detections;
import org.xcam.api.Detector;
import org.xcam.api.Model;
import org.xcam.api.Tensor;

/**
 * {@link AdpdDecoder} behind the {@link Detector} SPI: one forward pass of an ADPD bundle (task
 * {@code anatomy-detection}), then each image's flat output row decoded in the pixels of its frame. Each detection
 * names the regions it was made from ({@link Detection.Source#REGIONS}: one region, or all the regions fused into it);
 * {@link Detections#regions()} are every region with its presence probability; {@link Detections#imageScores()} are the
 * MIL image-level probabilities. Stateless and thread-safe.
 */
final class AdpdDetector implements Detector {
  private final String name;
  private final AdpdDecoder.Config config;

  AdpdDetector(String name, AdpdDecoder.Config config) {
    this.name = name;
    this.config = config;
  }

  @Override public String name() { return name; }

  @Override public List<Detections> detect(Model model, DetectRequest request) {
    AdpdDecoder decoder = new AdpdDecoder(AnatomySpec.of(model.info()), config);   // fails in one line for a non-ADPD model
    Tensor out = model.forward(request.input());
    int n = request.size(), k = out.dim(1);
    List<Detections> res = new ArrayList<>(n);
    float[] row = new float[k];
    for (int i = 0; i < n; i++) {
      out.copyTo(i * k, row, 0, k);
      DetectRequest.Frame f = request.frame(i);
      res.add(toDetections(i, f, decoder.decode(row, f.width(), f.height()), request));
    }
    return res;
  }

  static Detections toDetections(int index, DetectRequest.Frame f, AdpdResult r, DetectRequest request) {
    List<Detection> ds = new ArrayList<>();
    for (int j = 0; j < r.detections().size(); j++) {
      if (request.wants(r.detections().get(j).label())) ds.add(Detection.ofRegions(r.detections().get(j), r.sources().get(j)));
    }
    Map<String, Double> image = new LinkedHashMap<>();
    r.imageProbabilities().forEach((c, v) -> {
      if (request.wants(c)) image.put(c, v);
    });
    return new Detections(index, f.width(), f.height(), ds, r.regions(), image, List.of());
  }
}
