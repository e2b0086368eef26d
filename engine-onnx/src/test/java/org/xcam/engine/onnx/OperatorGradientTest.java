package org.xcam.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.xcam.engine.onnx.TestGraphs.f;
import static org.xcam.engine.onnx.TestGraphs.i;
import static org.xcam.engine.onnx.TestGraphs.ints;
import static org.xcam.engine.onnx.TestGraphs.s;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xcam.api.Capability;
import org.xcam.api.LayerHook;
import org.xcam.api.Tensor;
import org.xcam.api.UnsupportedCapabilityException;

/**
 * Every operator rule of the backward-graph generator, on a small single-operator graph written with the protobuf
 * builders, against central finite differences over every input coordinate (batch of 2, so batch handling is part of
 * the check).
 */
class OperatorGradientTest {
  static final Map<String, String> WORST = new TreeMap<>();

  record Case(String name, int[] chw, int opset, Function<TestGraphs, String> build) {
    @Override public String toString() { return name; }
  }

  static Case c(String name, int[] chw, Function<TestGraphs, String> build) { return new Case(name, chw, 13, build); }

  static int[] chw(int c, int h, int w) { return new int[] {c, h, w}; }

  static String flat(TestGraphs g, String t) { return g.op("Flatten", t, i("axis", 1)); }

  static Stream<Arguments> cases() {
    return Stream.of(
        c("Conv 3x3 pad 1 with bias", chw(3, 5, 5), g -> flat(g, g.op("Conv", List.of("x", g.weight(0.5, 4, 3, 3, 3), g.weight(0.1, 4)),
            ints("pads", 1, 1, 1, 1)))),
        c("Conv groups 2, strides 2x3, dilations 2x1, asymmetric pads", chw(4, 9, 8), g -> flat(g, g.op("Conv",
            List.of("x", g.weight(0.5, 6, 2, 3, 2)), i("group", 2), ints("strides", 2, 3), ints("dilations", 2, 1), ints("pads", 1, 0, 2, 1)))),
        c("Conv depthwise stride 2, auto_pad SAME_UPPER", chw(4, 7, 7), g -> flat(g, g.op("Conv", List.of("x", g.weight(0.5, 4, 1, 3, 3)),
            i("group", 4), ints("strides", 2, 2), s("auto_pad", "SAME_UPPER")))),
        c("Conv 1x1 stride 2 dropping the last row and column", chw(3, 6, 6), g -> flat(g, g.op("Conv", List.of("x", g.weight(0.5, 2, 3, 1, 1)),
            ints("strides", 2, 2), ints("kernel_shape", 1, 1)))),
        c("BatchNormalization (inference)", chw(3, 4, 4), g -> flat(g, g.op("BatchNormalization", List.of("x", g.weight(1, 3), g.weight(1, 3),
            g.weight(1, 3), g.positive(0.5, 2, 3)), f("epsilon", 1e-3f)))),
        c("Relu", chw(3, 4, 4), g -> flat(g, g.op("Relu", "x"))),
        c("LeakyRelu alpha 0.2", chw(3, 4, 4), g -> flat(g, g.op("LeakyRelu", "x", f("alpha", 0.2f)))),
        c("PRelu per channel", chw(3, 4, 4), g -> flat(g, g.op("PRelu", List.of("x", g.weight(0.3, 3, 1, 1))))),
        c("Sigmoid", chw(3, 4, 4), g -> flat(g, g.op("Sigmoid", "x"))),
        c("Tanh", chw(3, 4, 4), g -> flat(g, g.op("Tanh", "x"))),
        c("Clip [-0.5, 0.7]", chw(3, 4, 4), g -> flat(g, g.op("Clip", List.of("x", g.constant(new float[] {-0.5f}), g.constant(new float[] {0.7f}))))),
        c("Clip min only (ReLU6-style bound)", chw(3, 4, 4), g -> flat(g, g.op("Clip", List.of("x", g.constant(new float[] {0.1f}))))),
        c("MaxPool 3x3 stride 2 pad 1 (overlapping)", chw(3, 7, 7), g -> flat(g, g.op("MaxPool", "x", ints("kernel_shape", 3, 3),
            ints("strides", 2, 2), ints("pads", 1, 1, 1, 1)))),
        c("MaxPool 2x2 stride 2", chw(3, 6, 6), g -> flat(g, g.op("MaxPool", "x", ints("kernel_shape", 2, 2), ints("strides", 2, 2)))),
        c("MaxPool 2x2 stride 2 ceil_mode", chw(2, 7, 7), g -> flat(g, g.op("MaxPool", "x", ints("kernel_shape", 2, 2), ints("strides", 2, 2),
            i("ceil_mode", 1)))),
        c("AveragePool 3x3 stride 2 pad 1 excluding pads", chw(3, 7, 7), g -> flat(g, g.op("AveragePool", "x", ints("kernel_shape", 3, 3),
            ints("strides", 2, 2), ints("pads", 1, 1, 1, 1)))),
        c("AveragePool 3x3 stride 2 pad 1 counting pads", chw(3, 7, 7), g -> flat(g, g.op("AveragePool", "x", ints("kernel_shape", 3, 3),
            ints("strides", 2, 2), ints("pads", 1, 1, 1, 1), i("count_include_pad", 1)))),
        c("AveragePool 2x2 stride 2 ceil_mode", chw(2, 7, 7), g -> flat(g, g.op("AveragePool", "x", ints("kernel_shape", 2, 2),
            ints("strides", 2, 2), i("ceil_mode", 1)))),
        c("GlobalAveragePool", chw(3, 4, 5), g -> flat(g, g.op("GlobalAveragePool", "x"))),
        c("GlobalMaxPool", chw(3, 4, 5), g -> flat(g, g.op("GlobalMaxPool", "x"))),
        c("ReduceMean over H, W without keepdims", chw(3, 4, 5), g -> g.op("ReduceMean", "x", ints("axes", 2, 3), i("keepdims", 0))),
        c("Reshape [0, 12, -1] then Transpose", chw(3, 4, 4), g -> flat(g, g.op("Transpose",
            g.op("Reshape", List.of("x", g.inits.isEmpty() ? int64(g, 0, 12, -1) : int64(g, 0, 12, -1))), ints("perm", 0, 2, 1)))),
        c("Pad (constant, pads from a Constant node) before AveragePool", chw(2, 5, 5), g -> flat(g, g.op("AveragePool",
            g.op("Pad", List.of("x", int64(g, 0, 0, 1, 2, 0, 0, 2, 1))), ints("kernel_shape", 3, 3), ints("strides", 2, 2)))),
        c("Transpose NCHW -> NHWC", chw(3, 4, 5), g -> flat(g, g.op("Transpose", "x", ints("perm", 0, 2, 3, 1)))),
        c("Gemm transB, alpha 0.7, beta 0.5, bias", chw(2, 3, 3), g -> g.op("Gemm", List.of(flat(g, "x"), g.weight(0.3, 5, 18), g.weight(1, 5)),
            i("transB", 1), f("alpha", 0.7f), f("beta", 0.5f))),
        c("Gemm transA over a transposed activation", chw(2, 3, 3), g -> g.op("Transpose", g.op("Gemm", List.of(g.weight(0.3, 4, 18),
            g.op("Transpose", flat(g, "x"), ints("perm", 1, 0))), i("transB", 0)), ints("perm", 1, 0))),
        c("Gemm with the activation as B, transB", chw(2, 3, 3), g -> g.op("Transpose", g.op("Gemm", List.of(g.weight(0.3, 4, 18),
            flat(g, "x")), i("transB", 1)), ints("perm", 1, 0))),
        c("Gemm with an active bias C, beta 0.5", chw(2, 3, 3), g -> g.op("Gemm", List.of(flat(g, "x"), g.weight(0.3, 18, 4),
            g.op("Tanh", g.op("MatMul", List.of(flat(g, "x"), g.weight(0.3, 18, 4))))), f("beta", 0.5f))),
        c("MatMul with a weight", chw(2, 3, 3), g -> g.op("MatMul", List.of(flat(g, "x"), g.weight(0.3, 18, 4)))),
        c("MatMul batched, both operands active", chw(2, 3, 4), g -> flat(g, g.op("MatMul", List.of("x",
            g.op("Transpose", g.op("Tanh", "x"), ints("perm", 0, 1, 3, 2)))))),
        c("MatMul broadcasting a 2-D weight", chw(2, 3, 4), g -> flat(g, g.op("MatMul", List.of("x", g.weight(0.5, 4, 3))))),
        c("Add broadcast [C,1,1] constant", chw(3, 4, 4), g -> flat(g, g.op("Mul", List.of(g.op("Add", List.of("x", g.weight(1, 3, 1, 1))), "x")))),
        c("Sub, both active, broadcast from global pool", chw(3, 4, 4), g -> flat(g, g.op("Sub", List.of("x", g.op("GlobalAveragePool",
            g.op("Tanh", "x")))))),
        c("Mul squeeze-excitation style (x * sigmoid(pool(x)))", chw(3, 4, 4), g -> flat(g, g.op("Mul", List.of("x",
            g.op("Sigmoid", g.op("GlobalAveragePool", "x")))))),
        c("Mul by a [1,C,1,1] constant", chw(3, 4, 4), g -> flat(g, g.op("Mul", List.of(g.weight(1, 1, 3, 1, 1), "x")))),
        c("Div, both active", chw(3, 4, 4), g -> flat(g, g.op("Div", List.of("x", g.op("Add", List.of(g.op("Sigmoid", "x"),
            g.constant(new float[] {0.5f}))))))),
        c("Div by a constant, broadcast", chw(3, 4, 4), g -> flat(g, g.op("Div", List.of("x", g.positive(0.5, 2, 4))))),
        c("Sum of three", chw(3, 4, 4), g -> flat(g, g.op("Sum", List.of("x", g.op("Tanh", "x"), g.weight(1, 4))))),
        c("Concat on channels, one input used twice", chw(2, 3, 3), g -> flat(g, g.op("Concat", List.of("x", g.op("Relu", "x"), "x"),
            i("axis", 1)))),
        c("Concat on the last axis", chw(2, 3, 3), g -> flat(g, g.op("Concat", List.of(g.op("Sigmoid", "x"), "x"), i("axis", -1)))),
        c("Identity and Dropout (inference)", chw(2, 3, 3), g -> flat(g, g.op("Dropout", g.op("Identity", "x")))),
        c("Softmax over classes", chw(2, 3, 3), g -> g.op("Softmax", g.op("Gemm", List.of(flat(g, "x"), g.weight(0.5, 18, 5))), i("axis", -1))),
        c("Softmax over channels of a 4-D tensor", chw(3, 2, 2), g -> flat(g, g.op("Softmax", "x", i("axis", 1)))),
        c("LogSoftmax over classes", chw(2, 3, 3), g -> g.op("LogSoftmax", g.op("MatMul", List.of(flat(g, "x"), g.weight(0.5, 18, 5))),
            i("axis", 1))),
        c("Neg, Exp, Log, Sqrt", chw(2, 3, 3), g -> flat(g, g.op("Sqrt", g.op("Log", g.op("Add", List.of(g.op("Exp", g.op("Neg", "x")),
            g.constant(new float[] {1f}))))))),
        new Case("Softmax opset 11 (last axis)", chw(2, 3, 3), 11, g -> g.op("Softmax", g.op("Gemm", List.of(flat(g, "x"),
            g.weight(0.5, 18, 5))), i("axis", 1))),
        new Case("Relu and ReduceSum at opset 11 (attribute axes)", chw(2, 3, 3), 11, g -> g.op("ReduceSum",
            g.op("Relu", "x"), ints("axes", 2, 3), i("keepdims", 0))),
        new Case("Clip at opset 10 (attribute bounds) and Concat", chw(2, 3, 3), 10, g -> flat(g, g.op("Concat", List.of(
            g.op("Clip", "x", f("min", -0.4f), f("max", 0.6f)), "x"), i("axis", 2))))
    ).map(Arguments::of);
  }

  static String int64(TestGraphs g, long... v) {
    String name = "shape_" + g.inits.size();
    java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(8 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (long x : v) bb.putLong(x);
    g.inits.add(org.xcam.engine.onnx.proto.OnnxProto.TensorProto.newBuilder().setName(name).setDataType(7).addDims(v.length)
        .setRawData(com.google.protobuf.ByteString.copyFrom(bb.array())).build());
    return name;
  }

  /** Inputs away from 0 (ReLU and friends have a kink there). */
  static Tensor input(int[] chw, long seed) {
    int n = 2 * chw[0] * chw[1] * chw[2];
    float[] v = new float[n];
    SplittableRandom r = new SplittableRandom(seed);
    for (int k = 0; k < n; k++) {
      double z = r.nextGaussian();
      v[k] = (float) (Math.signum(z) * (0.1 + Math.abs(z)));
    }
    return Tensor.wrap(v, 2, chw[0], chw[1], chw[2]);
  }

  @ParameterizedTest(name = "{0}") @MethodSource("cases")
  @DisplayName("The generated VJP of each operator equals central finite differences at every input coordinate")
  void operator(Case c, @TempDir Path dir) {
    TestGraphs g = new TestGraphs(c.name().hashCode(), c.chw());
    g.opset = c.opset();
    String head = "x"; // the Identity after the graph input: a layer of the plain file
    var m = g.model(c.build().apply(g));
    try (OnnxModel model = OnnxModel.load(TestGraphs.write(m, dir, "op"), Map.of("device", "cpu"))) {
      assertThat(model.capabilities()).contains(Capability.INPUT_GRADIENT);
      Tensor x = input(c.chw(), 42);
      LayerHook h = model.layer("input");
      Tensor y = model.forward(x);
      Tensor gy = FiniteDifferences.gaussian(y.shape(), 7, 1);
      Tensor grad = h.vjp(x, gy);
      assertThat(grad.shape()).containsExactly(x.shape());
      assertThat(grad.isFinite()).isTrue();
      FiniteDifferences.Check chk = FiniteDifferences.check(model::forward, x, gy, grad, Integer.MAX_VALUE, 2e-3, 1, 2e-3);
      WORST.put(c.name(), String.format("%.1e (%d coords, %d at kinks)", chk.maxRelError(), chk.coordinates(), chk.kinks()));
      assertThat(chk.maxRelError()).as(c.name()).isLessThanOrEqualTo(2e-3);
      assertThat(chk.kinks()).as("coordinates at kinks").isLessThanOrEqualTo(chk.coordinates() / 10);
      // the fused path agrees with the single-run graph
      var tg = h.tailWithGradient(x, out -> gy);
      assertThat(tg.gradient().maxAbsDiff(grad)).isLessThanOrEqualTo(1e-6);
      assertThat(tg.output().maxAbsDiff(y)).isLessThanOrEqualTo(1e-6);
      // and so does the cut at the Identity output (a layer of the plain file)
      LayerHook l = model.layer(head);
      assertThat(l.vjp(l.activation(x), gy).maxAbsDiff(grad)).isLessThanOrEqualTo(1e-6);
    }
  }

  @Test @DisplayName("An operator without a rule fails with UnsupportedCapabilityException naming the operator and the layer")
  void unsupported(@TempDir Path dir) {
    TestGraphs g = new TestGraphs(1, 2, 3, 3);
    String head = g.op("Relu", "x");
    String last = flat(g, g.op("Selu", head));
    try (OnnxModel model = OnnxModel.load(TestGraphs.write(g.model(last), dir, "selu"), Map.of("device", "cpu"))) {
      // the default layer (the Selu output) is past the Selu: gradients there work, to the input they do not
      assertThat(model.capabilities()).contains(Capability.VJP).doesNotContain(Capability.INPUT_GRADIENT);
      LayerHook h = model.layer(head);
      Tensor x = input(new int[] {2, 3, 3}, 1);
      Tensor a = h.activation(x);
      assertThat(h.tail(a).maxAbsDiff(model.forward(x))).isLessThanOrEqualTo(1e-6);
      assertThatThrownBy(() -> h.vjp(a, Tensor.zeros(2, 18)))
          .isInstanceOf(UnsupportedCapabilityException.class)
          .hasMessageContaining("Selu").hasMessageContaining("'" + head + "'").hasMessageNotContaining("\n")
          .hasMessageContaining("rise").hasMessageNotContaining("--engine djl");
    }
  }

  @AfterAll static void report() {
    WORST.forEach((k, v) -> System.out.println("FD " + k + ": " + v));
  }
}
