#!/usr/bin/env bash
# Builds voidscan, voidscan_tests and voidscan_bench with the CUDA backend for Hopper (sm_90:
# H100, H200) into build-device/, then gathers them, with the shared libraries they need, into
# .device/ (git-ignored): the folder to carry to a lent GPU machine and hand to bench/gpu.sh.
#
#   bench/build_for_device.sh            # BUILD_DIR=build-device DEST=.device JOBS=1
#
# Layout of .device/: voidscan, voidscan_tests, voidscan_bench; lib/ (shared libraries, put on
# LD_LIBRARY_PATH by gpu.sh for these programs only); bin/time (GNU time, for peak memory).
#
# Which libraries travel: every one `ldd` resolves for the three programs, except
#   - glibc's own (libc, libm, libdl, libpthread, librt, libresolv, ld-linux): they must match
#     the device's loader, and its glibc is at least as new as this machine's (Debian 12, 2.36);
#   - libcuda (the driver's: always the device's own);
#   - libcufft: about 270 MiB, over the 64 MiB a device call may carry. The device image has a
#     CUDA 13 toolkit (the major version this one builds against); gpu.sh finds its libcufft.so.12.
# So libstdc++ and libgcc_s travel too (this GCC 12 build needs nothing newer than it brings),
# as do the libtiff codec libraries (libwebp, libLerc, libjbig, libdeflate, ...) that a bare
# image lacks. This is more than the bare minimum, on purpose: a missing library costs a lease.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-device}
dest=${DEST:-.device}
jobs=${JOBS:-1}
programs=(voidscan voidscan_tests voidscan_bench)

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVOIDSCAN_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DVOIDSCAN_TESTS=ON -DVOIDSCAN_BENCH=ON
ninja -C "$build" -j "$jobs" "${programs[@]}"

rm -rf "$dest"
mkdir -p "$dest/lib" "$dest/bin"
for p in "${programs[@]}"; do cp "$build/$p" "$dest/"; done
for p in "${programs[@]}"; do ldd "$build/$p"; done | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u |
  while read -r lib; do
    case "$(basename "$lib")" in
      libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | libresolv.so.* | ld-linux*) ;;
      libcuda.so.* | libcufft.so.*) ;;
      *) cp -L "$lib" "$dest/lib/" ;;
    esac
  done
cp -L /usr/bin/time "$dest/bin/time"

echo "build_for_device: $(du -sh "$dest" | cut -f1) in $dest (a device call carries at most 64 MiB with the repo):"
ls -1 "$dest" "$dest/lib"
