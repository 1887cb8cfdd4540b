#!/usr/bin/env bash
# The one script to run on a lent GPU machine: checks the CUDA backend, then times it.
#
#   bench/gpu.sh FOLDER [STAGE...]      STAGE: tests, bench, e2e, peers (default: tests bench e2e)
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
#   tests  nvidia-smi, then voidscan_tests --gtest_filter='*cuda*:*Cuda*:Simulate.*' (the CUDA instances of
#          the FDK tests and the CPU-vs-CUDA cross-check), then the whole suite (TESTS_ALL=0 skips it).
#   bench  voidscan_bench --benchmark_filter=fdk_cuda: the CUDA backend on projections in memory,
#          512^3 from 720 views of 512^2 and 1024^3 from 1440 views of 1024^2 (bench/bench_fdk.cpp
#          says what each counter is). JSON in $OUT/bench_gpu.json.
#   e2e    per case (CASES, default 512^3/720 views of 512^2, 1024^3/1440 of 1024^2 and
#          2048^3/2048 of 2048^2) and per precision (PRECISIONS, default "fp32"; "fp32 fp16" adds
#          the half-precision rows): voidscan_bench --make-scan (uint16 TIFFs + scan.json, not
#          timed), then `voidscan reconstruct scan.json -o out.mha --device cuda` under GNU
#          time -v: whole-process wall time from TIFFs on disk to the float32 MHA on disk, and
#          peak host memory (the scan was just written, so it is read from the page cache).
#          Cases of n >= BIG (default 2048) cap device memory below the volume's size
#          (--gpu-memory-limit = half the float32 volume: 16384 MiB at 2048^3, so >= 2 slabs) and
#          host memory at HOST_LIMIT_MIB (default 12288: the issue's <= 16 GiB host target with
#          room for the process). Kernel time = the backprojection kernels' CUDA-event time
#          voidscan logs. Results in $OUT/e2e.tsv.
#   peers  ASTRA FDK_CUDA on the same scans as voidscan (PEER_CASES, default 512^3/720 and
#          1024^3/1440): needs .peers/ from bench/peers/prepare.sh (PEERS=DIR to put it elsewhere);
#          per case voidscan reconstruct, then bench/peers/astra_fdk.py (times, correlation with
#          voidscan's volume) into $OUT/peers.tsv. RTK CUDA cannot be carried (~294 MB of
#          wheels, see docs/benchmarks.md).
# Last, a table: size, views, precision, slabs, kernel (backprojection) time and GUPS, backend
# time (filter + backprojection + transfers), end-to-end wall time and GUPS, peak device and
# host memory; then the in-memory bench rows.
# Budget: the device tool allows 10 minutes a command and 30 a session. Split over calls:
#   CASES="512 720 1024 1440" bench/gpu.sh .device tests e2e      (then)
#   CASES="2048 2048" bench/gpu.sh .device e2e                      (16 GiB of TIFFs, 32 GiB volume)
# Exit status: non-zero when any stage failed (the later stages still run).
set -uo pipefail

usage="usage: bench/gpu.sh FOLDER [tests|bench|e2e|peers ...]"
[ $# -ge 1 ] || { echo "$usage" >&2; exit 2; }
bin=$(cd "$1" && pwd) || { echo "$usage" >&2; exit 2; }
shift
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(tests bench e2e)
for s in "${stages[@]}"; do
  case "$s" in tests | bench | e2e | peers) ;; *) echo "unknown stage '$s'; $usage" >&2; exit 2 ;; esac
done
out=${OUT:-$PWD/gpu-results}
scratch=${SCRATCH:-/tmp/voidscan-gpu}
mkdir -p "$out" "$scratch"
# grid n and views of each e2e case (detector n x n), and its device; overridable to dry-run
# the script on a machine without a GPU: CASES="128 180" E2E_DEVICE=cpu bench/gpu.sh DIR e2e
read -r -a case_words <<<"${CASES:-512 720 1024 1440 2048 2048}"
read -r -a precisions <<<"${PRECISIONS:-fp32}"
device=${E2E_DEVICE:-cuda}
big=${BIG:-2048}
host_limit_mib=${HOST_LIMIT_MIB:-12288}
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
# the CLI tests run this voidscan, not the path compiled into voidscan_tests (tests/support/run_cli.hpp)
export VOIDSCAN_BINARY="$bin/voidscan"
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
  ours "$bin/voidscan_tests" --gtest_filter="${TESTS_FILTER:-*cuda*:*Cuda*:Simulate.*}" 2>&1 | tee "$out/tests.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "tests FAILED"; status=1; }
  if [ "${TESTS_ALL:-1}" = 1 ]; then
    echo "== voidscan_tests (whole suite with a GPU present: device auto picks CUDA; failures only)"
    ours "$bin/voidscan_tests" --gtest_brief=1 >"$out/tests_all.log" 2>&1
    rc=$?
    grep -E '^\[  (FAILED|PASSED|SKIPPED) *\]|tests? ran|Failure|Expected|Which is' "$out/tests_all.log" | head -60
    [ $rc -eq 0 ] || { echo "whole suite FAILED"; status=1; }
  fi
fi

if has_stage bench; then
  echo "== voidscan_bench (CUDA backend, projections in memory)"
  ours "$bin/voidscan_bench" --benchmark_filter="${BENCH_FILTER:-fdk_cuda|sim_view}" --benchmark_out="$out/bench_gpu.json" \
    --benchmark_out_format=json 2>&1 | tee "$out/bench.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "bench FAILED"; status=1; }
  # On a GPU machine a skipped case ("no CUDA device: ...") is a failure, not a result.
  grep -q 'ERROR OCCURRED' "$out/bench.log" && { echo "bench: a case did not run (see above)"; status=1; }
fi

if has_stage e2e; then
  printf 'n\tviews\tprecision\tslabs\twall_s\trecon_s\tgups_backend\tkernel_s\tgups_kernel\tpeak_device_mib\tpeak_host_mib\n' >"$out/e2e.tsv"
  for ((i = 0; i + 1 < ${#case_words[@]}; i += 2)); do
    n=${case_words[i]} views=${case_words[i + 1]}
    dir="$scratch/scan_$n"
    extra=()
    if [ "$n" -ge "$big" ]; then
      # device memory capped at half the float32 volume: the volume cannot be held at once
      extra=(--gpu-memory-limit $((n * n * n * 4 / 2 / 1048576)) --memory-limit "$host_limit_mib")
    fi
    echo "== e2e $n^3 from $views views of $n^2 on $device ${extra[*]}"
    rm -rf "$dir"
    t_scan=$SECONDS
    if ! ours "$bin/voidscan_bench" --make-scan "$dir" --size "$n" --views "$views"; then
      echo "make-scan FAILED"; status=1; rm -rf "$dir"; continue
    fi
    echo "   scan written in $((SECONDS - t_scan)) s; disk: $(df -h "$scratch" | tail -1)"
    for precision in "${precisions[@]}"; do
      log="$out/e2e_${n}_$precision.log"
      ours "$timer" -v "$bin/voidscan" reconstruct "$dir/scan.json" -o "$dir/out.mha" --device "$device" \
        --precision "$precision" "${extra[@]}" --log-level info >"$log" 2>&1
      rc=$?
      grep -E '^(info|warn|error|\[)|(Elapsed|Maximum resident|Percent of CPU|Exit status)' "$log"
      rm -f "$dir/out.mha"
      [ $rc -eq 0 ] || { echo "e2e $n $precision FAILED ($rc)"; status=1; continue; }
      # voidscan's summary line: "... in X s on cuda (S slabs), G GUPS; backprojection K s, KG GUPS;
      # peak memory: host H MiB, device D MiB; ..." (no --quiet: it would drop that line)
      recon=$(sed -n 's/.* in \([0-9.]*\) s on .*/\1/p' "$log")
      slabs=$(sed -n 's/.* (\([0-9]*\) slabs*).*/\1/p' "$log")
      gups=$(sed -n 's/.*, \([0-9.]*\) GUPS; backprojection.*/\1/p' "$log")
      kernel=$(sed -n 's/.*backprojection \([0-9.]*\) s, .*/\1/p' "$log")
      kgups=$(sed -n 's/.*backprojection [0-9.]* s, \([0-9.]*\) GUPS.*/\1/p' "$log")
      dev_mib=$(sed -n 's/.*device \([0-9]*\) MiB;.*/\1/p' "$log")
      wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$log")
      host=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$log")
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$views" "$precision" "$slabs" "$wall" "$recon" \
        "$gups" "$kernel" "$kgups" "$dev_mib" "$host" >>"$out/e2e.tsv"
    done
    rm -rf "$dir"
  done
fi

if has_stage peers; then
  # ASTRA's FDK_CUDA on the same scans (bench/peers/: the wheels and a cuFFT 11 stand-in that
  # bench/peers/prepare.sh gathers into .peers/, carried with the binaries), after voidscan on each.
  peers=${PEERS:-$PWD/.peers}
  echo "== peers: ASTRA FDK_CUDA on the same scans (RTK CUDA: its ~294 MB of wheels cannot be carried)"
  if [ ! -d "$peers/whl" ]; then
    echo "not run: $peers/whl is missing (run bench/peers/prepare.sh and carry .peers)"; status=1
  else
    site=$scratch/peers-site
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" "$peers"/whl/*.whl
    peer_libs="$peers/lib:$site/nvidia/cuda_runtime/lib${cufft_dir:+:$cufft_dir}"
    read -r -a peer_words <<<"${PEER_CASES:-512 720 1024 1440}"
    for ((i = 0; i + 1 < ${#peer_words[@]}; i += 2)); do
      n=${peer_words[i]} views=${peer_words[i + 1]}
      dir="$scratch/peer_$n"
      rm -rf "$dir"
      echo "== peers $n^3 from $views views of $n^2"
      if ! ours "$bin/voidscan_bench" --make-scan "$dir" --size "$n" --views "$views" >/dev/null; then
        echo "make-scan FAILED"; status=1; rm -rf "$dir"; continue
      fi
      ours "$timer" -v "$bin/voidscan" reconstruct "$dir/scan.json" -o "$dir/out.mha" --device cuda --log-level info \
        >"$dir/voidscan.log" 2>&1 || { echo "voidscan FAILED"; cat "$dir/voidscan.log"; status=1; }
      grep -E '^info: [0-9]+ x|Elapsed' "$dir/voidscan.log" | sed 's/^/   voidscan: /' | tee -a "$out/peers.log"
      PYTHONPATH="$site" LD_LIBRARY_PATH="$peer_libs" python3 "$(dirname "$0")/peers/astra_fdk.py" "$dir/scan.json" \
        "$dir/out.mha" "$out/peers.tsv" 2>&1 | tee -a "$out/peers.log"
      [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "astra FAILED"; status=1; }
      rm -rf "$dir"
    done
  fi
fi

echo "== summary (kernel = backprojection kernels alone; backend = filter + backprojection + transfers; e2e = whole process)"
python3 - "$out/bench_gpu.json" "$out/e2e.tsv" "$out/peers.tsv" <<'EOF'
import csv, json, os, sys
f = lambda v, fmt: fmt.format(float(v)) if v not in (None, "") else "-"
if os.path.exists(sys.argv[2]):
    print("end to end: uint16 TIFFs on disk -> float32 MHA on disk (voidscan reconstruct)")
    print("| size | views | precision | slabs | kernel s | GUPS kernel | backend s | GUPS backend | e2e wall s | GUPS e2e | peak device MiB | peak host MiB |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for e in csv.DictReader(open(sys.argv[2]), delimiter="\t"):
        updates = int(e["n"]) ** 3 * int(e["views"])
        gups_e2e = updates / float(e["wall_s"]) / 1e9 if e.get("wall_s") else None
        backend_s = updates / float(e["gups_backend"]) / 1e9 if e.get("gups_backend") else None
        print(f"| {e['n']}^3 | {e['views']} | {e['precision']} | {e['slabs']} | {f(e['kernel_s'], '{:.2f}')} | "
              f"{f(e['gups_kernel'], '{:.2f}')} | {f(backend_s, '{:.2f}')} | {f(e['gups_backend'], '{:.2f}')} | "
              f"{f(e['wall_s'], '{:.2f}')} | {f(gups_e2e, '{:.2f}')} | {f(e['peak_device_mib'], '{:.0f}')} | "
              f"{f(e['peak_host_mib'], '{:.0f}')} |")
if os.path.exists(sys.argv[1]):
    print("in memory (voidscan_bench fdk_cuda: projections already in host memory)")
    print("| case | backend s | GUPS backend | GUPS total | peak device MiB | slabs |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for b in json.load(open(sys.argv[1]))["benchmarks"]:
        if b["name"].startswith("fdk_cuda") and not b.get("error_occurred"):
            print(f"| {b['name']} | {f(b.get('backend_s'), '{:.3f}')} | {f(b.get('GUPS_backend'), '{:.1f}')} | "
                  f"{f(b.get('GUPS_total'), '{:.1f}')} | {f(b.get('peak_device_MiB'), '{:.0f}')} | {f(b.get('slabs'), '{:.0f}')} |")
    sims = [b for b in json.load(open(sys.argv[1]))["benchmarks"] if b["name"].startswith("sim_view")]
    if sims:
        print("simulator, time per view (exact projector; sim_view = CPU on this machine's cores, sim_view_cuda = GPU)")
        print("| case | ms per view |")
        print("| --- | ---: |")
        for b in sims:
            print(f"| {b['name']} | {'skipped: ' + b.get('error_message', '') if b.get('error_occurred') else f(b.get('real_time'), '{:.2f}')} |")
if os.path.exists(sys.argv[3]):
    print("peers (bench/peers/astra_fdk.py: ASTRA FDK_CUDA on the same scans; run = upload, filter, backprojection)")
    print("| size | views | read s | upload s | run s | get s | GUPS run | flip | correlation | scale |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    for e in csv.DictReader(open(sys.argv[3]), delimiter="\t"):
        print(f"| {e['n']}^3 | {e['views']} | {e['read_s']} | {e['upload_s']} | {e['run_s']} | {e['get_s']} | {e['gups_run']} | "
              f"{e['flip']} | {e['correlation']} | {e['scale']} |")
EOF
exit $status
