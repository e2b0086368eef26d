package org.xcam.cli.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.xcam.api.bundle.BundleManifest;
import org.xcam.tck.fixtures.Reference;

/** The bundles a benchmark times: the ones named with --model, else the reference bundle plus the bundles found in the given folders. */
final class BenchModels {
  private BenchModels() { }

  static List<Path> targets(List<Path> explicit, List<Path> dirs, boolean withFixture) {
    if (!explicit.isEmpty()) return new ArrayList<>(explicit);
    List<Path> targets = new ArrayList<>();
    targets.add(Reference.bundle());
    if (withFixture && org.xcam.runtime.Fixtures.available()) targets.add(org.xcam.runtime.Fixtures.phantomBundle());
    int fixed = targets.size();
    for (Path dir : dirs) {
      if (!Files.isDirectory(dir)) continue;
      try (Stream<Path> s = Files.list(dir)) {
        s.filter(BundleManifest::isBundle).sorted().forEach(targets::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    if (targets.size() == fixed) {
      System.err.println("no bundles under " + dirs + " (python3 tools/gen_torchvision.py --bundles writes resnet18 there);"
          + " timing the fixtures only");
    }
    return targets;
  }
}
