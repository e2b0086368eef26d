package org.xcam.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.xcam.api.XcamException;

/**
 * The embedded default model: the phantom chest X-ray classifier bundle ({@code phantom-cxr}) and its sample images,
 * shipped inside the runtime jar and extracted once to {@code ${java.io.tmpdir}/xcam-fixtures/<hash>/} (atomically,
 * so concurrent first uses don't see half a bundle). Used by {@code xcam demo}, the TCK and tests.
 */
public final class Fixtures {
  private static final String ROOT = "/org/xcam/fixtures/phantom-cxr/";
  /** The embedded bundles: the CNN, and the tiny ViT and Swin trained on the same phantoms (tools/transformers/train.py). */
  public static final java.util.List<String> BUNDLES = java.util.List.of("phantom-cxr", "phantom-vit", "phantom-swin");
  private static final java.util.Map<String, Path> CACHED = new java.util.HashMap<>();

  private Fixtures() { }

  /** True when the jar holds the embedded bundle. */
  public static boolean available() { return Fixtures.class.getResource(ROOT + "files.txt") != null; }

  /** The extracted phantom-cxr bundle directory. */
  public static Path phantomBundle() { return bundle("phantom-cxr"); }

  /** The extracted embedded bundle {@code name} (one of {@link #BUNDLES}). */
  public static synchronized Path bundle(String name) {
    if (!BUNDLES.contains(name)) {
      throw new org.xcam.api.InvalidInputException("no embedded model '" + name + "'; choose one of " + BUNDLES);
    }
    Path cached = CACHED.get(name);
    if (cached != null && Files.isDirectory(cached)) return cached;
    String root = "/org/xcam/fixtures/" + name + "/";
    try (InputStream idx = Fixtures.class.getResourceAsStream(root + "files.txt")) {
      if (idx == null) throw new XcamException("the embedded " + name + " bundle is missing from the runtime jar; rebuild with mvn package");
      String list = new String(idx.readAllBytes(), StandardCharsets.UTF_8);
      List<String> files = list.lines().map(String::trim).filter(s -> !s.isEmpty()).toList();
      // the file list and model.pt's CRC: a retrained fixture has the same file names but must not reuse an old copy
      java.util.zip.CRC32 crc = new java.util.zip.CRC32();
      try (InputStream pt = Fixtures.class.getResourceAsStream(root + "model.pt")) {
        if (pt != null) crc.update(pt.readAllBytes());
      }
      String hash = Integer.toHexString(list.hashCode()) + "-" + Long.toHexString(crc.getValue()) + "-" + files.size();
      Path base = Path.of(System.getProperty("java.io.tmpdir"), "xcam-fixtures-" + System.getProperty("user.name", "user"));
      Path dir = base.resolve(name + "-" + hash);
      if (!Files.isRegularFile(dir.resolve("files.txt"))) {
        Files.createDirectories(base);
        Path tmp = Files.createTempDirectory(base, "extract");
        for (String f : files) {
          Path t = tmp.resolve(f);
          Files.createDirectories(t.getParent());
          try (InputStream in = Fixtures.class.getResourceAsStream(root + f)) {
            if (in == null) throw new XcamException("embedded fixture file missing: " + f);
            Files.copy(in, t, StandardCopyOption.REPLACE_EXISTING);
          }
        }
        Files.writeString(tmp.resolve("files.txt"), list);
        try {
          Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException | java.nio.file.DirectoryNotEmptyException e) {
          // another process won the race; its copy is complete
        }
      }
      CACHED.put(name, dir);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
