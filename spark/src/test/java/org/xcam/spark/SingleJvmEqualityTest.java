package org.xcam.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.ModelInfo;
import org.xcam.api.Tensor;
import org.xcam.api.bundle.Json;
import org.xcam.cli.XcamCli;
import org.xcam.runtime.Fixtures;
import org.xcam.runtime.eval.Datasets;

/**
 * The distributed results equal the single-JVM commands' on phantom:64 with gradcam, rise and iba: the reference is
 * {@code xcam explain} / {@code xcam evaluate} themselves, run in this JVM through their command line.
 */
class SingleJvmEqualityTest {
  static final int N = 64;
  static final String METHODS = "gradcam,rise,iba";
  /**
   * RISE with fewer masks than its default 4000, and IBA with fewer steps and noise samples than its 10 and 10, keep
   * the test short; both sides use the same options, and the code paths are those of the defaults.
   */
  static final String RISE_MASKS = "50";
  static final String IBA_STEPS = "5";
  static final String IBA_SAMPLES = "4";
  static SparkSession spark;
  static String bundle;
  static ModelInfo info;
  @TempDir static Path dir;

  @BeforeAll static void start() {
    spark = SparkTestSession.start();
    bundle = Fixtures.phantomBundle().toString();
    info = ModelCache.get(ModelRef.of(bundle), spark.sparkContext().hadoopConfiguration()).model().info();
  }

  @AfterAll static void stop() { spark.stop(); }

  @Test @DisplayName("tasks see a model with concurrency 1: Spark runs one task per core, so parallel=auto methods do not multiply it")
  void oneCallPerTask() {
    org.xcam.api.Model m = ModelCache.get(ModelRef.of(bundle), spark.sparkContext().hadoopConfiguration()).model();
    assertThat(m.concurrency()).isEqualTo(1);
    assertThat(m.info()).isEqualTo(info);
    assertThat(m.capabilities()).contains(org.xcam.api.Capability.VJP, org.xcam.api.Capability.LAYER_CUT);
  }

  @Test @DisplayName("explain: every raw map of phantom:64 x {gradcam, rise, iba} equals xcam explain's within 1e-6, "
      + "with the same class, score and normalised map; the model is loaded once for all tasks")
  void explain() throws IOException {
    // xcam explain takes files: the very tensors phantom:N draws, as normalised .npy named like the phantom ids
    Path images = Files.createDirectories(dir.resolve("npy"));
    List<String> args = new ArrayList<>(List.of("explain", "--model", bundle, "--method", METHODS, "--option", "masks=" + RISE_MASKS,
        "--option", "steps=" + IBA_STEPS, "--option", "samples=" + IBA_SAMPLES, "--seed", "0", "--batch", "16",
        "--out", dir.resolve("single").toString()));
    for (int s = 0; s < N; s++) {
      Path f = images.resolve("phantom-" + s + ".npy");
      Datasets.phantomSample(s, info.input(), info.labels()).input().writeNpy(f);
      args.add(f.toString());
    }
    assertThat(XcamCli.run(args.toArray(new String[0]))).isZero();
    Map<String, Map<String, Object>> single = new HashMap<>();
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> records = (List<Map<String, Object>>) ((Map<String, Object>) Json.parse(
        Files.readString(dir.resolve("single/manifest.json")))).get("results");
    for (Map<String, Object> r : records) single.put(r.get("image") + "/" + r.get("method"), r);

    int loads = ModelCache.loads();
    ExplainSpec spec = ExplainSpec.builder(ModelRef.of(bundle)).methods(List.of(METHODS.split(",")))
        .option("rise", "masks", RISE_MASKS).option("iba", "steps", IBA_STEPS).option("iba", "samples", IBA_SAMPLES)
        .seed(0).batch(16).partitions(4).build();
    String out = dir.resolve("spark").toUri().toString();
    XcamSpark.Outcome o = XcamSpark.explainTo(spark, Inputs.images(spark, List.of("phantom:" + N), 0), spec, out, false, Map.of());
    assertThat(ModelCache.loads()).as("model loads in this JVM across the job's tasks").isEqualTo(loads);
    assertThat(o.rows()).isEqualTo(3L * N);
    assertThat(o.errorRows()).isZero();

    List<Row> rows = spark.read().parquet(out + "/" + XcamSpark.EXPLANATIONS).collectAsList();
    assertThat(rows).hasSize(3 * N);
    double worst = 0;
    for (Row r : rows) {
      String id = r.getAs("id");
      String method = r.getAs("method");
      Tensor want = Tensor.readNpy(dir.resolve("single").resolve(id + "." + method + ".raw.npy"));
      List<Integer> shape = r.getList(r.fieldIndex("raw_shape"));
      assertThat(shape).as(id + " " + method).containsExactly(want.dim(0), want.dim(1));
      List<Float> raw = r.getList(r.fieldIndex("raw"));
      assertThat(raw).hasSize(want.size());
      for (int i = 0; i < want.size(); i++) {
        assertThat((double) raw.get(i)).as(id + " " + method + " raw[" + i + "]").isCloseTo(want.get(i), within(1e-6));
        worst = Math.max(worst, Math.abs(raw.get(i) - want.get(i)));
      }
      Tensor map = Tensor.readNpy(new java.io.ByteArrayInputStream(r.getAs("map_npy")));
      assertThat(map.maxAbsDiff(Tensor.readNpy(dir.resolve("single").resolve(id + "." + method + ".npy")))).isLessThan(1e-6);
      Map<String, Object> s = single.get(id + "/" + method);
      assertThat(((Number) s.get("targetClass")).intValue()).isEqualTo((int) r.getAs("class_index"));
      assertThat((double) r.getAs("score")).isCloseTo(((Number) s.get("score")).doubleValue(), within(1e-6));
      assertThat((String) r.getAs("layer")).isEqualTo(s.get("layer"));
    }
    System.out.printf("explain phantom:%d x %s: worst raw-map difference to xcam explain %.3g%n", N, METHODS, worst);
  }

  @Test @DisplayName("evaluate: every metric value of phantom:64 x {gradcam, rise, iba} equals xcam evaluate's results.csv, "
      + "and the Spark SQL summary equals its summary.csv and summary.json (same bootstrap seed)")
  void evaluate() throws IOException {
    String metrics = "iou-energy-90,pointing-game,energy-in-box,sensitivity-n";
    Path single = dir.resolve("eval-single");
    assertThat(XcamCli.run("evaluate", "--model", bundle, "--dataset", "phantom:" + N, "--methods", METHODS, "--metrics", metrics,
        "--method-option", "rise.masks=" + RISE_MASKS, "--method-option", "iba.steps=" + IBA_STEPS,
        "--method-option", "iba.samples=" + IBA_SAMPLES, "--metric-option", "sensitivity-n.samples=8", "--seed", "3",
        "--overlays", "0", "--no-progress", "--out", single.toString())).isZero();

    EvaluateSpec spec = EvaluateSpec.builder(ModelRef.of(bundle)).methods(List.of(METHODS.split(",")))
        .metrics(List.of(metrics.split(",")))
        .methodOptions(Map.of("rise", Map.of("masks", RISE_MASKS), "iba", Map.of("steps", IBA_STEPS, "samples", IBA_SAMPLES)))
        .metricOptions(Map.of("sensitivity-n", Map.of("samples", "8"))).seed(3).overlays(0).partitions(3).build();
    String out = dir.resolve("eval-spark").toUri().toString();
    XcamSpark.Outcome o = XcamSpark.evaluateTo(spark, Inputs.dataset(spark, "phantom:" + N, 3), spec, out, "phantom:" + N, 0);
    assertThat(o.rows()).isEqualTo(3L * N);

    Map<String, Row> byKey = new HashMap<>();
    for (Row r : spark.read().parquet(out + "/" + XcamSpark.EVALUATIONS).collectAsList()) {
      byKey.put(r.getAs("id") + "/" + r.getAs("method"), r);
    }
    List<String> lines = Files.readAllLines(single.resolve("results.csv"));
    assertThat(lines).hasSize(1 + N * 3 * 4);
    for (String line : lines.subList(1, lines.size())) {
      List<String> f = csv(line);
      Row r = byKey.get(f.get(0) + "/" + f.get(1));
      assertThat(r).as(line).isNotNull();
      Double v = r.getAs(f.get(2));
      if (f.get(3).isEmpty()) assertThat(v).as(line).isNull();
      else assertThat(v).as(line).isEqualTo(Double.parseDouble(f.get(3)));
      @SuppressWarnings("unchecked")
      Map<String, String> notes = scala.jdk.javaapi.CollectionConverters.asJava(
          (scala.collection.Map<String, String>) r.getAs("metric_notes"));
      assertThat(notes.getOrDefault(f.get(2), "")).as(line).isEqualTo(f.get(4));
      assertThat((String) r.getAs("truth")).isEqualTo(f.get(5));
      assertThat((String) r.getAs("label")).isEqualTo(f.get(6));
      assertThat((String) r.getAs("predicted")).isEqualTo(f.get(7));
      assertThat(String.valueOf((Boolean) r.getAs("correct"))).isEqualTo(f.get(8));
    }

    List<String> want = Files.readAllLines(single.resolve("summary.csv")).stream().filter(l -> !l.contains("seconds-per-image")).toList();
    List<String> got = List.of(Output.read(spark.sparkContext().hadoopConfiguration(), out + "/summary.csv").split("\n")).stream()
        .filter(l -> !l.contains("seconds-per-image")).toList();
    assertThat(got).containsExactlyElementsOf(want);
    assertThat(want.size()).isGreaterThan(3 * 4 * 3);
    Map<?, ?> wantJson = (Map<?, ?>) Json.parse(Files.readString(single.resolve("summary.json")));
    Map<?, ?> gotJson = (Map<?, ?>) Json.parse(Output.read(spark.sparkContext().hadoopConfiguration(), out + "/summary.json"));
    for (String k : List.of("dataset", "images", "rows", "skipped", "notScoredReasons")) {
      assertThat(gotJson.get(k)).as(k).isEqualTo(wantJson.get(k));
    }
  }

  private static List<String> csv(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean q = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (q) {
        if (c == '"') {
          if (i + 1 < line.length() && line.charAt(i + 1) == '"') { cur.append('"'); i++; } else q = false;
        } else cur.append(c);
      } else if (c == '"') q = true;
      else if (c == ',') { out.add(cur.toString()); cur.setLength(0); }
      else cur.append(c);
    }
    out.add(cur.toString());
    return out;
  }
}
