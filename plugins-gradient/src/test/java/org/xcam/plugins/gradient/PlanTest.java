package org.xcam.plugins.gradient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xcam.api.CountingModel;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Plan;
import org.xcam.api.Target;
import org.xcam.api.Task;
import org.xcam.api.Tensor;

/**
 * {@code Explainer.plan} of the gradient family against the evaluations the explain call then really runs, counted
 * per row by {@link RowCountingModel} (and, for one image at batch-size 1, by {@link CountingModel}'s calls): the
 * plan is known before any pass, and options that change the work (samples, steps, aug-smooth, the Hessian-vector
 * product, batch-size beyond the rows) change it exactly as the run does.
 */
@DisplayName("Explainer.plan of the gradient methods equals the passes the run counts")
class PlanTest {
  static Tensor batch3() { return CoreTest.batch3(); }

  /** Plans, checks that planning ran nothing, runs, and returns {planned per image, counted rows}. */
  static long[] planAndRun(String method, Map<String, String> options, ExplainRequest r, Task task) {
    RowCountingModel m = new RowCountingModel(Fx.model(Fx.P, task));
    Explainer e = Fx.explainer(method, options);
    Plan p = e.plan(m, r);
    assertThat(p.known()).as(method + " " + options + " plan known").isTrue();
    assertThat(p.detail()).isNotBlank();
    assertThat(m.rows).as(method + ": planning runs no pass").isZero();
    e.explain(m, r);
    return new long[] {p.evaluationsPerImage(), m.rows};
  }

  @ParameterizedTest(name = "{0} {1}: {2} per image")
  @CsvSource(delimiter = ';', value = {
      "gradcam;;3",
      "gradcam;batch-size=1;4",                          // 3 images at 1 row per call: the targets come from one more tail
      "gradcam;aug-smooth=true;18",                      // 6 input rows: head, tail, backward each
      "gg-cam;aug-smooth=true,batch-size=4;19",
      "smoothgrad;samples=5;18",
      "smoothgrad;samples=5,batch-size=10;19",
      "smooth-gradcam-plusplus;samples=4;15",
      "saliency;;3",
      "gradient-x-input;batch-size=2;4",
      "integrated-gradients;steps=8,tolerance=0;19",
      "integrated-gradients;steps=8,rule=gauss-legendre,tolerance=0;21",
      "hessian-ciam;;5",                                 // category-independent: no target tail
      "shapleycam;hvp=finite-difference;5",
      "gradient-shap;samples=3;9",
      "gradient-shap;samples=7,batch-size=8;18",
      "eigencam;;2", "eigencam;aug-smooth=true;7", "kpca-cam;;2", "fem;;2", "random-cam;;2",
      "finer-cam;;3", "eigengradcam;;3"})
  @DisplayName("plan = evaluations counted per row, before any pass, for 3 images")
  void equalsCounted(String method, String opts, long expected) {
    Map<String, String> options = new java.util.LinkedHashMap<>();
    if (opts != null) for (String kv : opts.split(",")) options.put(kv.split("=")[0], kv.split("=")[1]);
    long[] r = planAndRun(method, options, ExplainRequest.builder(batch3()).target(Target.predicted()).seed(3).build(), Task.MULTICLASS);
    assertThat(r[0]).as("%s %s: planned evaluations per image (hand count)", method, options).isEqualTo(expected);
    assertThat(r[1]).as("%s %s: counted rows for 3 images", method, options).isEqualTo(3 * expected);
  }

  @Test @DisplayName("one image at batch-size 1: the plan equals CountingModel's calls (every call is one row)")
  void callsAtBatchOne() {
    for (String method : List.of("gradcam", "saliency", "smoothgrad", "integrated-gradients", "hessian-ciam")) {
      Map<String, String> o = method.equals("integrated-gradients") ? Map.of("batch-size", "1", "steps", "4", "tolerance", "0")
          : method.equals("smoothgrad") ? Map.of("batch-size", "1", "samples", "3") : Map.of("batch-size", "1");
      CountingModel m = new CountingModel(Fx.model());
      Explainer e = Fx.explainer(method, o);
      ExplainRequest r = ExplainRequest.builder(Fx.input()).target(Target.predicted()).build();
      long planned = e.plan(m, r).evaluationsPerImage();
      e.explain(m, r);
      long heads = m.passes().heads();
      // the head is one call on all of an image's input rows: smoothgrad's 4 rows come back as 1 call
      long headRows = method.equals("smoothgrad") ? 4 : 1;
      assertThat(planned).as(method).isEqualTo(m.passes().total() - heads + heads * headRows);
    }
  }

  @Test @DisplayName("shapleycam with the exact product (ONNX engine, reference bundle): 1 head, 1 tail and 2 backward rows per image")
  void shapleyExact() {
    java.util.Optional<org.xcam.api.Model> loaded = ShapleyCamTest.load("onnx", org.xcam.tck.fixtures.Reference.bundle());
    org.junit.jupiter.api.Assumptions.assumeTrue(loaded.isPresent(), "engine-onnx not on the class path");
    try (org.xcam.api.Model model = loaded.get()) {
      for (String hvp : List.of("exact", "auto", "finite-difference")) {
        RowCountingModel m = new RowCountingModel(model);
        Explainer e = Fx.explainer("shapleycam", Map.of("hvp", hvp));
        ExplainRequest r = ExplainRequest.builder(Tensor.stack(List.of(org.xcam.tck.fixtures.Reference.input(0),
            org.xcam.tck.fixtures.Reference.input(1)))).target(Target.predicted()).build();
        long planned = e.plan(m, r).evaluationsPerImage();
        assertThat(m.rows).isZero();
        e.explain(m, r);
        assertThat(planned).as(hvp).isEqualTo(hvp.equals("finite-difference") ? 5 : 4);
        assertThat(m.rows).as(hvp).isEqualTo(2 * planned);
      }
    }
  }

  @Test @DisplayName("integrated-gradients with its tolerance: at most the first run plus one run per doubling, never less than the run")
  void integratedGradientsAtMost() {
    long[] r = planAndRun("integrated-gradients", Map.of("steps", "4", "max-steps", "16", "tolerance", "1e-30"),
        ExplainRequest.builder(batch3()).target(Target.predicted()).build(), Task.MULTICLASS);
    // 4 steps: 1 + 5 + 5; 8: 1 + 9 + 9; 16: 1 + 17 + 17 (class-index targets, rows within one call)
    assertThat(r[0]).isEqualTo(11 + 19 + 35);
    assertThat(r[1]).isLessThanOrEqualTo(3 * r[0]).isGreaterThanOrEqualTo(3 * 11);
  }

  @Test @DisplayName("multilabel all:P: at most one set of rows per output (the labels above P are known only after the tail)")
  void allAboveThreshold() {
    long[] r = planAndRun("hirescam", Map.of(), ExplainRequest.builder(Fx.input()).target(Target.aboveThreshold(0.5)).build(), Task.MULTILABEL);
    assertThat(r[0]).isEqualTo(1 + 1 + 3 + 3);   // head, the targets' tail, 3 outputs x (tail + backward)
    assertThat(r[1]).isEqualTo(1 + 1 + 2 + 2);   // 2 labels above 0.5 (CoreTest.allPositives)
  }

  @Test @DisplayName("the options' cost scales the plan: samples=1e6 is known to cost millions before any pass")
  void hugeSamples() {
    RowCountingModel m = new RowCountingModel(Fx.model());
    Plan p = Fx.explainer("smoothgrad", Map.of("samples", "1000000")).plan(m, ExplainRequest.builder(Fx.input()).build());
    assertThat(p.evaluationsPerImage()).isEqualTo(3L * 1_000_001 + 1);   // 1000001 rows: head, tail, backward; + the targets' tail
    assertThat(p.detail()).contains("1000000 noisy copies");
    assertThat(m.rows).isZero();
  }

  @Test @DisplayName("plan checks the method's own preconditions: aug-smooth with noisy copies, an unknown layer")
  void preconditions() {
    assertThatThrownBy(() -> Fx.explainer("smooth-gradcam-plusplus", Map.of("aug-smooth", "true")).plan(Fx.model(),
        ExplainRequest.builder(Fx.input()).build())).isInstanceOf(InvalidInputException.class).hasMessageContaining("aug-smooth");
    assertThatThrownBy(() -> Fx.explainer("gradcam", Map.of()).plan(Fx.model(), ExplainRequest.builder(Fx.input()).layers(List.of("nope")).build()))
        .hasMessageContaining("nope");
  }
}
