#!/usr/bin/env bash
# README command 2 (and CI): installs what is missing, builds, and runs every test with ctest.
# Tests that need a GPU skip with the reason when none is present; tests on the real data in
# ../shared/data skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j "${JOBS:-$(nproc)}" --timeout 900
