package org.xcam.runtime;

/**
 * Where a discovered provider came from, for {@code xcam list} and for error messages about duplicates.
 *
 * @param kind     engine, method or metric
 * @param name     the provider's id
 * @param version  the jar's Implementation-Version, or "dev" when run from classes
 * @param location the jar (or class directory) that holds the provider class
 * @param provider the provider instance
 */
public record PluginInfo(String kind, String name, String version, String location, Object provider) {
  static PluginInfo of(String kind, String name, Object provider) {
    Class<?> c = provider.getClass();
    String v = c.getPackage() != null && c.getPackage().getImplementationVersion() != null
        ? c.getPackage().getImplementationVersion() : "dev";
    String loc;
    try {
      var cs = c.getProtectionDomain().getCodeSource();
      loc = cs == null || cs.getLocation() == null ? "(unknown)" : cs.getLocation().getPath();
    } catch (SecurityException e) {
      loc = "(unknown)";
    }
    return new PluginInfo(kind, name, v, loc, provider);
  }
}
