package org.xcam.api.spi;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.xcam.api.compile.CompileRequest;
import org.xcam.api.compile.CompileResult;
import org.xcam.api.compile.CompiledModel;

/**
 * Compiles explanation methods into a model file: the result computes the model's outputs and each method's heatmap
 * in one run, with no xcam at run time ({@code xcam compile}). Found with {@link java.util.ServiceLoader} through
 * {@code META-INF/services/org.xcam.api.spi.CompilerProvider}; public no-arg constructor, no static side effects,
 * native code loads on first use.
 *
 * <p>A compiler re-implements each method's arithmetic in its own format, so it lists what it can compile
 * ({@link #methods()}) and says why it cannot compile anything else ({@link #refusal}); the compile kit
 * ({@code xcam-tck}) holds the result to the Java method's maps.
 */
public interface CompilerProvider {
  /** An id, e.g. {@code onnx}. */
  String name();

  /** Cheap check (file names) whether this compiler can read {@code model}; must not load native code. */
  boolean canCompile(Path model);

  /** The methods this compiler can build into a model. */
  Set<String> methods();

  /**
   * Compiles and writes {@code request.out()} atomically. Every precondition (methods, layer, target, operators) is
   * checked before anything is written; failures are one-line {@link org.xcam.api.XcamException}s naming the fix.
   */
  CompileResult compile(CompileRequest request);

  /** Opens a file this compiler wrote, for running it ({@code options} as for loading, e.g. {@code device=cpu}). */
  CompiledModel open(Path compiled, Map<String, String> options);

  /** One line for {@code xcam list}. */
  default String description() { return name(); }

  /** Why {@code method} cannot be compiled, or null when it can. */
  default String refusal(String method) {
    return methods().contains(method) ? null
        : "'" + method + "' cannot be compiled by '" + name() + "' (compilable: " + String.join(", ", new java.util.TreeSet<>(methods())) + ")";
  }
}
