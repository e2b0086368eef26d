package org.xcam.cli.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Benchmark the ONNX engine: VJP through the generated graph vs tail forward (owner: engine-onnx). */
@Command(name = "onnx", mixinStandardHelpOptions = true, description = "Benchmark the ONNX engine: VJP through the generated graph vs tail forward")
public final class OnnxBench implements Callable<Integer> {
  @Override public Integer call() {
    System.err.println("xcam onnx: not implemented yet");
    return 2;
  }
}
