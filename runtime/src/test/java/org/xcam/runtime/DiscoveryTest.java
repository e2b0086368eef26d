package org.xcam.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xcam.api.Capability;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Model;
import org.xcam.api.ModelLoadException;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.UnknownNameException;
import org.xcam.api.XcamException;
import org.xcam.api.spi.EngineProvider;
import org.xcam.api.spi.ExplainerProvider;

class DiscoveryTest {
  public static class Good implements ExplainerProvider {
    @Override public String name() { return "good-cam"; }
    @Override public String description() { return "a test method"; }
    @Override public Set<Capability> requires() { return Set.of(Capability.VJP); }
    @Override public List<OptionSpec> options() { return List.of(new OptionSpec("k", "1", "a number")); }
    @Override public Explainer create(Options o) {
      return new Explainer() {
        @Override public String name() { return "good-cam"; }
        @Override public List<Explanation> explain(Model m, ExplainRequest r) { return List.of(); }
      };
    }
  }

  public static class GoodTwin extends Good { }

  public static class Broken extends Good {
    public Broken() { throw new IllegalStateException("boom"); }
  }

  public static class BadName extends Good {
    @Override public String name() { return "Bad Name!"; }
  }

  public static class FakeEngine implements EngineProvider {
    @Override public String name() { return "fake"; }
    @Override public int rank() { return 1; }
    @Override public boolean canLoad(Path p) { return p.toString().endsWith(".fake"); }
    @Override public Model load(Path p, Map<String, String> o) { throw new ModelLoadException("fake engine loads nothing"); }
  }

  private static ClassLoader loaderWith(Path dir, Map<String, List<Class<?>>> services) throws Exception {
    for (var e : services.entrySet()) {
      Path f = dir.resolve("META-INF/services/" + e.getKey());
      Files.createDirectories(f.getParent());
      Files.writeString(f, String.join("\n", e.getValue().stream().map(Class::getName).toList()) + "\n");
    }
    return new URLClassLoader(new URL[] {dir.toUri().toURL()}, DiscoveryTest.class.getClassLoader());
  }

  @Test @DisplayName("A broken provider and one with an invalid name are skipped and reported; the good one is found")
  void skipsBroken(@TempDir Path dir) throws Exception {
    ClassLoader cl = loaderWith(dir, Map.of(ExplainerProvider.class.getName(), List.of(Broken.class, BadName.class, Good.class)));
    Xcam xcam = Xcam.create(cl);
    assertThat(xcam.explainers()).containsKey("good-cam");
    assertThat(xcam.discovery().skipped()).hasSize(2);
    assertThat(xcam.discovery().skipped().get(0)).contains("Broken").contains("boom");
  }

  @Test @DisplayName("Two different providers with one name fail, naming both classes and their locations")
  void duplicateNames(@TempDir Path dir) throws Exception {
    ClassLoader cl = loaderWith(dir, Map.of(ExplainerProvider.class.getName(), List.of(Good.class, GoodTwin.class)));
    assertThatThrownBy(() -> Xcam.create(cl)).isInstanceOf(XcamException.class)
        .hasMessageContaining("good-cam").hasMessageContaining("GoodTwin").hasMessageContaining("remove one");
  }

  @Test @DisplayName("An unknown method lists the available ones and says how to add one")
  void unknownMethod(@TempDir Path dir) throws Exception {
    Xcam xcam = Xcam.create(loaderWith(dir, Map.of(ExplainerProvider.class.getName(), List.of(Good.class))));
    assertThatThrownBy(() -> xcam.explainer("gradcm")).isInstanceOf(UnknownNameException.class)
        .hasMessageContaining("unknown method 'gradcm'").hasMessageContaining("good-cam").hasMessageContaining("plugin jar");
    assertThatThrownBy(() -> xcam.explainer("good-cam", Map.of("kk", "2"))).isInstanceOf(UnknownNameException.class)
        .hasMessageContaining("k");
  }

  @Test @DisplayName("Engine choice: an explicit unknown engine lists engines; a path no engine can load says so")
  void engineChoice(@TempDir Path dir) throws Exception {
    Xcam xcam = Xcam.create(loaderWith(dir, Map.of(EngineProvider.class.getName(), List.of(FakeEngine.class))));
    Path model = Files.writeString(dir.resolve("m.fake"), "x");
    Path other = Files.writeString(dir.resolve("m.other"), "x");
    assertThatThrownBy(() -> xcam.load(model, "nope", Map.of())).isInstanceOf(UnknownNameException.class).hasMessageContaining("fake");
    assertThatThrownBy(() -> xcam.load(model)).isInstanceOf(ModelLoadException.class).hasMessageContaining("fake engine");
    assertThatThrownBy(() -> xcam.load(other)).isInstanceOf(ModelLoadException.class).hasMessageContaining("no installed engine");
    assertThatThrownBy(() -> xcam.load(dir.resolve("missing"))).isInstanceOf(ModelLoadException.class).hasMessageContaining("does not exist");
  }
}
