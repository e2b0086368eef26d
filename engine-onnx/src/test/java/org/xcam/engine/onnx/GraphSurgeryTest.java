package org.xcam.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.LayerHook;
import org.xcam.api.TailGradient;
import org.xcam.api.Tensor;
import org.xcam.engine.onnx.proto.OnnxProto.ModelProto;
import org.xcam.engine.onnx.proto.OnnxProto.NodeProto;
import org.xcam.engine.onnx.proto.OnnxProto.StringStringEntryProto;
import org.xcam.engine.onnx.proto.OnnxProto.TensorProto;

/** Head/tail graph surgery keeps what it does not understand, and fixed-batch models loop. */
class GraphSurgeryTest {
  @Test @DisplayName("Head and tail graphs keep initializer bytes, metadata and unknown fields of the model and its nodes")
  void keepsWhatItDoesNotKnow() throws Exception {
    ModelProto m = ModelProto.parseFrom(Files.readAllBytes(Ref.onnx()));
    UnknownFieldSet unknown = UnknownFieldSet.newBuilder()
        .addField(9999, UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFromUtf8("future")).build()).build();
    ModelProto.Builder b = m.toBuilder().setUnknownFields(unknown)
        .addMetadataProps(StringStringEntryProto.newBuilder().setKey("owner").setValue("xcam-test"));
    NodeProto last = b.getGraph().getNode(b.getGraph().getNodeCount() - 1);
    b.getGraphBuilder().setNode(b.getGraph().getNodeCount() - 1, last.toBuilder().setUnknownFields(unknown));
    ModelProto marked = ModelProto.parseFrom(b.build().toByteArray());
    OnnxGraph g = OnnxGraph.of(marked, Path.of("marked.onnx"));
    String cut = "/features/features.10/Relu_output_0";
    List<Integer> tail = g.closure(List.of(g.outputName()), Set.of(cut));
    ModelProto tm = g.subModel("_tail", tail, List.of(), List.of(), List.of(OnnxGraph.floatInfo(cut, new long[] {-1, 48, 16, 16}, "batch")),
        List.of(marked.getGraph().getOutput(0)), 0);
    assertThat(tm.getUnknownFields().hasField(9999)).isTrue();
    assertThat(tm.getMetadataPropsList()).extracting(StringStringEntryProto::getKey).contains("owner");
    assertThat(tm.getGraph().getNode(tm.getGraph().getNodeCount() - 1).getUnknownFields().hasField(9999)).isTrue();
    for (TensorProto t : tm.getGraph().getInitializerList()) {
      assertThat(t).isEqualTo(g.initializers.get(t.getName()));
    }
    // only what the tail reads: the first two convolutions' weights are not there
    assertThat(tm.getGraph().getInitializerList()).extracting(TensorProto::getName).doesNotContain("onnx::Conv_46", "onnx::Conv_49");
    assertThat(tm.getOpsetImportList()).isEqualTo(marked.getOpsetImportList());
  }

  @Test @DisplayName("A model exported with a fixed batch of 1 runs batches item by item, with the same numbers")
  void fixedBatch(@TempDir Path dir) throws Exception {
    ModelProto m = ModelProto.parseFrom(Files.readAllBytes(Ref.onnx()));
    ModelProto.Builder b = m.toBuilder();
    var in = b.getGraphBuilder().getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().getDimBuilder(0);
    in.clearDimParam().setDimValue(1);
    var out = b.getGraphBuilder().getOutputBuilder(0).getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().getDimBuilder(0);
    out.clearDimParam().setDimValue(1);
    Path f = dir.resolve("fixed.onnx");
    Files.write(f, b.build().toByteArray());
    try (OnnxModel fixed = OnnxModel.load(f, Map.of("device", "cpu")); OnnxModel dyn = OnnxModel.load(Ref.onnx(), Map.of("device", "cpu"))) {
      assertThat(fixed.info().extra()).containsEntry("onnxFixedBatch", true);
      Tensor x = Ref.inputs();
      assertThat(fixed.forward(x).maxAbsDiff(dyn.forward(x))).isLessThanOrEqualTo(1e-6);
      for (String l : List.of(fixed.info().defaultLayer(), "input")) {
        LayerHook hf = fixed.layer(l), hd = dyn.layer(l);
        Tensor a = hf.activation(x);
        assertThat(a.dim(0)).isEqualTo(6);
        Tensor gy = FiniteDifferences.gaussian(new int[] {6, 3}, 1, 1);
        assertThat(hf.vjp(a, gy).maxAbsDiff(hd.vjp(a, gy))).isLessThanOrEqualTo(1e-6);
        TailGradient tg = hf.tailWithGradient(a, y -> gy);
        assertThat(tg.gradient().maxAbsDiff(hd.vjp(a, gy))).isLessThanOrEqualTo(1e-6);
        assertThat(tg.output().maxAbsDiff(dyn.forward(x))).isLessThanOrEqualTo(1e-5);
      }
    }
  }
}
