#!/usr/bin/env bash
# README command 1: installs what is missing, builds, and runs the main job on the bundled
# sample (samples/flip-chip: a simulated 2 x 2 flip-chip package with planted voids; its
# truth.json lists them). Writes out/flip-chip.mha (open it in 3D Slicer, ParaView or Fiji).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
mkdir -p out
build/voidscan info samples/flip-chip/scan.json
build/voidscan reconstruct samples/flip-chip/scan.json -o out/flip-chip.mha --filter hann "$@"
build/voidscan info out/flip-chip.mha
