#!/usr/bin/env bash
# The one script to run on a lent GPU machine: checks the CUDA backend, then times it.
#
#   bench/gpu.sh FOLDER [STAGE...]      STAGE: tests, bench, e2e (default: all three, in order)
#
# FOLDER holds voidscan, voidscan_tests, voidscan_bench and lib/ as bench/build_for_device.sh
# leaves them in .device/. Through the device tool, from the repository root here:
#   bench/build_for_device.sh
#   run(command="bash bench/gpu.sh .device", carry=[".device"], timeout_s=600)
# Results and logs (7 files; the device tool brings back at most 8) go to $OUT, the folder that
# comes back, else to ./gpu-results.
# Scans and volumes are written under $SCRATCH (default /tmp/voidscan-gpu) and removed after.
#
# Stages:
#   tests  nvidia-smi, then voidscan_tests --gtest_filter='*cuda*:*Cuda*' (the CUDA instances of
#          the FDK tests and the CPU-vs-CUDA cross-check).
#   bench  voidscan_bench --benchmark_filter=fdk_cuda: the CUDA backend on projections in memory,
#          512^3 from 720 views of 512^2 and 1024^3 from 1440 views of 1024^2 (bench/bench_fdk.cpp
#          says what each counter is). JSON in $OUT/bench_gpu.json.
#   e2e    per case: voidscan_bench --make-scan (uint16 TIFFs + scan.json, not timed), then
#          `voidscan reconstruct scan.json -o out.mha --device cuda` under GNU time -v: whole
#          process wall time and peak host memory (the scan was just written, so it is read from
#          the page cache). Results in $OUT/e2e.tsv.
# Last, a table of both: size, views, kernel (backend) time and GUPS from the bench stage,
# voidscan's own reconstruction time and the end-to-end wall time, peak device and host memory.
# Exit status: non-zero when any stage failed (the later stages still run).
set -uo pipefail

usage="usage: bench/gpu.sh FOLDER [tests|bench|e2e ...]"
[ $# -ge 1 ] || { echo "$usage" >&2; exit 2; }
bin=$(cd "$1" && pwd) || { echo "$usage" >&2; exit 2; }
shift
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(tests bench e2e)
for s in "${stages[@]}"; do
  case "$s" in tests | bench | e2e) ;; *) echo "unknown stage '$s'; $usage" >&2; exit 2 ;; esac
done
out=${OUT:-$PWD/gpu-results}
scratch=${SCRATCH:-/tmp/voidscan-gpu}
mkdir -p "$out" "$scratch"
# grid n and views of each e2e case (detector n x n), and its device; overridable to dry-run
# the script on a machine without a GPU: CASES="128 180" E2E_DEVICE=cpu bench/gpu.sh DIR e2e
read -r -a case_words <<<"${CASES:-512 720 1024 1440}"
device=${E2E_DEVICE:-cuda}
status=0

# The carried libraries, plus the device's own libcufft (too large to carry; see
# build_for_device.sh). Set for our programs only, so the device's tools keep their own.
cufft_dir=""
for d in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/cuda/targets/x86_64-linux/lib; do
  [ -e "$d/libcufft.so.12" ] && { cufft_dir=$d; break; }
done
if [ -z "$cufft_dir" ]; then
  found=$(find /usr /opt -name 'libcufft.so.12' 2>/dev/null | head -1)
  [ -n "$found" ] && cufft_dir=$(dirname "$found")
fi
libpath="$bin/lib${cufft_dir:+:$cufft_dir}"
ours() { LD_LIBRARY_PATH="$libpath" "$@"; }
timer=/usr/bin/time
[ -x "$timer" ] || timer="$bin/bin/time"

echo "== voidscan gpu.sh $(date -u +%FT%TZ), libraries: $libpath"
missing=$(for p in voidscan voidscan_tests voidscan_bench; do ours ldd "$bin/$p"; done | grep 'not found' | sort -u)
if [ -n "$missing" ]; then
  echo "missing shared libraries:"; echo "$missing"; exit 3
fi

has_stage() { local s; for s in "${stages[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

if has_stage tests; then
  echo "== nvidia-smi"
  nvidia-smi 2>&1 | tee "$out/nvidia-smi.txt"
  echo "== voidscan_tests (CUDA cases)"
  ours "$bin/voidscan_tests" --gtest_filter='*cuda*:*Cuda*' 2>&1 | tee "$out/tests.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "tests FAILED"; status=1; }
fi

if has_stage bench; then
  echo "== voidscan_bench (CUDA backend, projections in memory)"
  ours "$bin/voidscan_bench" --benchmark_filter=fdk_cuda --benchmark_out="$out/bench_gpu.json" \
    --benchmark_out_format=json 2>&1 | tee "$out/bench.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "bench FAILED"; status=1; }
  # On a GPU machine a skipped case ("no CUDA device: ...") is a failure, not a result.
  grep -q 'ERROR OCCURRED' "$out/bench.log" && { echo "bench: a case did not run (see above)"; status=1; }
fi

if has_stage e2e; then
  printf 'n\tviews\twall_s\trecon_s\tgups_backend\tpeak_device_mib\tpeak_host_mib\n' >"$out/e2e.tsv"
  for ((i = 0; i + 1 < ${#case_words[@]}; i += 2)); do
    n=${case_words[i]} views=${case_words[i + 1]}
    dir="$scratch/scan_$n"
    echo "== e2e $n^3 from $views views of $n^2 on $device"
    rm -rf "$dir"
    if ! ours "$bin/voidscan_bench" --make-scan "$dir" --size "$n" --views "$views"; then
      echo "make-scan FAILED"; status=1; continue
    fi
    log="$out/e2e_$n.log"
    ours "$timer" -v "$bin/voidscan" reconstruct "$dir/scan.json" -o "$dir/out.mha" --device "$device" \
      --log-level info >"$log" 2>&1
    rc=$?
    grep -E '^(info|warn|error|\[)|(Elapsed|Maximum resident|Percent of CPU|Exit status)' "$log"
    rm -rf "$dir"
    [ $rc -eq 0 ] || { echo "e2e $n FAILED ($rc)"; status=1; continue; }
    # voidscan's summary line: "... in X s on cuda (...), G GUPS; peak memory: host H MiB, device D MiB; ..."
    # (no --quiet: it would drop that line; the progress bar goes to the log too)
    recon=$(sed -n 's/.* in \([0-9.]*\) s on .*/\1/p' "$log")
    gups=$(sed -n 's/.*, \([0-9.]*\) GUPS;.*/\1/p' "$log")
    dev_mib=$(sed -n 's/.*device \([0-9]*\) MiB;.*/\1/p' "$log")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$log")
    host=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$log")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$views" "$wall" "$recon" "$gups" "$dev_mib" "$host" >>"$out/e2e.tsv"
  done
fi

echo "== summary (kernel = backend time on projections in memory; e2e = voidscan reconstruct from TIFFs)"
python3 - "$out/bench_gpu.json" "$out/e2e.tsv" <<'EOF'
import csv, json, os, re, sys
bench, e2e = {}, {}
if os.path.exists(sys.argv[1]):
    for b in json.load(open(sys.argv[1]))["benchmarks"]:
        m = re.match(r"fdk_cuda/n:(\d+)/views:(\d+)", b["name"])
        if m and not b.get("error_occurred"):
            bench[(m[1], m[2])] = b
if os.path.exists(sys.argv[2]):
    for r in csv.DictReader(open(sys.argv[2]), delimiter="\t"):
        e2e[(r["n"], r["views"])] = r
print("| size | views | kernel s | GUPS kernel | voidscan recon s | e2e wall s | GUPS e2e | peak device MiB | peak host MiB (e2e) |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for key in sorted(set(bench) | set(e2e), key=lambda k: int(k[0])):
    b, e = bench.get(key, {}), e2e.get(key, {})
    f = lambda v, fmt: fmt.format(float(v)) if v not in (None, "") else "-"
    updates = int(key[0]) ** 3 * int(key[1])
    gups_e2e = updates / float(e["wall_s"]) / 1e9 if e.get("wall_s") else None
    device = e.get("peak_device_mib") or b.get("peak_device_MiB")
    print(f"| {key[0]}^3 | {key[1]} | {f(b.get('backend_s'), '{:.3f}')} | {f(b.get('GUPS_backend'), '{:.1f}')} | "
          f"{f(e.get('recon_s'), '{:.2f}')} | {f(e.get('wall_s'), '{:.2f}')} | {f(gups_e2e, '{:.1f}')} | "
          f"{f(device, '{:.0f}')} | {f(e.get('peak_host_mib'), '{:.0f}')} |")
EOF
exit $status
