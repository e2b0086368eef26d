package org.xcam.plugins.iba;

import java.util.Map;
import org.xcam.api.spi.ExplainerProvider;
import org.xcam.tck.KitModels.ModelCase;
import org.xcam.tck.OptimisationExplainerCompatibilityKit;

/** The TCK's optimisation kit on {@code iba}. */
class IbaCompatibilityTest extends OptimisationExplainerCompatibilityKit {
  @Override protected ExplainerProvider provider() { return new IbaProvider(); }
  @Override protected void prepare(ModelCase m) { IbaKitSupport.prepare(m.model()); }
  @Override protected Map<String, String> options() { return Map.of("stats", IbaKitSupport.statsDir().toString()); }
}
