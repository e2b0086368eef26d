package org.xcam.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.InvalidInputException;
import org.xcam.api.ModelInfo;
import org.xcam.runtime.Fixtures;
import org.xcam.runtime.eval.Datasets;
import org.xcam.runtime.eval.Sample;

/** Nothing lost, nothing twice: bad images, failed task attempts, killed jobs and reruns. */
class ReliabilityTest {
  static SparkSession spark;
  static String bundle;
  static ModelInfo info;
  static final AtomicInteger FAILED_TASKS = new AtomicInteger();
  @TempDir static Path dir;

  @BeforeAll static void start() {
    spark = SparkTestSession.start();
    spark.sparkContext().addSparkListener(new SparkListener() {
      @Override public void onTaskEnd(SparkListenerTaskEnd end) {
        if (!end.taskInfo().successful()) FAILED_TASKS.incrementAndGet();
      }
    });
    bundle = Fixtures.phantomBundle().toString();
    info = ModelCache.get(ModelRef.of(bundle), spark.sparkContext().hadoopConfiguration()).model().info();
  }

  @AfterAll static void stop() { spark.stop(); }

  private static ExplainSpec.Builder gradcam() {
    return ExplainSpec.builder(ModelRef.of(bundle)).methods(List.of("gradcam", "hirescam")).batch(4).partitions(3);
  }

  private static List<Row> table(String out) {
    return spark.read().parquet(out + "/" + XcamSpark.EXPLANATIONS).collectAsList();
  }

  private static void assertEachOnce(List<Row> rows, int images, int methods) {
    assertThat(rows).hasSize(images * methods);
    assertThat(rows.stream().map(r -> r.getAs("id") + "/" + r.getAs("method")).distinct().count()).isEqualTo((long) images * methods);
  }

  @Test @DisplayName("a corrupt image yields one error row per method, counted; the job and the other images go on")
  void corrupt() throws IOException {
    Path images = Files.createDirectories(dir.resolve("corrupt"));
    for (int s = 0; s < 3; s++) {
      Sample p = Datasets.phantomSample(s, info.input(), info.labels());
      ImageIO.write(p.display(), "png", images.resolve("cxr-" + s + ".png").toFile());
    }
    Files.write(images.resolve("cxr-bad.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13, 'I', 'H', 'D', 'R', 1, 2});
    String out = dir.resolve("corrupt-out").toUri().toString();
    XcamSpark.Outcome o = XcamSpark.explainTo(spark, Inputs.images(spark, List.of(images.toString()), 0),
        gradcam().methods(List.of("gradcam")).build(), out, true, Map.of());
    assertThat(o.images()).isEqualTo(4);
    assertThat(o.rows()).isEqualTo(4);
    assertThat(o.errorRows()).isEqualTo(1);
    List<Row> rows = table(out);
    Row bad = rows.stream().filter(r -> r.getAs("id").equals("cxr-bad")).findFirst().orElseThrow();
    assertThat((String) bad.getAs("error")).contains("cannot decode").doesNotContain("\n");
    assertThat((Object) bad.getAs("raw")).isNull();
    assertThat(rows.stream().filter(r -> r.getAs("error") == null)).hasSize(3);
    // --overlays: the per-image files xcam explain writes
    assertThat(dir.resolve("corrupt-out/cxr-0.gradcam.png")).exists();
    assertThat(dir.resolve("corrupt-out/cxr-0.gradcam.raw.npy")).exists();
    assertThat(dir.resolve("corrupt-out/cxr-0.gradcam.npy")).exists();
    assertThat(dir.resolve("corrupt-out/manifest.json")).exists();
  }

  @Test @DisplayName("a task whose first attempt fails (after handing over its rows) is retried by Spark; every row is in the "
      + "output once; a rerun into the same output does no work")
  void retriedOnceAndRerun() {
    String out = dir.resolve("retry").toUri().toString();
    int failedBefore = FAILED_TASKS.get();
    XcamSpark.Outcome o = XcamSpark.explainTo(spark, Inputs.images(spark, List.of("phantom:24"), 0),
        gradcam().failure(ExplainSpec.Failure.FIRST_ATTEMPT_OF_PARTITION_0).build(), out, false, Map.of());
    assertThat(FAILED_TASKS.get() - failedBefore).as("failed task attempts").isEqualTo(1);
    assertThat(o.rowsAdded()).isEqualTo(48);
    assertEachOnce(table(out), 24, 2);

    long explained = ExplainTask.EXPLAINED.get();
    XcamSpark.Outcome again = XcamSpark.explainTo(spark, Inputs.images(spark, List.of("phantom:24"), 0), gradcam().build(), out,
        false, Map.of());
    assertThat(again.computed()).isZero();
    assertThat(again.rowsAdded()).isZero();
    assertThat(ExplainTask.EXPLAINED.get()).as("images explained by the rerun").isEqualTo(explained);
    assertEachOnce(table(out), 24, 2);
  }

  @Test @DisplayName("a killed job (a task failing every attempt) keeps what committed; the rerun computes only the rest, "
      + "each row once; a method added later is computed for every image")
  void resumeAfterKilledJob() {
    String out = dir.resolve("killed").toUri().toString();
    assertThatThrownBy(() -> XcamSpark.explainTo(spark, Inputs.images(spark, List.of("phantom:24"), 0),
        gradcam().failure(ExplainSpec.Failure.EVERY_ATTEMPT_OF_PARTITION_0).build(), out, false, Map.of()))
        .hasStackTraceContaining("injected failure of partition 0");
    long kept = Output.exists(spark.sparkContext().hadoopConfiguration(), out + "/" + XcamSpark.EXPLANATIONS) ? table(out).size() : 0;
    XcamSpark.Outcome o = XcamSpark.explainTo(spark, Inputs.images(spark, List.of("phantom:24"), 0), gradcam().build(), out, false,
        Map.of());
    assertThat(o.rowsAdded()).isEqualTo(48 - kept);
    assertThat(o.computed()).isEqualTo(24 - kept / 2);
    assertEachOnce(table(out), 24, 2);
    System.out.println("killed job kept " + kept + " of 48 rows; the rerun computed " + o.computed() + " images");

    XcamSpark.Outcome added = XcamSpark.explainTo(spark, Inputs.images(spark, List.of("phantom:24"), 0),
        gradcam().methods(List.of("gradcam", "hirescam", "xgradcam")).build(), out, false, Map.of());
    assertThat(added.rowsAdded()).isEqualTo(24);
    assertEachOnce(table(out), 24, 3);
  }

  @Test @DisplayName("a rerun with other settings into the same output is refused before any work")
  void otherSettings() {
    String out = dir.resolve("settings").toUri().toString();
    XcamSpark.explainTo(spark, Inputs.images(spark, List.of("phantom:4"), 0), gradcam().build(), out, false, Map.of());
    assertThatThrownBy(() -> XcamSpark.explainTo(spark, Inputs.images(spark, List.of("phantom:4"), 0), gradcam().seed(7).build(),
        out, false, Map.of())).isInstanceOf(InvalidInputException.class).hasMessageContaining("other settings");
    assertThatThrownBy(() -> XcamSpark.explainTo(spark, Inputs.images(spark, List.of("phantom:4"), 0),
        gradcam().option("gradcam", "aug-smooth", "true").build(), out, false, Map.of()))
        .isInstanceOf(InvalidInputException.class);
  }

  @Test @DisplayName("evaluate from a CSV table: a missing image is a skipped row, counted in the summary; a rerun does no work")
  void evaluateTable() throws IOException {
    Path images = Files.createDirectories(dir.resolve("table"));
    StringBuilder csv = new StringBuilder("image,label,x,y,w,h\n");
    for (int s = 0; s < 5; s++) {
      Sample p = Datasets.phantomSample(s, info.input(), info.labels());
      ImageIO.write(p.display(), "png", images.resolve("t" + s + ".png").toFile());
      if (p.boxes().isEmpty()) csv.append("t").append(s).append(".png,").append(p.label()).append(",,,,\n");
      for (var b : p.boxes()) {
        csv.append("t").append(s).append(".png,").append(p.label()).append(',').append(b.x0()).append(',').append(b.y0())
            .append(',').append(b.width()).append(',').append(b.height()).append('\n');
      }
    }
    csv.append("missing.png,normal,,,,\n");
    Files.writeString(images.resolve("labels.csv"), csv);
    String out = dir.resolve("table-out").toUri().toString();
    EvaluateSpec spec = EvaluateSpec.builder(ModelRef.of(bundle)).methods(List.of("gradcam")).metrics(List.of("pointing-game"))
        .overlays(2).build();
    String ds = "csv:" + images.resolve("labels.csv");
    XcamSpark.Outcome o = XcamSpark.evaluateTo(spark, Inputs.dataset(spark, ds, 0), spec, out, ds, 0);
    assertThat(o.images()).isEqualTo(6);
    assertThat(o.errorRows()).isEqualTo(1);
    Map<?, ?> summary = (Map<?, ?>) org.xcam.api.bundle.Json.parse(Files.readString(dir.resolve("table-out/summary.json")));
    assertThat(((Map<?, ?>) summary.get("skipped")).keySet().toString()).isEqualTo("[missing]");
    assertThat(((Map<?, ?>) summary.get("images")).get("evaluated")).isEqualTo(5L);
    assertThat(dir.resolve("table-out/overlays/t0__gradcam.png")).exists();
    assertThat(dir.resolve("table-out/overlays/t1__image.png")).exists();
    XcamSpark.Outcome again = XcamSpark.evaluateTo(spark, Inputs.dataset(spark, ds, 0), spec, out, ds, 0);
    assertThat(again.computed()).isZero();
    assertThat(again.rows()).isEqualTo(6);
  }

  @Test @DisplayName("DICOM files are read on the executors through the image-reader SPI: the maps equal xcam explain's; a file "
      + "the reader refuses is an error row")
  void dicom() throws IOException {
    Path images = Files.createDirectories(dir.resolve("dicom"));
    for (String f : List.of("cxr-mono2-8bit.dcm", "cxr-12bit.dcm", "refused-multiframe.dcm")) {
      try (var in = ReliabilityTest.class.getResourceAsStream("/dicom/" + f)) {
        Files.copy(in, images.resolve(f));
      }
    }
    String out = dir.resolve("dicom-out").toUri().toString();
    XcamSpark.Outcome o = XcamSpark.explainTo(spark, Inputs.images(spark, List.of(images.toString()), 0),
        gradcam().methods(List.of("gradcam")).build(), out, false, Map.of());
    assertThat(o.rows()).isEqualTo(3);
    assertThat(o.errorRows()).isEqualTo(1);
    Path single = dir.resolve("dicom-single");
    assertThat(org.xcam.cli.XcamCli.run("explain", "--model", bundle, "--method", "gradcam", "--batch", "4", "--out", single.toString(),
        images.resolve("cxr-mono2-8bit.dcm").toString(), images.resolve("cxr-12bit.dcm").toString())).isZero();
    for (Row r : table(out)) {
      if (r.getAs("error") != null) {
        assertThat((String) r.getAs("id")).isEqualTo("refused-multiframe");
        continue;
      }
      org.xcam.api.Tensor want = org.xcam.api.Tensor.readNpy(single.resolve(r.getAs("id") + ".gradcam.raw.npy"));
      List<Float> raw = r.getList(r.fieldIndex("raw"));
      for (int i = 0; i < want.size(); i++) assertThat((double) raw.get(i)).isCloseTo(want.get(i), org.assertj.core.api.Assertions.within(1e-6));
    }
  }

  @Test @DisplayName("two inputs with the same id are refused up front (outputs are keyed by the file stem)")
  void duplicateIds() throws IOException {
    Path a = Files.createDirectories(dir.resolve("dup/a"));
    Path b = Files.createDirectories(dir.resolve("dup/b"));
    Sample p = Datasets.phantomSample(1, info.input(), info.labels());
    ImageIO.write(p.display(), "png", a.resolve("x.png").toFile());
    ImageIO.write(p.display(), "png", b.resolve("x.png").toFile());
    assertThatThrownBy(() -> XcamSpark.explain(spark, Inputs.images(spark, List.of(a.toString(), b.toString()), 0), gradcam().build()))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("id 'x'");
  }
}
