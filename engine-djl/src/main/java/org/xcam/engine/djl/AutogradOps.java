package org.xcam.engine.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.InputStream;
import org.xcam.api.EngineException;

/**
 * {@code torch.autograd.grad} for the DJL engine, through a tiny bundled TorchScript module
 * ({@code autograd_ops.pt}, no weights, written by {@code tools/make_djl_autograd_ops.py}): DJL 0.35.1's Java API
 * offers only {@code Tensor.backward}, which stores the gradient in the leaf's {@code .grad}; with
 * {@code create_graph=true} that gradient's graph refers back to the leaf, a reference cycle libtorch never frees.
 * {@code torch.autograd.grad} returns the gradient instead, so every call's memory is released with its
 * {@link NDManager}. The module is loaded once per JVM (it holds no state) and is safe to call from several threads.
 */
final class AutogradOps {
  private static volatile PtSymbolBlock module;

  private AutogradOps() { }

  private static PtSymbolBlock module() {
    PtSymbolBlock m = module;
    if (m != null) return m;
    synchronized (AutogradOps.class) {
      if (module == null) {
        try (InputStream in = AutogradOps.class.getResourceAsStream("autograd_ops.pt")) {
          if (in == null) throw new EngineException("autograd_ops.pt is missing from the xcam-engine-djl jar; rebuild it");
          // held for the life of the JVM by the engine's system manager (a few kB, no weights)
          PtNDManager sys = (PtNDManager) DjlModel.engine().newBaseManager(Device.cpu());
          module = JniUtils.loadModule(sys, in, false, false);
        } catch (IOException e) {
          throw new EngineException("cannot read autograd_ops.pt from the xcam-engine-djl jar (" + e.getMessage() + ")", e);
        }
      }
      return module;
    }
  }

  /**
   * {@code [g, hv, jv]}: {@code g = J^T s}, {@code hv = d(g . v)/da}, {@code jv = d(g . v)/ds = J v}, for {@code y}
   * recorded from the leaf {@code a} and a leaf seed {@code s} (both requiring gradients). {@code keep} retains y's
   * graph for one more {@link #vjp}. The arrays belong to {@code m}.
   */
  static NDArray[] secondOrder(NDManager m, NDArray y, NDArray a, NDArray s, NDArray v, boolean keep) {
    NDList out = call(m, keep ? "keep" : "forward", y, a, s, v);
    if (out.size() != 3) throw new EngineException("autograd_ops.pt returned " + out.size() + " tensors, expected 3");
    return new NDArray[] {out.get(0), out.get(1), out.get(2)};
  }

  /** {@code J^T u} on y's kept graph (then freed). */
  static NDArray vjp(NDManager m, NDArray y, NDArray a, NDArray u) {
    return call(m, "vjp", y, a, u).get(0);
  }

  /**
   * Runs a method with autograd on ({@code isTrain=true}: DJL's {@code runMethod} would switch autograd off). DJL
   * picks the method from an array named {@code module_method:NAME}; the tensors are passed positionally, so their
   * names are cleared first (a dotted name would make DJL group them into a dict).
   */
  private static NDList call(NDManager m, String method, NDArray... args) {
    NDList in = new NDList();
    for (NDArray x : args) {
      x.setName(null);
      in.add(x);
    }
    if (!method.equals("forward")) {
      NDArray tag = m.zeros(new ai.djl.ndarray.types.Shape(1));
      tag.setName("module_method:" + method);
      in.add(tag);
    }
    return IValueUtils.forward(module(), in, true);
  }
}
