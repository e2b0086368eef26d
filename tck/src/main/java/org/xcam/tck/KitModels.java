package org.xcam.tck;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xcam.api.Model;
import org.xcam.api.XcamException;
import org.xcam.api.spi.EngineProvider;
import org.xcam.runtime.Fixtures;
import org.xcam.runtime.Xcam;
import org.xcam.tck.fixtures.Reference;

/**
 * The fixture models the kits run on, loaded once per JVM and per engine (loading native models is the slow part of
 * a kit run). Every engine found on the class path that can load a fixture bundle contributes one {@link ModelCase}.
 */
public final class KitModels {
  private static final Map<String, ModelCase> CACHE = new LinkedHashMap<>();
  private static Xcam xcam;

  private KitModels() { }

  /** One fixture model on one engine. */
  public record ModelCase(String fixture, String engine, Model model) {
    @Override public String toString() { return fixture + " on " + engine; }
  }

  public static synchronized Xcam xcam() {
    if (xcam == null) xcam = Xcam.create();
    return xcam;
  }

  /** The pytorch-grad-cam reference bundle (phantom-small) on every engine that can load it. */
  public static synchronized List<ModelCase> reference() { return onEveryEngine("phantom-small", Reference.bundle()); }

  /** The project's embedded phantom-cxr bundle on every engine that can load it (empty if the runtime lacks it). */
  public static synchronized List<ModelCase> phantom() {
    return Fixtures.available() ? onEveryEngine("phantom-cxr", Fixtures.phantomBundle()) : List.of();
  }

  /**
   * The pytorch-grad-cam transformer reference {@code tiny-vit} (token layers [N, 65, 64]: a class token and an 8 x 8
   * grid; random-init, 1 x 64 x 64 input) as the exporter's bundle on the TorchScript engine, when that engine is on the
   * class path. The kits run on it as on the CNN fixtures: every layer method through the spatial view.
   */
  public static synchronized List<ModelCase> transformer() {
    EngineProvider djl = xcam().engines().get("djl");
    if (djl == null) return List.of();
    Path bundle = Reference.root().resolve("tiny-vit/bundle");
    ModelCase c = CACHE.get("tiny-vit@djl");
    if (c == null) {
      try {
        c = new ModelCase("tiny-vit", "djl", djl.load(bundle, Map.of()));
      } catch (XcamException ex) {
        throw new XcamException("engine 'djl' failed to load the fixture tiny-vit: " + ex.getMessage(), ex);
      }
      CACHE.put("tiny-vit@djl", c);
    }
    return List.of(c);
  }

  /**
   * Whether the fixture was trained. The transformer reference {@code tiny-vit} is random-init (its labels are
   * nominal), so checks that compare a trained model with a randomised one (Adebayo et al.'s model randomisation)
   * have nothing to compare on it and skip it.
   */
  public static boolean trained(ModelCase m) { return !m.fixture().equals("tiny-vit"); }

  /** The CNN fixtures only (the reference bundle and the phantom bundle on every engine). */
  public static List<ModelCase> cnn() {
    List<ModelCase> l = new ArrayList<>(reference());
    l.addAll(phantom());
    return l;
  }

  /** The CNN fixtures on every engine, and the tiny ViT ({@link #transformer()}). */
  public static List<ModelCase> all() {
    List<ModelCase> l = new ArrayList<>(reference());
    l.addAll(phantom());
    l.addAll(transformer());
    return l;
  }

  private static List<ModelCase> onEveryEngine(String fixture, Path bundle) {
    List<ModelCase> out = new ArrayList<>();
    for (EngineProvider e : xcam().engines().values()) {
      boolean can;
      try {
        can = e.canLoad(bundle);
      } catch (RuntimeException ex) {
        can = false;
      }
      if (!can) continue;
      String key = fixture + "@" + e.name();
      ModelCase c = CACHE.get(key);
      if (c == null) {
        try {
          c = new ModelCase(fixture, e.name(), e.load(bundle, Map.of()));
        } catch (XcamException ex) {
          throw new XcamException("engine '" + e.name() + "' failed to load the fixture " + fixture + ": " + ex.getMessage(), ex);
        }
        CACHE.put(key, c);
      }
      out.add(c);
    }
    return out;
  }
}
