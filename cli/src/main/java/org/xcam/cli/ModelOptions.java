package org.xcam.cli;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.xcam.api.Model;
import org.xcam.runtime.Xcam;
import picocli.CommandLine.Option;

/** The options every command that loads a model shares. */
public final class ModelOptions {
  @Option(names = {"-m", "--model"}, description = "A bundle directory (xcam-model.json), an .onnx or a .pt file (required).")
  public Path model;

  @Option(names = "--engine", description = "Engine to use (djl, onnx); default: xcam.engine / XCAM_ENGINE, else the best that can load the model.")
  public String engine;

  @Option(names = "--device", description = "Engine device: auto (default), cpu or cuda (ONNX engine).", defaultValue = "auto")
  public String device;

  @Option(names = "--engine-option", description = "Engine option name=value (repeatable), e.g. --engine-option outputs=probabilities,"
      + " --engine-option output=/classifier/Gemm_output_0 (ONNX: explain that tensor), height=224, mean=0.5, labels=a,b,c.")
  public Map<String, String> engineOptions = new HashMap<>();

  public Model load(Xcam xcam) {
    if (model == null) throw new org.xcam.api.InvalidInputException("missing --model PATH: a bundle directory, an .onnx or a .pt file");
    checkDevice(device);
    Map<String, String> o = new HashMap<>(engineOptions);
    if (device != null && !device.equals("auto")) o.put("device", device);
    return xcam.load(model, engine, o);
  }

  /**
   * {@code --device}: auto, cpu, cuda or cuda:N. Asking for CUDA on a machine without an NVIDIA driver fails here, in one
   * line, before an engine's native library prints its own multi-line, colour-coded complaint.
   */
  static void checkDevice(String device) {
    String d = device == null ? "auto" : device.trim().toLowerCase(java.util.Locale.ROOT);
    if (!d.matches("auto|cpu|cuda(:\\d+)?")) {
      throw new org.xcam.api.InvalidInputException("--device '" + device + "' is not a device; use auto, cpu, cuda or cuda:N");
    }
    if (d.startsWith("cuda") && !nvidiaDriverPresent()) {
      throw new org.xcam.api.InvalidInputException("--device " + d + ": this machine has no CUDA device (no NVIDIA driver is loaded);"
          + " use --device cpu or --device auto");
    }
  }

  static boolean nvidiaDriverPresent() {
    return java.nio.file.Files.exists(Path.of("/proc/driver/nvidia/version")) || java.nio.file.Files.exists(Path.of("/dev/nvidia0"));
  }
}
