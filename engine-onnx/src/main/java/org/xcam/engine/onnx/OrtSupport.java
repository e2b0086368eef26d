package org.xcam.engine.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xcam.api.EngineException;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Tensor;
import org.xcam.engine.onnx.proto.OnnxProto.ModelProto;
import org.xcam.engine.onnx.proto.OnnxProto.TensorProto;

/**
 * ONNX Runtime for one model: the shared environment, the device (CUDA when usable, otherwise CPU; forced to CPU with
 * engine option {@code device=cpu} or system property {@code xcam.onnx.device=cpu}), session creation from model bytes
 * and the Tensor/OnnxTensor conversions.
 */
final class OrtSupport {
  private static final Logger LOG = LoggerFactory.getLogger(OrtSupport.class);
  static final String DEVICE_PROPERTY = "xcam.onnx.device";

  private final OrtEnvironment env;
  private volatile boolean cuda;
  private final int threads;
  private final String why;

  OrtSupport(Map<String, String> options) {
    OrtEnvironment created;
    try {
      created = OrtEnvironment.getEnvironment();
    } catch (LinkageError | RuntimeException err) {
      throw new EngineException("ONNX Runtime's native library cannot be loaded on this platform (" + firstLine(String.valueOf(err.getMessage()))
          + "); use a supported OS/CPU (Linux, macOS, Windows on x86-64 or arm64), or for a bundle its TorchScript files"
          + " (--engine djl)", err);
    }
    this.env = created;
    String dev = options.getOrDefault("device", System.getProperty(DEVICE_PROPERTY, "auto")).toLowerCase(Locale.ROOT);
    if (!dev.equals("auto") && !dev.equals("cpu") && !dev.equals("cuda") && !dev.equals("gpu")) {
      throw new InvalidInputException("engine option device=" + dev + " is not one of auto, cpu, cuda");
    }
    int t = 0;
    String th = options.get("threads");
    if (th != null) {
      try {
        t = Integer.parseInt(th.trim());
      } catch (NumberFormatException e) {
        throw new InvalidInputException("engine option threads=" + th + " is not a whole number");
      }
    }
    this.threads = t;
    boolean wantCuda = !dev.equals("cpu");
    String reason = "forced with device=cpu";
    boolean ok = false;
    if (wantCuda && dev.equals("auto") && !nvidiaDriverPresent()) {
      // Without a driver, asking ORT for CUDA only prints a native error about missing CUDA libraries on every start.
      wantCuda = false;
      reason = "no NVIDIA driver on this machine";
    }
    if (wantCuda) {
      try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
        so.addCUDA(0);
        ok = true;
      } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
        reason = "CUDA execution provider not usable (" + firstLine(e.getMessage()) + ")";
      }
    }
    this.cuda = ok;
    this.why = ok ? "CUDA execution provider" : reason;
    if (ok) LOG.info("ONNX Runtime: CUDA execution provider (device 0), CPU for unsupported nodes");
    else LOG.info("ONNX Runtime: CPU execution provider; {}", reason);
  }

  /** True when an NVIDIA kernel driver is loaded (Linux), or when we cannot tell (other systems: let ORT decide). */
  static boolean nvidiaDriverPresent() {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) return true;
    return java.nio.file.Files.exists(java.nio.file.Path.of("/proc/driver/nvidia/version"))
        || java.nio.file.Files.exists(java.nio.file.Path.of("/dev/nvidia0"));
  }

  OrtEnvironment env() { return env; }

  String device() { return cuda ? "cuda" : "cpu"; }

  /** Engine option {@code threads}, 0 when not given (ONNX Runtime then uses every core per call). */
  int threads() { return threads; }

  String deviceReason() { return why; }

  private OrtSession.SessionOptions options(boolean withCuda) throws OrtException {
    OrtSession.SessionOptions so = new OrtSession.SessionOptions();
    so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    if (threads > 0) so.setIntraOpNumThreads(threads);
    if (withCuda) so.addCUDA(0);
    return so;
  }

  /** A session for {@code model}; a CUDA failure (no GPU, missing libraries) falls back to CPU for good. */
  OrtSession session(ModelProto model, String what) {
    byte[] bytes = model.toByteArray();
    if (cuda) {
      try (OrtSession.SessionOptions so = options(true)) {
        return env.createSession(bytes, so);
      } catch (OrtException | RuntimeException e) {
        LOG.warn("ONNX Runtime: CUDA session for {} failed ({}); falling back to CPU", what, firstLine(e.getMessage()));
        cuda = false;
      }
    }
    try (OrtSession.SessionOptions so = options(false)) {
      return env.createSession(bytes, so);
    } catch (OrtException e) {
      throw new EngineException("ONNX Runtime cannot build the " + what + " (" + firstLine(e.getMessage()) + ")", e);
    }
  }

  OnnxTensor tensor(Tensor t) {
    int[] s = t.shape();
    long[] shape = new long[s.length];
    for (int i = 0; i < s.length; i++) shape[i] = s[i];
    try {
      return OnnxTensor.createTensor(env, FloatBuffer.wrap(t.toArray()), shape);
    } catch (OrtException e) {
      throw new EngineException("ONNX Runtime cannot hold a tensor of shape " + java.util.Arrays.toString(s) + ": " + e.getMessage(), e);
    }
  }

  static Tensor toTensor(OnnxValue v, String name) {
    if (!(v instanceof OnnxTensor ot) || ((TensorInfo) ot.getInfo()).type != OnnxJavaType.FLOAT) {
      throw new EngineException("ONNX output '" + name + "' is not a float tensor (" + v.getInfo() + ")");
    }
    long[] shape = ((TensorInfo) ot.getInfo()).getShape();
    int[] s = new int[shape.length];
    for (int i = 0; i < s.length; i++) s[i] = (int) shape[i];
    FloatBuffer fb = ot.getFloatBuffer();
    float[] data = new float[fb.remaining()];
    fb.get(data);
    return Tensor.wrap(data, s);
  }

  /** The ONNX element type of a runtime value (for the value infos of tape tensors). */
  static int elemType(OnnxValue v) {
    if (!(v instanceof OnnxTensor ot)) return 0;
    return switch (((TensorInfo) ot.getInfo()).type) {
      case FLOAT -> TensorProto.DataType.FLOAT_VALUE;
      case DOUBLE -> TensorProto.DataType.DOUBLE_VALUE;
      case INT64 -> TensorProto.DataType.INT64_VALUE;
      case INT32 -> TensorProto.DataType.INT32_VALUE;
      case INT16 -> TensorProto.DataType.INT16_VALUE;
      case INT8 -> TensorProto.DataType.INT8_VALUE;
      case UINT8 -> TensorProto.DataType.UINT8_VALUE;
      case BOOL -> TensorProto.DataType.BOOL_VALUE;
      case FLOAT16 -> TensorProto.DataType.FLOAT16_VALUE;
      case STRING -> TensorProto.DataType.STRING_VALUE;
      default -> 0;
    };
  }

  static String firstLine(String s) {
    if (s == null) return "no message";
    String t = s.strip();
    int nl = t.indexOf('\n');
    return nl < 0 ? t : t.substring(0, nl);
  }
}
