#!/usr/bin/env bash
# Regenerates the bundled samples (samples/<preset>/) with the simulator: one small scan per
# preset (180 views, 2 um voxels, seed 1), each with scan.json, proj/*.tif, phantom.json (the
# exact phantom: `voidscan simulate samples/<preset>/phantom.json` replays it) and truth.json.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/voidscan ] || scripts/build.sh
for preset in flip-chip hybrid-bond hbm-stack; do
  build/voidscan simulate --preset "$preset" --seed 1 --views 180 --voxel 0.002 --force -o "samples/$preset"
done
