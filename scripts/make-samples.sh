#!/usr/bin/env bash
# Regenerates the bundled samples (samples/<preset>/) with the simulator, each with scan.json,
# proj/*.tif, phantom.json (the exact phantom: `voidscan simulate samples/<preset>/phantom.json`
# replays it) and truth.json:
#   - hybrid-bond: the README's main job (`voidscan run`): 2 x 2 dies of 40 um on a thin wafer,
#     Cu pads on a 6 um pitch, up to 3 bond gaps per die 8-30 um wide (seed 11 plants 3 + 3 in
#     two dies and leaves two clean), 240 views at 1 um voxels: what detection resolves
#     (tests/cli/test_samples.cpp checks the run against truth.json);
#   - flip-chip, hbm-stack: 180 views at 2 um voxels, seed 1; reconstruction samples (at 2 um
#     their voids are 1-7 voxels across, and solder streaks the underfill: docs/accuracy.md).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/voidscan ] || scripts/build.sh
build/voidscan simulate --preset hybrid-bond --seed 11 --views 240 --voxel 0.001 \
  --param die_size_um=40 --param die_gap_um=12 --param die_thickness_um=12 --param wafer_um=10 \
  --param gaps_max=3 --param gap_min_um=8 --param gap_max_um=30 --force -o samples/hybrid-bond
for preset in flip-chip hbm-stack; do
  build/voidscan simulate --preset "$preset" --seed 1 --views 180 --voxel 0.002 --force -o "samples/$preset"
done
