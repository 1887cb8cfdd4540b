#!/usr/bin/env bash
# README command 1: installs what is missing, builds, and runs the main job on the bundled
# sample (samples/package_demo: a small flip-chip package with planted voids).
# Writes out/package_demo.mha (open it in 3D Slicer, ParaView or Fiji).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
mkdir -p out
build/voidscan info samples/package_demo/scan.json
build/voidscan reconstruct samples/package_demo/scan.json -o out/package_demo.mha --filter hann "$@"
build/voidscan info out/package_demo.mha
