#!/usr/bin/env bash
# README command 1: installs what is missing, builds, and runs the main job on the bundled
# sample: `voidscan run` on samples/hybrid-bond (a simulated chip-on-wafer hybrid bond, 2 x 2
# dies with Cu pads on a 6 um pitch and planted bond gaps 0.6-2.5 um thick in two of them;
# its truth.json lists them): reconstruction, then detection, per-die verdicts on the terminal
# and out/hybrid-bond/ (report.json, defects.csv, labels.mha, maps/*.png, volume.mha).
# Exit status 0 whatever the verdict (a failing die is the expected result here); 2/3 on errors.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
mkdir -p out
build/voidscan info samples/hybrid-bond/scan.json
rc=0
build/voidscan run samples/hybrid-bond/scan.json -o out/hybrid-bond --force "$@" || rc=$?
# run exits 1 when a die fails its criteria: a verdict, not an error
[ "$rc" -le 1 ] || exit "$rc"
echo "demo: report out/hybrid-bond/report.json, maps out/hybrid-bond/maps/, truth samples/hybrid-bond/truth.json"
