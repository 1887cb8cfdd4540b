#!/usr/bin/env bash
# Installs, from Debian's packages, whatever voidscan needs that is missing. Safe to rerun:
# does nothing (and needs no network) when everything is there. The CUDA toolkit (nvcc) is
# optional: without it the CUDA backend is not built.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libtiff-dev libfftw3-dev libtbb-dev libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libgtest-dev libbenchmark-dev libyaml-cpp-dev libpng-dev libcairo2-dev libgsf-1-dev
  libinsighttoolkit5-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
