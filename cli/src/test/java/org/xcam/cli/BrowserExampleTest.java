package org.xcam.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.Tensor;
import org.xcam.api.bundle.Json;
import org.xcam.runtime.Fixtures;

/**
 * examples/browser in headless Chromium: the page runs a compiled phantom-cxr model with onnxruntime-web on a PNG, and
 * the heatmaps it computes equal the maps {@code xcam explain} writes for the same PNG (max |diff| <= 1e-4, both
 * min-max normalised). Skips, saying what is missing, without Chromium ({@code apt-get install chromium}), Node.js or
 * the example's npm packages ({@code cd examples/browser && npm ci}); .ci/run installs all three.
 */
class BrowserExampleTest {
  private static final Path EXAMPLE = Path.of("..", "examples", "browser");

  @Test @DisplayName("the browser page's heatmaps equal xcam explain's (max |diff| <= 1e-4) and its prediction is the model's")
  @SuppressWarnings("unchecked")
  void pageEqualsExplain(@TempDir Path dir) throws Exception {
    Path chromium = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
    assumeTrue(Files.isExecutable(chromium), "no Chromium at " + chromium + " (apt-get install chromium, or set CHROMIUM): browser test skipped");
    assumeTrue(run(dir, List.of("node", "--version")) == 0, "no Node.js on the PATH (apt-get install nodejs npm): browser test skipped");
    assumeTrue(Files.isDirectory(EXAMPLE.resolve("node_modules/onnxruntime-web")) && Files.isDirectory(EXAMPLE.resolve("node_modules/playwright-core")),
        "examples/browser has no node_modules (cd examples/browser && npm ci): browser test skipped");
    assumeTrue(Fixtures.available(), "the phantom-cxr fixture is not on the class path");

    Path model = dir.resolve("phantom-cxr.xcam.onnx");
    String bundle = Fixtures.phantomBundle().toString();
    var c = ExplainCommandTest.xcam("compile", "--model", bundle, "--method", "gradcam,hirescam,gg-cam,recipro-cam", "--out", model.toString());
    assertThat(c.code()).as(c.err()).isZero();
    Path png = dir.resolve("effusion.png");
    Files.copy(Fixtures.phantomBundle().resolve("samples/effusion-10100001.png"), png);
    Path out = dir.resolve("explain");
    var e = ExplainCommandTest.xcam("explain", "--model", bundle, "--method", "gradcam,hirescam,gg-cam,recipro-cam", "--out", out.toString(), png.toString());
    assertThat(e.code()).as(e.err()).isZero();

    Path json = dir.resolve("page.json");
    int rc = run(dir, List.of("node", EXAMPLE.resolve("test/run-page.mjs").toAbsolutePath().toString(), "--model", model.toString(),
        "--image", png.toString(), "--out", json.toString(), "--screenshot", dir.resolve("page.png").toString()));
    assertThat(rc).as("node test/run-page.mjs (see its output above)").isZero();
    Map<String, Object> page = (Map<String, Object>) Json.parse(Files.readString(json, StandardCharsets.UTF_8));
    assertThat(page.get("error")).as("page error; console: %s", page.get("logs")).isNull();
    Map<String, Object> result = (Map<String, Object>) page.get("result");
    Map<String, Object> manifest = (Map<String, Object>) Json.parse(Files.readString(out.resolve("manifest.json")));
    Map<String, Object> first = ((List<Map<String, Object>>) manifest.get("results")).get(0);
    assertThat(((Number) result.get("classIndex")).intValue()).as("the page's prediction").isEqualTo(((Number) first.get("targetClass")).intValue());
    Map<String, List<Number>> maps = (Map<String, List<Number>>) result.get("maps");
    for (String m : List.of("gradcam", "hirescam", "gg-cam", "recipro-cam")) {
      List<Number> mine = maps.get("xcam_" + m.replace('-', '_'));
      float[] theirs = Tensor.readNpy(out.resolve("effusion." + m + ".npy")).toArray();
      assertThat(mine).as(m).hasSize(theirs.length);
      double d = 0;
      for (int i = 0; i < theirs.length; i++) d = Math.max(d, Math.abs(mine.get(i).doubleValue() - theirs[i]));
      System.out.printf("browser page vs xcam explain, %s: max |diff| %.2e%n", m, d);
      assertThat(d).as("%s: max |page - explain|", m).isLessThanOrEqualTo(1e-4);
    }
  }

  private static int run(Path dir, List<String> cmd) throws Exception {
    try {
      Process p = new ProcessBuilder(cmd).directory(EXAMPLE.toFile()).redirectErrorStream(true).start();
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(180, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return -1;
      }
      if (!text.isBlank()) System.out.print(text);
      return p.exitValue();
    } catch (java.io.IOException ex) {
      return -1;
    }
  }
}
