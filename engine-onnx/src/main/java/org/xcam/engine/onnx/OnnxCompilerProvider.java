package org.xcam.engine.onnx;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.xcam.api.compile.CompileRequest;
import org.xcam.api.compile.CompileResult;
import org.xcam.api.compile.CompiledModel;
import org.xcam.api.spi.CompilerProvider;

/**
 * The {@code onnx} compiler ({@code xcam compile}): builds gradient explanations into an ONNX model so that every
 * inference also returns its heatmaps, with nothing of xcam at run time. See {@link OnnxCompiler} for what the graph
 * computes; reads what the {@code onnx} engine reads (plain {@code .onnx} files, bundles with {@code model.onnx}).
 */
public final class OnnxCompilerProvider implements CompilerProvider {
  @Override public String name() { return OnnxEngineProvider.NAME; }

  @Override public boolean canCompile(Path model) { return new OnnxEngineProvider().canLoad(model); }

  @Override public Set<String> methods() { return OnnxCompiler.METHODS; }

  @Override public CompileResult compile(CompileRequest request) { return OnnxCompiler.compile(request); }

  @Override public CompiledModel open(Path compiled, Map<String, String> options) { return OnnxCompiledModel.open(compiled, options); }

  @Override public String refusal(String method) { return OnnxCompiler.refusal(method); }

  @Override public String description() {
    return "ONNX graph compiler: the model plus its generated backward pass and each method's arithmetic, one run returns"
        + " the outputs and the heatmaps (" + String.join(", ", OnnxCompiler.METHODS) + ")";
  }
}
