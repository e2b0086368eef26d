package org.xcam.plugins.anatomy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.xcam.api.UnknownNameException;
import org.xcam.api.XcamException;

/**
 * The small fixture bundles shipped in this jar (trained on phantoms by {@code tools/train_adpd.py}):
 * {@code loc} (Loc-ADPD, region-level labels), {@code mil} (MIL-ADPD, image-level labels, LSE r = 5) and
 * {@code classifier} (the weakly supervised baseline: a multilabel CNN over the same 5 pathologies with one cut layer,
 * {@code features}, for CAM methods). Extracted once to {@code ${java.io.tmpdir}/xcam-adpd-<user>/} so that engines
 * can load them from a directory.
 */
public final class AdpdFixtures {
  /** The forms shipped. */
  public static final List<String> FORMS = List.of("loc", "mil", "classifier");
  private static final String ROOT = "/org/xcam/plugins/anatomy/fixtures/";
  private static final List<String> FILES = List.of("xcam-model.json", "model.pt");
  private static final List<String> CLASSIFIER_FILES = List.of("xcam-model.json", "model.pt",
      "layers/features.head.pt", "layers/features.tail.pt");

  private AdpdFixtures() { }

  /** The extracted bundle directory of {@code form} ({@code loc}, {@code mil} or {@code classifier}). */
  public static synchronized Path bundle(String form) {
    if (!FORMS.contains(form)) throw UnknownNameException.of("ADPD fixture", form, FORMS, null);
    String root = ROOT + (form.equals("classifier") ? "classifier" : "adpd-" + form) + "/";
    List<String> files = form.equals("classifier") ? CLASSIFIER_FILES : FILES;
    try {
      java.util.zip.CRC32 crc = new java.util.zip.CRC32();
      java.util.Map<String, byte[]> bytes = new java.util.LinkedHashMap<>();
      for (String f : files) {
        try (InputStream in = AdpdFixtures.class.getResourceAsStream(root + f)) {
          if (in == null) throw new XcamException("the ADPD fixture " + form + " lacks " + f + " in this jar; rebuild plugins-anatomy");
          byte[] b = in.readAllBytes();
          crc.update(b);
          bytes.put(f, b);
        }
      }
      Path base = Path.of(System.getProperty("java.io.tmpdir"), "xcam-adpd-" + System.getProperty("user.name", "user"));
      Path dir = base.resolve(form + "-" + Long.toHexString(crc.getValue()));
      if (Files.isRegularFile(dir.resolve("model.pt")) && Files.isRegularFile(dir.resolve("xcam-model.json"))) return dir;
      Files.createDirectories(base);
      Path tmp = Files.createTempDirectory(base, "extract");
      for (String f : files) {
        Files.createDirectories(tmp.resolve(f).getParent());
        Files.write(tmp.resolve(f), bytes.get(f));
      }
      try {
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException | java.nio.file.DirectoryNotEmptyException e) {
        // another process extracted it first
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
