#!/usr/bin/env bash
# Drops the example detector next to the CLI (as ./plugins/ does) and checks that xcam lists it, detects with it,
# scores it, and certifies it with its conformance kit. Run from the repository root after `mvn verify` and this
# example's own `mvn verify`.
set -euo pipefail
jar=examples/third-party-detector/target/region-hull-1.0.0.jar
cp_="cli/target/xcam.jar:$jar"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
java -cp "$cp_" org.xcam.cli.XcamCli list | grep -q "^  region-hull " || { echo "smoke: xcam list does not show region-hull" >&2; exit 1; }
java -cp "$cp_" org.xcam.cli.XcamCli detect --detector region-hull \
  --model plugins-anatomy/src/main/resources/org/xcam/plugins/anatomy/fixtures/adpd-loc \
  --out "$out/detect" tck/src/main/resources/org/xcam/tck/reference/phantom-small/inputs/2.npy
grep -q '"detector" : "region-hull"\|"detector": "region-hull"' "$out/detect/2.boxes.json" || { echo "smoke: no region-hull boxes.json" >&2; exit 1; }
java -cp "$cp_" org.xcam.cli.XcamCli evaluate --task detection --dataset phantom:40 --detectors adpd,region-hull --methods none \
  --model plugins-anatomy/src/main/resources/org/xcam/plugins/anatomy/fixtures/adpd-loc --no-progress --out "$out/eval" | grep -q "| region-hull |"
java -cp cli/target/xcam.jar org.xcam.cli.XcamCli tck --plugin "$jar" | tee "$out/tck.txt"
grep -q "^CONFORMANT" "$out/tck.txt"
echo "smoke: region-hull is listed, detects, is scored and is conformant"
