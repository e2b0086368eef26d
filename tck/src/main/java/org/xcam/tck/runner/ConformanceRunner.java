package org.xcam.tck.runner;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.xcam.api.InvalidInputException;
import org.xcam.api.spi.DetectorProvider;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.api.spi.MetricProvider;

/**
 * Runs the compatibility kits against the providers of a plugin jar and prints a conformance report: passed, failed and
 * skipped tests per group, with the requirement sentence and the reason of every failure.
 *
 * <pre>{@code
 * int failures = ConformanceRunner.run(Path.of("max-gradcam.jar"), System.out);
 * }</pre>
 */
public final class ConformanceRunner {
  private ConformanceRunner() { }

  /** Group results for one provider. */
  record Group(String name, List<String> passed, List<String> failed, List<String> skipped) { }

  /** Returns the number of failed tests over every provider in the jar. */
  public static int run(Path jar, PrintStream out) throws Exception {
    if (!Files.isRegularFile(jar)) throw new InvalidInputException("no such plugin jar: " + jar);
    ClassLoader parent = Thread.currentThread().getContextClassLoader();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, parent)) {
      List<Object> providers = new ArrayList<>();
      for (ExplainerProvider p : ServiceLoader.load(ExplainerProvider.class, loader)) if (p.getClass().getClassLoader() == loader) providers.add(p);
      for (MetricProvider p : ServiceLoader.load(MetricProvider.class, loader)) if (p.getClass().getClassLoader() == loader) providers.add(p);
      for (DetectorProvider p : ServiceLoader.load(DetectorProvider.class, loader)) if (p.getClass().getClassLoader() == loader) providers.add(p);
      if (providers.isEmpty()) {
        throw new InvalidInputException(jar + " registers no method, metric or detector (META-INF/services/org.xcam.api.spi."
            + "ExplainerProvider, MetricProvider or DetectorProvider)");
      }
      Thread.currentThread().setContextClassLoader(loader);
      int failures = 0;
      try {
        for (Object p : providers) {
          Class<?> kit;
          String name;
          if (p instanceof ExplainerProvider e) {
            name = e.name();
            boolean batched = e.options().stream().anyMatch(o -> o.name().equals("batch-size"));
            kit = batched ? PluginKits.Perturbation.class : e.layerBased() ? PluginKits.Cam.class : PluginKits.Plain.class;
          } else if (p instanceof DetectorProvider d) {
            name = d.name();
            kit = PluginKits.DetectorKit.class;
          } else {
            name = ((MetricProvider) p).name();
            kit = PluginKits.Metric.class;
          }
          System.setProperty(PluginKits.PROPERTY, name);
          out.println("== " + name + " (" + p.getClass().getName() + ") against " + kit.getSimpleName().replace("Kit", "").toLowerCase() + " kit");
          Map<String, Group> groups = runKit(kit);
          for (Group g : groups.values()) {
            out.printf("  %-40s %3d passed %3d failed %3d skipped%n", g.name(), g.passed().size(), g.failed().size(), g.skipped().size());
            for (String f : g.failed()) out.println("      FAILED: " + f);
            for (String k : g.skipped()) out.println("      skipped: " + k);
            failures += g.failed().size();
          }
        }
      } finally {
        Thread.currentThread().setContextClassLoader(parent);
        System.clearProperty(PluginKits.PROPERTY);
      }
      out.println(failures == 0 ? "CONFORMANT: every requirement that applies passed (each skip above says why it does not apply)" : "NOT CONFORMANT: " + failures + " failed");
      return failures;
    }
  }

  static Map<String, Group> runKit(Class<?> kit) {
    Map<String, Group> groups = new LinkedHashMap<>();
    LauncherDiscoveryRequest req = LauncherDiscoveryRequestBuilder.request().selectors(selectClass(kit)).build();
    Launcher launcher = LauncherFactory.create();
    launcher.execute(req, new TestExecutionListener() {
      private TestPlan plan;

      @Override public void testPlanExecutionStarted(TestPlan p) { plan = p; }

      private Group group(TestIdentifier id) {
        String g = plan.getParent(id).map(TestIdentifier::getDisplayName).orElse("?");
        return groups.computeIfAbsent(g, k -> new Group(k, new ArrayList<>(), new ArrayList<>(), new ArrayList<>()));
      }

      @Override public void executionSkipped(TestIdentifier id, String reason) {
        if (id.isTest()) group(id).skipped().add(id.getDisplayName() + " (" + reason + ")");
      }

      @Override public void executionFinished(TestIdentifier id, TestExecutionResult r) {
        if (!id.isTest()) return;
        switch (r.getStatus()) {
          case SUCCESSFUL -> group(id).passed().add(id.getDisplayName());
          case ABORTED -> group(id).skipped().add(id.getDisplayName() + " ("
              + r.getThrowable().map(Throwable::getMessage).orElse("aborted") + ")");
          default -> group(id).failed().add(id.getDisplayName() + " -- "
              + r.getThrowable().map(t -> String.valueOf(t.getMessage()).replace('\n', ' ')).orElse("failed"));
        }
      }
    });
    return groups;
  }
}
