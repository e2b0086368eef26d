package org.xcam.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xcam.api.Box;
import org.xcam.api.InputSpec;
import org.xcam.api.XcamException;
import org.xcam.api.bundle.Json;

/**
 * The sample images shipped with the embedded phantom bundle ({@code samples/samples.json} plus PNGs and two DICOM
 * versions), with their ground-truth lesion boxes in model-input pixels. A sample whose format no installed reader
 * reads (the DICOM ones without the plugins-dicom jar) is left out and listed in {@link #unreadable()}.
 *
 * @param images loaded images
 * @param boxes  lesion boxes per image (may be empty for normal phantoms)
 * @param truth  the true class name per image
 * @param zones  the phantom's anatomical zone boxes per image (name to box), empty when the samples have none
 * @param unreadable sample files left out because no installed reader reads their format
 */
public record DemoSamples(List<LoadedImage> images, List<List<Box>> boxes, List<String> truth, List<Map<String, Box>> zones,
                          List<String> unreadable) {
  @SuppressWarnings("unchecked")
  public static DemoSamples load(Path bundle, InputSpec spec) {
    Path dir = bundle.resolve("samples");
    Path index = dir.resolve("samples.json");
    if (!Files.isRegularFile(index)) throw new XcamException("no samples/samples.json in " + bundle);
    try {
      Object parsed = Json.parse(Files.readString(index));
      List<Object> entries = parsed instanceof Map<?, ?> m ? (List<Object>) m.get("samples") : (List<Object>) parsed;
      List<LoadedImage> images = new ArrayList<>();
      List<List<Box>> boxes = new ArrayList<>();
      List<String> truth = new ArrayList<>();
      List<Map<String, Box>> zones = new ArrayList<>();
      List<String> unreadable = new ArrayList<>();
      for (Object o : entries) {
        Map<String, Object> e = (Map<String, Object>) o;
        Path file = dir.resolve(String.valueOf(e.get("file")));
        if (ImageReaders.installed().find(org.xcam.api.image.ImageSource.of(file), org.xcam.api.image.ImageReadOptions.defaults()).isEmpty()) {
          unreadable.add(file.getFileName().toString());
          continue;
        }
        images.addAll(Images.load(file, spec));
        List<Box> bs = new ArrayList<>();
        Object lesions = e.containsKey("lesions") ? e.get("lesions") : e.get("boxes");
        if (lesions instanceof List<?> l) {
          for (Object b : l) {
            List<Object> xy;
            String label = String.valueOf(e.getOrDefault("label", ""));
            if (b instanceof Map<?, ?> bm) {
              xy = (List<Object>) (bm.containsKey("box") ? bm.get("box") : bm.get("bbox"));
              if (bm.get("type") != null) label = String.valueOf(bm.get("type"));
            } else {
              xy = (List<Object>) b;
            }
            bs.add(Box.of(num(xy.get(0)), num(xy.get(1)), num(xy.get(2)), num(xy.get(3)), label));
          }
        }
        boxes.add(bs);
        truth.add(String.valueOf(e.getOrDefault("label_name", e.getOrDefault("label", "?"))));
        Map<String, Box> z = new java.util.LinkedHashMap<>();
        if (e.get("zones") instanceof Map<?, ?> zm) {
          for (Map.Entry<?, ?> ze : zm.entrySet()) {
            List<Object> xy = (List<Object>) ze.getValue();
            z.put(String.valueOf(ze.getKey()), Box.of(num(xy.get(0)), num(xy.get(1)), num(xy.get(2)), num(xy.get(3)), String.valueOf(ze.getKey())));
          }
        }
        zones.add(z);
      }
      return new DemoSamples(images, boxes, truth, zones, unreadable);
    } catch (IOException e) {
      throw new XcamException("cannot read " + index + ": " + e.getMessage(), e);
    }
  }

  private static double num(Object o) { return ((Number) o).doubleValue(); }
}
