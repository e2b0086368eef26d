package org.xcam.api.spi;

import java.nio.file.Path;
import java.util.Map;
import org.xcam.api.Model;

/**
 * An engine that loads models from files: found with {@link java.util.ServiceLoader} through
 * {@code META-INF/services/org.xcam.api.spi.EngineProvider}. Public no-arg constructor, no static side effects;
 * native libraries load on the first {@link #load}.
 *
 * <pre>{@code
 * public final class MyEngineProvider implements EngineProvider {
 *   public String name() { return "my-engine"; }
 *   public int rank() { return 10; }
 *   public boolean canLoad(Path p) { return p.toString().endsWith(".my"); }
 *   public Model load(Path p, Map<String, String> options) { return new MyModel(p); }
 * }
 * }</pre>
 *
 * <p>When several engines can load a path, the one with the highest rank wins unless the user chose one
 * ({@code --engine}, system property {@code xcam.engine}, environment variable {@code XCAM_ENGINE}).
 */
public interface EngineProvider {
  /** An id, e.g. {@code djl} or {@code onnx}. */
  String name();

  /** Preference when several engines can load a path: higher wins. */
  int rank();

  /** Cheap check (file names, magic bytes) whether this engine can load {@code path}; must not load native code. */
  boolean canLoad(Path path);

  /**
   * Loads a model. Errors are {@link org.xcam.api.ModelLoadException} with a one-line message that names the file
   * and the fix.
   *
   * @param options engine options, e.g. {@code device=cpu}; unknown keys are ignored
   */
  Model load(Path path, Map<String, String> options);

  /** A one-line description for {@code xcam list}. */
  default String description() { return name(); }
}
