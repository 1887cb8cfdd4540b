#!/usr/bin/env bash
# Gathers what the GPU peer comparison needs into .peers/ (git-ignored), to carry to a lent GPU
# machine with the voidscan binaries (bench/build_for_device.sh):
#   - astra-toolbox 2.5.0 (cp312 wheel, 14.5 MB) and nvidia-cuda-runtime-cu12 (libcudart.so.12);
#   - libcufft.so.11, a forwarding stand-in built from cufft11_shim.c: the real one
#     (nvidia-cufft-cu12, 201 MB) exceeds the device tool's 64 MiB carry, and the device image
#     has CUDA 13's libcufft.so.12 with the same five functions ASTRA calls.
# RTK CUDA (itk-rtk-cuda124 + itk-core, -numerics, -filtering, -io: ~294 MB) has no such way
# round and is left out. Run from the repository root: bench/peers/prepare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=.peers
rm -rf "$dest" && mkdir -p "$dest/whl" "$dest/lib"
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 -d "$dest/whl" astra-toolbox==2.5.0 nvidia-cuda-runtime-cu12==12.9.79
gcc -O2 -shared -fPIC -o "$dest/lib/libcufft.so.11" -Wl,-soname,libcufft.so.11 \
  -Wl,--version-script=bench/peers/cufft11.map bench/peers/cufft11_shim.c -ldl
objdump -T "$dest/lib/libcufft.so.11" | grep -c 'libcufft.so.11 *cufft' | xargs echo "shim exports (expect 5):"
du -sh "$dest"
