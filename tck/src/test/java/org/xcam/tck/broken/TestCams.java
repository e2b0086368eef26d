package org.xcam.tck.broken;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.xcam.api.Capability;
import org.xcam.api.ExplainRequest;
import org.xcam.api.Explainer;
import org.xcam.api.Explanation;
import org.xcam.api.Heatmap;
import org.xcam.api.LayerHook;
import org.xcam.api.Model;
import org.xcam.api.Objective;
import org.xcam.api.Objectives;
import org.xcam.api.OptionSpec;
import org.xcam.api.Options;
import org.xcam.api.Passes;
import org.xcam.api.Tensor;
import org.xcam.api.spi.ExplainerProvider;

/**
 * A plain Grad-CAM written here, independent of plugins-gradient, and deliberately broken variants of it. The kit must
 * pass on the first and fail, in the right group, on each of the others.
 */
public final class TestCams {
  private TestCams() { }

  /** How a variant misbehaves. */
  enum Defect { NONE, NAN, IGNORES_TARGET, CONSTANT, WRONG_SHAPE, MODIFIES_INPUT, RANDOM, LEAKS }

  abstract static class Base implements ExplainerProvider {
    abstract Defect defect();
    @Override public String description() { return "test Grad-CAM (" + defect() + ")"; }
    @Override public Set<Capability> requires() { return EnumSet.of(Capability.LAYER_CUT, Capability.VJP); }
    @Override public List<OptionSpec> options() { return List.of(); }
    @Override public Explainer create(Options o) { return new Cam(name(), defect()); }
  }

  public static final class Good extends Base {
    @Override public String name() { return "test-gradcam"; }
    @Override Defect defect() { return Defect.NONE; }
  }

  public static final class NaNCam extends Base {
    @Override public String name() { return "broken-nan"; }
    @Override Defect defect() { return Defect.NAN; }
  }

  public static final class IgnoresTarget extends Base {
    @Override public String name() { return "broken-ignores-target"; }
    @Override Defect defect() { return Defect.IGNORES_TARGET; }
  }

  public static final class Constant extends Base {
    @Override public String name() { return "broken-constant"; }
    @Override Defect defect() { return Defect.CONSTANT; }
  }

  public static final class WrongShape extends Base {
    @Override public String name() { return "broken-wrong-shape"; }
    @Override Defect defect() { return Defect.WRONG_SHAPE; }
  }

  public static final class ModifiesInput extends Base {
    @Override public String name() { return "broken-modifies-input"; }
    @Override Defect defect() { return Defect.MODIFIES_INPUT; }
  }

  public static final class RandomCam extends Base {
    @Override public String name() { return "broken-random"; }
    @Override Defect defect() { return Defect.RANDOM; }
  }

  public static final class Leaky extends Base {
    @Override public String name() { return "broken-leaks"; }
    @Override Defect defect() { return Defect.LEAKS; }
  }

  /** Native memory a leaking method never gives back (direct buffers held forever). */
  static final List<java.nio.ByteBuffer> LEAKED = new ArrayList<>();

  static final class Cam implements Explainer {
    private final String name;
    private final Defect defect;
    private final Random random = new Random();

    Cam(String name, Defect defect) {
      this.name = name;
      this.defect = defect;
    }

    @Override public String name() { return name; }

    @Override public List<Explanation> explain(Model model, ExplainRequest r) {
      String layer = r.layers().isEmpty() ? model.info().defaultLayer() : r.layers().get(0);
      LayerHook hook = model.layer(layer);
      Tensor x = r.input();
      if (defect == Defect.MODIFIES_INPUT) poke(x);
      if (defect == Defect.LEAKS) {
        synchronized (LEAKED) { LEAKED.add(java.nio.ByteBuffer.allocateDirect(1 << 20)); }
      }
      Tensor a = hook.activation(x);
      int n = x.dim(0), c = a.dim(1), h = a.dim(2), w = a.dim(3);
      List<Objective> objectives = new ArrayList<>();
      var tg = hook.tailWithGradient(a, y -> {
        float[] row = new float[y.dim(1)];
        for (int i = 0; i < n; i++) {
          y.copyTo(i * y.dim(1), row, 0, row.length);
          var t = defect == Defect.IGNORES_TARGET ? org.xcam.api.Target.predicted() : r.target(i);
          objectives.add(t.resolve(model.info(), row).get(0));
        }
        return Objectives.gradients(objectives, y);
      });
      double[] scores = Objectives.values(objectives, tg.output());
      float[] av = a.toArray(), gv = tg.gradient().toArray();
      List<Explanation> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        float[] map = new float[h * w];
        for (int k = 0; k < c; k++) {
          double wk = 0;
          int base = (i * c + k) * h * w;
          for (int p = 0; p < h * w; p++) wk += gv[base + p];
          wk /= h * w;
          for (int p = 0; p < h * w; p++) map[p] += (float) (wk * av[base + p]);
        }
        for (int p = 0; p < map.length; p++) map[p] = Math.max(0, map[p]);
        switch (defect) {
          case NAN -> map[0] = Float.NaN;
          case CONSTANT -> java.util.Arrays.fill(map, 0.5f);
          case RANDOM -> { for (int p = 0; p < map.length; p++) map[p] = random.nextFloat(); }
          default -> { }
        }
        if (defect == Defect.NAN) {
          // what a careless method does: build the map without Heatmap's check
          out.add(nanExplanation(i, map, h, w, layer, objectives.get(i), scores[i], x));
          continue;
        }
        Heatmap raw = Heatmap.of(map, h, w, name, layer, objectives.get(i).describe(), Heatmap.Resolution.LAYER);
        int outH = defect == Defect.WRONG_SHAPE ? x.dim(2) / 2 : x.dim(2);
        int outW = defect == Defect.WRONG_SHAPE ? x.dim(3) / 2 : x.dim(3);
        out.add(Explanation.of(i, raw, outH, outW, objectives.get(i), scores[i], Passes.NONE, null));
      }
      return out;
    }

    private Explanation nanExplanation(int i, float[] map, int h, int w, String layer, Objective o, double score, Tensor x) {
      // Heatmap.of refuses NaN, so a broken method would fail there; the kit must report it as a contract failure.
      Heatmap raw = Heatmap.of(map, h, w, name, layer, o.describe(), Heatmap.Resolution.LAYER);
      return Explanation.of(i, raw, x.dim(2), x.dim(3), o, score, Passes.NONE, null);
    }

    private static void poke(Tensor x) {
      try {
        Field f = Tensor.class.getDeclaredField("data");
        f.setAccessible(true);
        float[] d = (float[]) f.get(x);
        d[0] += 1f;
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
