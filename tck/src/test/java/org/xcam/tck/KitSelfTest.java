package org.xcam.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.tck.KitModels.ModelCase;
import org.xcam.tck.broken.TestCams;

/**
 * The kit is tested itself: it passes on a correct Grad-CAM and fails, in the right group, on deliberately broken
 * ones. Each broken method is run through the kit with JUnit's EngineTestKit.
 */
class KitSelfTest {
  abstract static class OnReference extends CamExplainerCompatibilityKit {
    @Override protected List<ModelCase> models() { return KitModels.reference(); }
    @Override protected String referenceMethod() { return "gradcam"; }
  }

  static class GoodKit extends OnReference {
    @Override protected ExplainerProvider provider() { return new TestCams.Good(); }
  }

  static class NaNKit extends OnReference {
    @Override protected ExplainerProvider provider() { return new TestCams.NaNCam(); }
  }

  static class IgnoresTargetKit extends OnReference {
    @Override protected ExplainerProvider provider() { return new TestCams.IgnoresTarget(); }
  }

  static class ConstantKit extends OnReference {
    @Override protected ExplainerProvider provider() { return new TestCams.Constant(); }
  }

  static class WrongShapeKit extends OnReference {
    @Override protected ExplainerProvider provider() { return new TestCams.WrongShape(); }
  }

  static class ModifiesInputKit extends OnReference {
    @Override protected ExplainerProvider provider() { return new TestCams.ModifiesInput(); }
  }

  static class RandomKit extends OnReference {
    @Override protected ExplainerProvider provider() { return new TestCams.RandomCam(); }
  }

  static class LeakyKit extends OnReference {
    @Override protected ExplainerProvider provider() { return new TestCams.Leaky(); }
  }

  /** Display names of the groups (nested classes) that hold at least one failed test. */
  static Set<String> failedGroups(Class<?> kit) {
    Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectClass(kit)).execute().testEvents();
    Set<String> groups = new TreeSet<>();
    for (Event e : tests.failed().list()) {
      String g = e.getTestDescriptor().getParent().map(TestDescriptor::getDisplayName).orElse("?");
      groups.add(g);
      System.out.println(kit.getSimpleName() + " failed in " + g + ": " + e.getTestDescriptor().getDisplayName() + ": "
          + e.getPayload(org.junit.platform.engine.TestExecutionResult.class).flatMap(r -> r.getThrowable())
              .map(t -> t.getMessage() == null ? t.toString() : t.getMessage().replace('\n', ' ')).orElse(""));
    }
    return groups;
  }

  static long succeeded(Class<?> kit) {
    return EngineTestKit.engine("junit-jupiter").selectors(selectClass(kit)).execute().testEvents().succeeded().count();
  }

  @Test @DisplayName("The kit passes on a correct Grad-CAM, golden values against pytorch-grad-cam included")
  void passesOnGoodMethod() {
    assertThat(failedGroups(GoodKit.class)).isEmpty();
    assertThat(succeeded(GoodKit.class)).isGreaterThanOrEqualTo(15);
  }

  @Test @DisplayName("A method that produces NaN fails the Contract group")
  void nan() { assertThat(failedGroups(NaNKit.class)).contains("Contract"); }

  @Test @DisplayName("A method that ignores the target fails the Target sensitivity group")
  void ignoresTarget() { assertThat(failedGroups(IgnoresTargetKit.class)).contains("Target sensitivity"); }

  @Test @DisplayName("A method that returns a constant map fails Target sensitivity, the sanity check and the golden values")
  void constant() {
    assertThat(failedGroups(ConstantKit.class)).contains("Target sensitivity", "Sanity checks (Adebayo et al. 2018)", "Golden values");
  }

  @Test @DisplayName("A method whose map has the wrong shape fails the Contract group")
  void wrongShape() { assertThat(failedGroups(WrongShapeKit.class)).contains("Contract"); }

  @Test @DisplayName("A method that modifies its input fails the Contract group")
  void modifiesInput() { assertThat(failedGroups(ModifiesInputKit.class)).contains("Contract"); }

  @Test @DisplayName("A method that leaks native memory on every call fails the Hygiene group, and only that group")
  void leaks() { assertThat(failedGroups(LeakyKit.class)).containsExactly("Hygiene"); }

  @Test @DisplayName("A method that is random on every call fails the Contract group (determinism, batch = singles) and the golden values")
  void random() { assertThat(failedGroups(RandomKit.class)).contains("Contract", "Golden values"); }
}
