package org.xcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.bundle.Json;
import org.xcam.cli.ExplainCommandTest.Run;
import org.xcam.runtime.Xcam;
import org.xcam.runtime.phantom.PhantomGenerator;
import org.xcam.tck.fixtures.Reference;

/**
 * The CLI reaches plugins only through their SPIs: it imports no plugin class, and taking plugins-anatomy off the class
 * path removes its detectors from {@code xcam list} and breaks nothing else (explain with regions, estimate, the plugin
 * benchmark, the demo); the detector commands then fail in one line saying what to add.
 */
class PluginsBehindSpiTest {
  /** Hides one plugin: its classes and every resource (service files included) from its jar or class directory. */
  static final class Without extends ClassLoader {
    private final String pkg;
    private final String location;

    Without(ClassLoader parent, String pkg, String location) {
      super(parent);
      this.pkg = pkg;
      this.location = location;
    }

    @Override protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (name.startsWith(pkg)) throw new ClassNotFoundException(name + " (its plugin is removed in this test)");
      return super.loadClass(name, resolve);
    }

    @Override public URL getResource(String name) {
      for (URL u : Collections.list(kept(name))) return u;
      return null;
    }

    @Override public Enumeration<URL> getResources(String name) { return kept(name); }

    private Enumeration<URL> kept(String name) {
      List<URL> kept = new ArrayList<>();
      try {
        for (URL u : Collections.list(getParent().getResources(name))) if (!u.toString().contains(location)) kept.add(u);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return Collections.enumeration(kept);
    }
  }

  /** Runs {@code c} with plugins-anatomy taken off the (context) class path: its jar's classes and service files. */
  static <T> T hidden(Callable<T> c) throws Exception {
    Class<?> provider = Xcam.create().detectorProvider("adpd").getClass();   // found through the SPI, not imported
    String location = provider.getProtectionDomain().getCodeSource().getLocation().toString();
    ClassLoader old = Thread.currentThread().getContextClassLoader();
    Thread.currentThread().setContextClassLoader(new Without(old, provider.getPackageName() + ".", location));
    try {
      return c.call();
    } finally {
      Thread.currentThread().setContextClassLoader(old);
    }
  }

  /** Runs {@code xcam args} with plugins-anatomy taken off the class path. */
  static Run withoutAnatomy(String... args) throws Exception { return hidden(() -> ExplainCommandTest.xcam(args)); }

  @Test @DisplayName("cli/src/main imports no plugin, engine or metric class (they are runtime-scope dependencies)")
  void importsNoPlugin() throws IOException {
    List<String> offending = new ArrayList<>();
    try (Stream<Path> s = Files.walk(Path.of("src/main/java"))) {
      for (Path p : s.filter(f -> f.toString().endsWith(".java")).toList()) {
        for (String line : Files.readAllLines(p)) {
          if (line.matches(".*\\borg\\.xcam\\.(plugins|engine|metrics)\\..*")) offending.add(p + ": " + line.trim());
        }
      }
    }
    assertThat(offending).isEmpty();
  }

  @Test @DisplayName("with every plugin installed, xcam list shows the anatomy detectors and the iba benchmark")
  void listed() {
    Run r = ExplainCommandTest.xcam("list");
    assertThat(r.code()).as(r.err()).isZero();
    String detectors = r.out().substring(r.out().indexOf("Detectors:"));
    assertThat(detectors).contains("adpd ", "adpd-no-wbf", "cam-boxes", "reads anatomy-detection", "uses a method's heatmaps");
    assertThat(r.out()).contains("Plugin benchmarks").contains("needs preparation activation-stats");
  }

  @Test @DisplayName("without plugins-anatomy: no detector is listed, and methods, metrics, engines and benchmarks still are")
  void listWithoutAnatomy() throws Exception {
    Run r = withoutAnatomy("list");
    assertThat(r.code()).as(r.err()).isZero();
    String out = r.out();
    assertThat(out.substring(out.indexOf("Detectors:"))).doesNotContain("adpd").doesNotContain("cam-boxes");
    assertThat(out).contains("djl", "onnx", "gradcam", "iba", "pointing-game", "Plugin benchmarks");
    assertThat(out).doesNotContain("Skipped");
  }

  @Test @DisplayName("without plugins-anatomy: explain --regions, estimate and the demo still work")
  @SuppressWarnings("unchecked")
  void nothingElseBreaks(@TempDir Path dir) throws Exception {
    Path csv = Files.writeString(dir.resolve("regions.csv"), "name,x0,y0,x1,y1\nright,32,0,64,64\nleft,0,0,32,64\n");
    Run e = withoutAnatomy("explain", "--model", Reference.bundle().toString(), "--method", "gradcam", "--regions", csv.toString(),
        "--out", dir.resolve("explain").toString(), ExplainCommandTest.input(dir, 0).toString());
    assertThat(e.code()).as(e.err()).isZero();
    Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(dir.resolve("explain/manifest.json")));
    assertThat(((List<Map<String, Object>>) m.get("results")).get(0)).containsKey("regionAttribution");

    Run s = withoutAnatomy("estimate", "--model", Reference.bundle().toString(), "--layer", "features.14", "--images", "phantom:12",
        "--out", dir.resolve("stats").toString());
    assertThat(s.code()).as(s.err()).isZero();
    assertThat(dir.resolve("stats/features.14.json")).isRegularFile();

    Run d = withoutAnatomy("demo", "--methods", "gradcam", "--out", dir.resolve("demo").toString());
    assertThat(d.code()).as(d.err()).isZero();
    assertThat(dir.resolve("demo/index.html")).isRegularFile();
  }

  @Test @DisplayName("without plugins-anatomy: detect and evaluate --task detection fail in one line naming what to add, exit 2")
  void detectorsGone(@TempDir Path dir) throws Exception {
    Path img = dir.resolve("p.npy");
    PhantomGenerator.generate(3, 64, "effusion").normalized(0.5, 0.25).writeNpy(img);
    Run d = withoutAnatomy("detect", "--model", Reference.bundle().toString(), "--out", dir.resolve("d").toString(), img.toString());
    assertThat(d.code()).isEqualTo(2);
    assertThat(d.err().strip()).doesNotContain("\n").contains("unknown detector 'adpd'; available: (none)", "add the plugin jar");
    Run e = withoutAnatomy("evaluate", "--task", "detection", "--dataset", "phantom:4", "--methods", "gradcam", "--no-progress",
        "--out", dir.resolve("e").toString());
    assertThat(e.code()).isEqualTo(2);
    assertThat(e.err().strip()).doesNotContain("\n").contains("no detector is installed");
  }

  @Test @DisplayName("without plugins-anatomy the runtime sees no detector and no class of the plugin; with it, three detectors")
  void runtimeView() throws Exception {
    assertThat(Xcam.create().detectors()).containsKeys("adpd", "adpd-no-wbf", "cam-boxes");
    String cls = Xcam.create().detectorProvider("adpd").getClass().getName();
    assertThat(hidden(() -> Xcam.create().detectors())).isEmpty();
    assertThat(hidden(() -> Xcam.create().explainers())).containsKeys("gradcam", "iba");
    assertThat(hidden(() -> {
      try {
        Class.forName(cls, false, Thread.currentThread().getContextClassLoader());
        return "loaded";
      } catch (ClassNotFoundException e) {
        return "hidden";
      }
    })).isEqualTo("hidden");
  }
}
