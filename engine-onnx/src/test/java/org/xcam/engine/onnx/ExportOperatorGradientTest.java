package org.xcam.engine.onnx;

import static org.xcam.engine.onnx.OperatorGradientTest.c;
import static org.xcam.engine.onnx.OperatorGradientTest.chw;
import static org.xcam.engine.onnx.OperatorGradientTest.flat;
import static org.xcam.engine.onnx.TestGraphs.f;
import static org.xcam.engine.onnx.TestGraphs.i;
import static org.xcam.engine.onnx.TestGraphs.ints;
import static org.xcam.engine.onnx.TestGraphs.s;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xcam.engine.onnx.OperatorGradientTest.Case;

/**
 * The backward rules for what real exports contain (post-processing with boolean-mask indexing, mobile nets,
 * transformers: issue 12), each on a small graph against central finite differences at every input coordinate, the
 * same check as {@link OperatorGradientTest}. Transformer-shaped cases reshape the 4-D input to [N, T, D] or
 * [N, heads, T, d] first. Index-only paths (Shape, NonZero, ConstantOfShape, Equal, Less, Not, And, IsNaN, Cast to
 * integers) carry no gradient; graphs that use them are checked the same way (their derivative is zero, or the
 * function is piecewise constant there).
 */
class ExportOperatorGradientTest {
  static Case c17(String name, int[] chw, java.util.function.Function<TestGraphs, String> build) { return new Case(name, chw, 17, build); }

  static Case c16(String name, int[] chw, java.util.function.Function<TestGraphs, String> build) { return new Case(name, chw, 16, build); }

  /** [N, C, H, W] -> [N, T, D] with T = C, D = H * W. */
  static String tokens(TestGraphs g, String x, int t, int d) {
    return g.op("Reshape", List.of(x, int64(g, 0, t, d)));
  }

  /** A constant float scalar tensor. */
  static String scalar(TestGraphs g, float v) {
    return g.constant(new float[] {v});
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        // ---- element-wise
        c("Erf (GELU as exported: x * 0.5 * (1 + erf(x / sqrt 2)))", chw(2, 3, 4), g -> flat(g, g.op("Mul", List.of(g.op("Mul",
            List.of("x", scalar(g, 0.5f))), g.op("Add", List.of(scalar(g, 1f), g.op("Erf", g.op("Div", List.of("x", scalar(g, 1.4142135f)))))))))),
        c("SiLU (x * sigmoid(x)) and Softplus", chw(2, 3, 4), g -> flat(g, g.op("Add", List.of(g.op("Mul", List.of("x", g.op("Sigmoid", "x"))),
            g.op("Softplus", "x"))))),
        c("HardSigmoid alpha 1/6 beta 0.5 (hardswish at opset 13: x * hardsigmoid(x))", chw(2, 4, 4), g -> flat(g, g.op("Mul", List.of(
            g.op("Mul", List.of("x", scalar(g, 4f))), g.op("HardSigmoid", g.op("Mul", List.of("x", scalar(g, 4f))), f("alpha", 1f / 6), f("beta", 0.5f)))))),
        new Case("HardSwish (opset 14)", chw(2, 4, 4), 14, g -> flat(g, g.op("HardSwish", g.op("Mul", List.of("x", scalar(g, 4f)))))),
        c("Abs and Reciprocal", chw(2, 3, 3), g -> flat(g, g.op("Reciprocal", g.op("Add", List.of(g.op("Abs", "x"), scalar(g, 2f)))))),
        c("Pow with a constant exponent 3 and exponent 2", chw(2, 3, 3), g -> flat(g, g.op("Add", List.of(g.op("Pow", List.of(g.op("Mul",
            List.of("x", scalar(g, 0.4f))), scalar(g, 3f))), g.op("Pow", List.of("x", scalar(g, 2f))))))),
        c("Pow with an active exponent (base > 0)", chw(2, 3, 3), g -> flat(g, g.op("Pow", List.of(g.op("Add", List.of(g.op("Sigmoid", "x"),
            scalar(g, 0.5f))), g.op("Tanh", "x"))))),
        c("Max of three with a broadcast constant, Min with a scalar", chw(2, 3, 4), g -> flat(g, g.op("Add", List.of(
            g.op("Max", List.of("x", g.op("Mul", List.of(g.op("Tanh", "x"), scalar(g, 1.5f))), g.weight(0.5, 2, 1, 1))),
            g.op("Min", List.of("x", scalar(g, 0.2f))))))),
        c("Cast float -> float and a Cast to int64 (no gradient through the integer path)", chw(2, 3, 3), g -> flat(g, g.op("Mul", List.of(
            g.op("Cast", "x", i("to", 1)), g.op("Cast", g.op("Cast", g.op("Mul", List.of("x", scalar(g, 0.5f))), i("to", 7)), i("to", 1)))))),
        c("Where selecting by a mask computed from the data", chw(2, 3, 4), g -> flat(g, g.op("Where", List.of(g.op("Greater", List.of("x",
            scalar(g, 0.3f))), g.op("Mul", List.of("x", scalar(g, 2f))), g.op("Sigmoid", "x"))))),
        c("Where broadcasting a [C,1,1] branch against the activation", chw(3, 2, 4), g -> flat(g, g.op("Where", List.of(
            g.op("Less", List.of("x", scalar(g, 0f))), g.op("ReduceMean", "x", ints("axes", 2, 3), i("keepdims", 1)), "x")))),
        // ---- shapes and indexing
        c("Expand [N,1,H,W] to [N,3,H,W] (shape with batch 1, broadcast)", chw(3, 3, 4), g -> flat(g, g.op("Mul", List.of(g.op("Expand",
            List.of(g.op("ReduceMean", "x", ints("axes", 1), i("keepdims", 1)), int64(g, 1, 3, 3, 4))), "x")))),
        c("Expand of [N, T, 1] to [N, T, D]", chw(3, 2, 2), g -> flat(g, g.op("Mul", List.of(tokens(g, "x", 3, 4),
            g.op("Expand", List.of(g.op("ReduceMax", tokens(g, "x", 3, 4), ints("axes", 2), i("keepdims", 1)), int64(g, 1, 1, 4))))))),
        c("Slice constant bounds, negative start, on two axes", chw(4, 5, 5), g -> flat(g, g.op("Slice", List.of("x", int64(g, 1, -3),
            int64(g, 3, 100), int64(g, 1, 3))))),
        c("Slice with step 2 and a negative step (flip)", chw(2, 5, 6), g -> flat(g, g.op("Add", List.of(
            g.op("Slice", List.of("x", int64(g, 0, 1), int64(g, 5, 6), int64(g, 2, 3), int64(g, 2, 2))),
            g.op("Slice", List.of("x", int64(g, 4, 5), int64(g, -100, -100), int64(g, 2, 3), int64(g, -2, -2))))))),
        c("Slice with bounds computed from Shape (dynamic: x[:, :, 0:H-1])", chw(2, 4, 3), g -> flat(g, g.op("Slice", List.of("x",
            int64(g, 0), g.op("Sub", List.of(g.op("Slice", List.of(g.op("Shape", "x"), int64(g, 2), int64(g, 3))), int64(g, 1))), int64(g, 2))))),
        c("Slice of the class token on [N, T, D] (x[:, 0:1, :])", chw(4, 2, 3), g -> flat(g, g.op("Slice", List.of(tokens(g, "x", 4, 6),
            int64(g, 0), int64(g, 1), int64(g, 1))))),
        c("Tile repeats [1, 2, 1, 3]", chw(2, 2, 3), g -> flat(g, g.op("Mul", List.of(g.op("Tile", List.of("x", int64(g, 1, 2, 1, 3))),
            g.weight(1, 4, 2, 9))))),
        c("Split on channels into 1+2+1, outputs 0 and 2 used", chw(4, 2, 3), g -> {
          var sp = org.xcam.engine.onnx.proto.OnnxProto.NodeProto.newBuilder().setOpType("Split").setName("split").addInput("x")
              .addInput(int64(g, 1, 2, 1)).addOutput("s0").addOutput("s1").addOutput("s2").addAttribute(i("axis", 1)).build();
          g.nodes.add(sp);
          return flat(g, g.op("Sub", List.of(g.op("Mul", List.of("s0", "s2")), g.op("Tanh", "s0"))));
        }),
        c("Split of [N, T, 3D] into q, k, v (attention projections)", chw(3, 2, 3), g -> {
          String t = tokens(g, "x", 3, 6);
          var sp = org.xcam.engine.onnx.proto.OnnxProto.NodeProto.newBuilder().setOpType("Split").setName("qkv").addInput(t)
              .addInput(int64(g, 2, 2, 2)).addOutput("q").addOutput("k").addOutput("v").addAttribute(i("axis", -1)).build();
          g.nodes.add(sp);
          return flat(g, g.op("MatMul", List.of(g.op("Softmax", g.op("MatMul", List.of("q", g.op("Transpose", "k", ints("perm", 0, 2, 1)))),
              i("axis", -1)), "v")));
        }),
        c("Gather class token: axis 1, scalar index 0 on [N, T, D]", chw(4, 2, 3), g -> g.op("Gather", List.of(tokens(g, "x", 4, 6),
            int64scalar(g, 0)), i("axis", 1))),
        c("Gather with repeated and negative indices on the last axis", chw(2, 3, 4), g -> flat(g, g.op("Gather", List.of("x",
            int64(g, 2, 0, 2, -1)), i("axis", -1)))),
        c("Gather with a 2-D index tensor on axis 2", chw(2, 4, 3), g -> flat(g, g.op("Gather", List.of("x", int64m(g, new long[] {2, 2},
            1, 3, 0, 1)), i("axis", 2)))),
        c("GatherElements along channels (indices expanded to the batch)", chw(3, 2, 2), g -> flat(g, g.op("GatherElements", List.of("x",
            batched(g, int64m(g, new long[] {1, 2, 2, 2}, 2, 0, 0, 1, 1, 1, 2, 2), 2, 2, 2)), i("axis", 1)))),
        c16("ScatterND with data and updates active (reduction none)", chw(2, 3, 3), g -> {
          String x2 = g.op("Reshape", List.of("x", int64(g, 0, 18)));
          String idx = int64m(g, new long[] {1, 3, 1}, 4, 0, 17);
          String tr = g.op("Transpose", x2, ints("perm", 1, 0)); // [18, N]
          String upd = g.op("Mul", List.of(g.op("GatherND", List.of(tr, idx)), scalar(g, 3f)));
          return g.op("Transpose", g.op("ScatterND", List.of(g.op("Tanh", tr), idx, upd)), ints("perm", 1, 0));
        }),
        c16("ScatterElements with data and updates active, and reduction add", chw(2, 3, 2), g -> {
          String idx = batched(g, int64m(g, new long[] {1, 1, 3, 2}, 0, 1, 1, 0, 0, 0), 1, 3, 2);
          String x0 = g.op("Slice", List.of("x", int64(g, 0), int64(g, 1), int64(g, 1)));
          String a = g.op("ScatterElements", List.of(g.op("Sigmoid", "x"), idx, g.op("Mul", List.of(x0, x0))), i("axis", 1));
          String b = g.op("ScatterElements", List.of("x", idx, x0), i("axis", 1), s("reduction", "add"));
          return flat(g, g.op("Add", List.of(a, b)));
        }),
        c("Operating-point rescaling with boolean-mask indexing (NonZero, GatherND, ScatterND, IsNaN, Not, And, Less, Expand)",
            chw(2, 2, 2), ExportOperatorGradientTest::opNorm),
        c("ReduceMax and ReduceMin over spatial axes", chw(3, 3, 4), g -> g.op("Concat", List.of(
            g.op("ReduceMax", "x", ints("axes", 2, 3), i("keepdims", 0)), flat(g, g.op("ReduceMin", "x", ints("axes", 1), i("keepdims", 1)))),
            i("axis", 1))),
        c("TopK 2 over the last axis", chw(2, 3, 4), g -> {
          var tk = org.xcam.engine.onnx.proto.OnnxProto.NodeProto.newBuilder().setOpType("TopK").setName("topk").addInput("x")
              .addInput(int64(g, 2)).addOutput("vals").addOutput("idx").addAttribute(i("axis", -1)).build();
          g.nodes.add(tk);
          return flat(g, g.op("Mul", List.of("vals", g.op("Cast", "idx", i("to", 1)))));
        }),
        // ---- resize
        c("Resize nearest x2 (PyTorch's nearest: asymmetric, floor)", chw(2, 3, 3), g -> flat(g, g.op("Mul", List.of(g.op("Resize",
            List.of("x", "", g.constant(new float[] {1, 1, 2, 2}, 4)), s("mode", "nearest"), s("coordinate_transformation_mode", "asymmetric"),
            s("nearest_mode", "floor")), g.weight(1, 2, 6, 6))))),
        c("Resize linear x2 pytorch_half_pixel (bilinear, align_corners=False)", chw(2, 3, 4), g -> flat(g, g.op("Mul", List.of(g.op("Resize",
            List.of("x", "", g.constant(new float[] {1, 1, 2, 2}, 4)), s("mode", "linear"),
            s("coordinate_transformation_mode", "pytorch_half_pixel")), g.weight(1, 2, 6, 8))))),
        c("Resize linear to sizes 3x2 with align_corners (downsampling, sizes computed from Shape)", chw(2, 5, 4), g -> flat(g, g.op("Resize",
            List.of("x", "", "", g.op("Concat", List.of(g.op("Slice", List.of(g.op("Shape", "x"), int64(g, 0), int64(g, 2))), int64(g, 3, 2)),
                i("axis", 0))), s("mode", "linear"), s("coordinate_transformation_mode", "align_corners")))),
        c("Resize nearest x0.5 half_pixel round_prefer_ceil, and linear x1.5 half_pixel", chw(2, 4, 4), g -> flat(g, g.op("Add", List.of(
            g.op("Resize", List.of(g.op("Resize", List.of("x", "", g.constant(new float[] {1, 1, 0.5f, 0.5f}, 4)), s("mode", "nearest"),
                s("nearest_mode", "round_prefer_ceil")), "", g.constant(new float[] {1, 1, 3f, 3f}, 4)), s("mode", "nearest")),
            g.op("Resize", List.of("x", "", g.constant(new float[] {1, 1, 1.5f, 1.5f}, 4)), s("mode", "linear")))))),
        // ---- transformer-shaped
        c17("LayerNormalization over D on [N, T, D] with scale and bias (opset 17)", chw(3, 2, 4), g -> flat(g, g.op("LayerNormalization",
            List.of(tokens(g, "x", 3, 8), g.weight(1, 8), g.weight(0.5, 8)), i("axis", -1), f("epsilon", 1e-5f)))),
        c17("LayerNormalization over the last two axes of [N, C, H, W]", chw(2, 3, 4), g -> flat(g, g.op("LayerNormalization",
            List.of("x", g.weight(1, 3, 4)), i("axis", 2)))),
        c("LayerNorm decomposition as exported at opset 13 (ReduceMean, Sub, Pow, Add, Sqrt, Div, Mul, Add)", chw(3, 2, 4), g -> {
          String t = tokens(g, "x", 3, 8);
          String mean = g.op("ReduceMean", t, ints("axes", -1), i("keepdims", 1));
          String d = g.op("Sub", List.of(t, mean));
          String var = g.op("ReduceMean", g.op("Pow", List.of(d, scalar(g, 2f))), ints("axes", -1), i("keepdims", 1));
          String n = g.op("Div", List.of(d, g.op("Sqrt", g.op("Add", List.of(var, scalar(g, 1e-5f))))));
          return flat(g, g.op("Add", List.of(g.op("Mul", List.of(n, g.weight(1, 8))), g.weight(0.5, 8))));
        }),
        c("Attention on [N, heads, T, d]: softmax(q k^T / sqrt d) v with batched broadcasting MatMul", chw(4, 3, 2), g -> {
          String h = g.op("Reshape", List.of("x", int64(g, 0, 2, 6, 2)));          // [N, 2 heads, T = 6, d = 2]
          String q = g.op("MatMul", List.of(h, g.weight(0.7, 2, 2)));               // weight [d, d] broadcast
          String k = g.op("Tanh", h);
          String sc = g.op("Div", List.of(g.op("MatMul", List.of(q, g.op("Transpose", k, ints("perm", 0, 1, 3, 2)))), scalar(g, 1.4142135f)));
          String att = g.op("Softmax", sc, i("axis", -1));                          // [N, 2, 6, 6]
          String o = g.op("MatMul", List.of(att, h));                                // [N, 2, 6, 2]
          return flat(g, g.op("Transpose", o, ints("perm", 0, 2, 1, 3)));
        }),
        c("Class token: Concat of an expanded constant token and [N, T, D], then Gather token 0", chw(3, 2, 2), g -> {
          String t = tokens(g, "x", 3, 4);
          String tok = g.op("Expand", List.of(g.weight(1, 1, 1, 4), g.op("Concat", List.of(g.op("Slice", List.of(g.op("Shape", t), int64(g, 0),
              int64(g, 1))), int64(g, 1, 1)), i("axis", 0))));
          String seq = g.op("Concat", List.of(tok, t), i("axis", 1));              // [N, 4, 4]
          String mixed = g.op("MatMul", List.of(g.op("Softmax", g.op("MatMul", List.of(seq, g.op("Transpose", seq, ints("perm", 0, 2, 1)))),
              i("axis", -1)), seq));
          return g.op("Gather", List.of(mixed, int64scalar(g, 0)), i("axis", 1));
        }),
        c("Pad with computed pads (Swin window padding: W padded up to a multiple of 4) and a cropping Pad", chw(2, 3, 3), g -> {
          String w = g.op("Slice", List.of(g.op("Shape", "x"), int64(g, 3), int64(g, 4)));
          String right = g.op("Sub", List.of(int64(g, 4), g.op("Mod", List.of(w, int64(g, 4)))));
          String pads = g.op("Concat", List.of(int64(g, 0, 0, 0, 0, 0, 0, 1), right), i("axis", 0));
          String crop = g.op("Pad", List.of("x", int64(g, 0, 0, -1, 0, 0, 0, 0, -1)));
          return g.op("Concat", List.of(flat(g, g.op("Pad", List.of(g.op("Tanh", "x"), pads))), flat(g, crop)), i("axis", 1));
        }),
        c("Where as an attention mask on [N, heads, T, T] (masked_fill before Softmax)", chw(2, 3, 4), g -> {
          String h = g.op("Reshape", List.of("x", int64(g, 0, 2, 3, 4)));            // [N, 2, T = 3, d = 4]
          String sc = g.op("MatMul", List.of(h, g.op("Transpose", h, ints("perm", 0, 1, 3, 2))));   // [N, 2, 3, 3]
          String mask = g.op("Less", List.of(g.constant(new float[] {0, 1, 1, 0, 0, 1, 0, 0, 0}, 3, 3), scalar(g, 0.5f)));
          String att = g.op("Softmax", g.op("Where", List.of(mask, sc, scalar(g, -1e4f))), i("axis", -1));
          return flat(g, g.op("MatMul", List.of(att, h)));
        }),
        c("Reshape by a shape computed from Shape (index-only path: Shape, Gather, Unsqueeze, Concat)", chw(2, 3, 2), g -> {
          String n = g.op("Unsqueeze", List.of(g.op("Gather", List.of(g.op("Shape", "x"), int64scalar(g, 0)), i("axis", 0)), int64(g, 0)));
          return g.op("Reshape", List.of(g.op("Tanh", "x"), g.op("Concat", List.of(n, int64(g, -1)), i("axis", 0))));
        })
    ).map(Arguments::of);
  }

  /**
   * The CXR library's operating-point rescaling on sigmoid outputs, as torch.onnx.export writes it: p below the
   * threshold t becomes p / (2t), above it 1 - (1 - p) / (2 (1 - t)); labels whose threshold is NaN stay at 0.5.
   * Masks are (p < t) & !isnan(t); assignments through boolean masks are NonZero -> GatherND / ScatterND.
   */
  static String opNorm(TestGraphs g) {
    String logits = g.op("Gemm", List.of(flat(g, "x"), g.weight(0.4, 5, 8), g.weight(0.3, 5)), i("transB", 1)); // [N, 5]
    String p = g.op("Sigmoid", logits);
    String th = g.constant(new float[] {0.3f, Float.NaN, 0.6f, 0.45f, 0.5f}, 1, 5);
    String thx = g.op("Expand", List.of(th, g.op("Shape", p)));
    String notNan = g.op("Not", g.op("IsNaN", thx));
    String less = g.op("Less", List.of(p, thx));
    String leq = g.op("And", List.of(less, notNan));
    String gt = g.op("And", List.of(g.op("Not", less), notNan));
    String half = g.op("Add", List.of(g.op("ConstantOfShape", g.op("Shape", p), org.xcam.engine.onnx.proto.OnnxProto.AttributeProto.newBuilder()
        .setName("value").setType(org.xcam.engine.onnx.proto.OnnxProto.AttributeProto.AttributeType.TENSOR)
        .setT(Autodiff.floatTensor("v", new float[] {0f}, new long[] {1})).build()), scalar(g, 0.5f)));
    String i1 = g.op("Transpose", g.op("NonZero", leq), ints("perm", 1, 0));
    String low = g.op("Div", List.of(g.op("GatherND", List.of(p, i1)), g.op("Mul", List.of(g.op("GatherND", List.of(thx, i1)), scalar(g, 2f)))));
    String s1 = g.op("ScatterND", List.of(half, i1, low));
    String i2 = g.op("Transpose", g.op("NonZero", gt), ints("perm", 1, 0));
    String up = g.op("Sub", List.of(scalar(g, 1f), g.op("Div", List.of(g.op("Sub", List.of(scalar(g, 1f), g.op("GatherND", List.of(p, i2)))),
        g.op("Mul", List.of(g.op("Sub", List.of(scalar(g, 1f), g.op("GatherND", List.of(thx, i2)))), scalar(g, 2f)))))));
    return g.op("ScatterND", List.of(s1, i2, up));
  }

  /** A 1-D int64 initializer (named apart from the node outputs TestGraphs writes, such as {@code shape_0}). */
  static String int64(TestGraphs g, long... v) {
    return int64m(g, new long[] {v.length}, v);
  }

  static String int64scalar(TestGraphs g, long v) {
    String name = "i64s_" + g.inits.size();
    java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(v);
    g.inits.add(org.xcam.engine.onnx.proto.OnnxProto.TensorProto.newBuilder().setName(name).setDataType(7)
        .setRawData(com.google.protobuf.ByteString.copyFrom(bb.array())).build());
    return name;
  }

  /** Integer tensor {@code idx} [1, rest...] expanded to the batch: [N, rest...]. */
  static String batched(TestGraphs g, String idx, long... rest) {
    String n = g.op("Slice", List.of(g.op("Shape", "x"), int64(g, 0), int64(g, 1)));
    return g.op("Expand", List.of(idx, g.op("Concat", List.of(n, int64(g, rest)), i("axis", 0))));
  }

  /** An int64 initializer of shape {@code dims}. */
  static String int64m(TestGraphs g, long[] dims, long... v) {
    String name = "i64_" + g.inits.size();
    java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(8 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (long x : v) bb.putLong(x);
    var t = org.xcam.engine.onnx.proto.OnnxProto.TensorProto.newBuilder().setName(name).setDataType(7)
        .setRawData(com.google.protobuf.ByteString.copyFrom(bb.array()));
    for (long d : dims) t.addDims(d);
    g.inits.add(t.build());
    return name;
  }

  @ParameterizedTest(name = "{0}") @MethodSource("cases")
  @DisplayName("The generated VJP of each operator in real exports equals central finite differences at every input coordinate")
  void operator(Case c, @TempDir Path dir) {
    new OperatorGradientTest().operator(c, dir);
  }

  @AfterAll static void report() {
    OperatorGradientTest.report();
  }
}
