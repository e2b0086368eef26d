package org.xcam.engine.onnx;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.XcamException;
import org.xcam.engine.onnx.proto.OnnxProto.GraphProto;
import org.xcam.engine.onnx.proto.OnnxProto.ModelProto;
import org.xcam.engine.onnx.proto.OnnxProto.NodeProto;
import org.xcam.engine.onnx.proto.OnnxProto.OperatorSetIdProto;
import org.xcam.engine.onnx.proto.OnnxProto.StringStringEntryProto;

/** The Java-side ONNX rules the compiler checks before writing: each broken graph is caught, the clean one passes. */
class OnnxChecksTest {
  private static NodeProto node(String op, List<String> in, String out) {
    return NodeProto.newBuilder().setOpType(op).setName(out).addAllInput(in).addOutput(out).build();
  }

  private static ModelProto model(int opset, NodeProto... nodes) {
    GraphProto.Builder g = GraphProto.newBuilder().setName("g").addInput(OnnxGraph.floatInfo("x", new long[] {-1, 4}, "batch"));
    for (NodeProto n : nodes) g.addNode(n);
    g.addOutput(OnnxGraph.nameOnly(nodes[nodes.length - 1].getOutput(0)));
    return ModelProto.newBuilder().setIrVersion(8).addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(opset)).setGraph(g).build();
  }

  @Test @DisplayName("a clean graph passes")
  void clean() {
    assertThatCode(() -> OnnxChecks.check(model(13, node("Relu", List.of("x"), "a"), node("Neg", List.of("a"), "b")))).doesNotThrowAnyException();
  }

  @Test @DisplayName("a tensor assigned twice, a read before definition, a missing output and duplicate metadata are caught")
  void structure() {
    assertThatThrownBy(() -> OnnxChecks.check(model(13, node("Relu", List.of("x"), "a"), node("Neg", List.of("x"), "a"))))
        .isInstanceOf(XcamException.class).hasMessageContaining("assigned twice");
    assertThatThrownBy(() -> OnnxChecks.check(model(13, node("Neg", List.of("a"), "b"), node("Relu", List.of("x"), "a"))))
        .hasMessageContaining("before it is defined");
    ModelProto noOut = model(13, node("Relu", List.of("x"), "a"));
    ModelProto bad = noOut.toBuilder().setGraph(noOut.getGraph().toBuilder().addOutput(OnnxGraph.nameOnly("zz"))).build();
    assertThatThrownBy(() -> OnnxChecks.check(bad)).hasMessageContaining("never computed");
    ModelProto dup = noOut.toBuilder().addMetadataProps(StringStringEntryProto.newBuilder().setKey("k").setValue("1"))
        .addMetadataProps(StringStringEntryProto.newBuilder().setKey("k").setValue("2")).build();
    assertThatThrownBy(() -> OnnxChecks.check(dup)).hasMessageContaining("metadata key");
  }

  @Test @DisplayName("operators in a form their opset does not have are caught (reduction axes, Resize inputs, Pad, ScatterElements)")
  void opsetForms() {
    NodeProto sumAttr = node("ReduceSum", List.of("x"), "s").toBuilder().addAttribute(Autodiff.ints("axes", new long[] {1})).build();
    assertThatThrownBy(() -> OnnxChecks.check(model(13, sumAttr))).hasMessageContaining("ReduceSum").hasMessageContaining("attribute");
    assertThatCode(() -> OnnxChecks.check(model(12, sumAttr))).doesNotThrowAnyException();
    NodeProto meanInput = node("ReduceMean", List.of("x", "x"), "m");
    assertThatThrownBy(() -> OnnxChecks.check(model(13, meanInput))).hasMessageContaining("axes input");
    assertThatThrownBy(() -> OnnxChecks.check(model(10, node("Pad", List.of("x"), "p")))).hasMessageContaining("opset >= 11");
    NodeProto resize = node("Resize", List.of("x", "", "", "x"), "r");
    assertThatThrownBy(() -> OnnxChecks.check(model(12, resize))).hasMessageContaining("roi or scales");
    NodeProto scatter = node("ScatterElements", List.of("x", "x", "x"), "e").toBuilder().addAttribute(Autodiff.s("reduction", "add")).build();
    assertThatThrownBy(() -> OnnxChecks.check(model(13, scatter))).hasMessageContaining("opset >= 16");
  }
}
