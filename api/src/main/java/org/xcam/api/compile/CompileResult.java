package org.xcam.api.compile;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a compiler wrote.
 *
 * @param file     the compiled model
 * @param outputs  output name -> method, for the maps added (e.g. {@code xcam_gradcam -> gradcam})
 * @param layers   method -> the layer it explains at
 * @param opset    the compiled model's default-domain opset
 * @param notes    what a user should know (e.g. "opset raised from 13 to 16: ..."); never null
 * @param metadata the {@code xcam.*} entries written into the model's metadata
 */
public record CompileResult(Path file, Map<String, String> outputs, Map<String, String> layers, int opset,
                            List<String> notes, Map<String, String> metadata) {
  public CompileResult {
    outputs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(outputs)); // in the graph's order
    layers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(layers));
    notes = List.copyOf(notes);
    metadata = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metadata));
  }
}
