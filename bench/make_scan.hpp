// The bench binary's generator mode: writes the benchmark scene (bench/scene.hpp) to disk as a
// scan a user would bring, so the end-to-end timings (bench/gpu.sh) and the RTK comparison
// (bench/rtk_cpu_compare.py) run `voidscan reconstruct` on real files.
//
//   voidscan_bench --make-scan DIR --size N --views V [--detector D] [--white W]
//
// writes DIR/proj_NNNNN.tif (uint16 counts round(W exp(-p)), W = 60000 unless given; multi-page
// files of about 64 MiB each) and DIR/scan.json (per-view vectors, intensity.white_level = W,
// volume = the N^3 scene grid). D defaults to N (one pixel per voxel at the axis).
#pragma once

namespace voidscan::bench {

/// True when argv asks for the generator (argv[1] == "--make-scan").
[[nodiscard]] bool is_make_scan(int argc, char** argv);

/// Runs the generator; returns the process exit code (0, or 2 for bad arguments, 3 on failure).
[[nodiscard]] int make_scan_main(int argc, char** argv);

}  // namespace voidscan::bench
