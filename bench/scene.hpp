// The benchmark scene, shared by the in-memory FDK benchmarks (bench/bench_fdk.cpp) and the
// synthetic-scan generator (bench/make_scan.cpp) that bench/gpu.sh and bench/rtk_cpu_compare.py
// reconstruct from disk. Keeping one definition means every figure in docs/benchmarks.md comes
// from the same object, geometry and grid convention.
//
// Scene, for a cubic grid of n^3 voxels:
//   - object: the test suite's package phantom (tests/support/fdk_fixture.hpp): a cylinder of
//     radius 6 mm, height 8 mm, with a die, a bump and a void inside;
//   - grid: kGridExtentMm wide on every axis, centred on the origin, voxel = kGridExtentMm / n;
//   - geometry: the tests' circular scan (test::circle_spec: SOD 100 mm, SDD 200 mm,
//     magnification 2), full 360 degrees in equal steps, onto a square detector of `detector`
//     pixels a side with pitch 2 x voxel, so one pixel maps onto one voxel at the rotation axis.
//     detector = 1.5 n covers the whole cube (its diagonal and the cone); detector = n covers the
//     cylinder the grid's width spans (the usual CT field of view).
#pragma once
#include "recon/geometry.hpp"
#include "recon/phantom.hpp"
#include "support/fdk_fixture.hpp"

namespace voidscan::bench {

inline constexpr double kGridExtentMm = 16.0;  ///< grid width on every axis, mm

/// The n^3 benchmark grid.
inline VolumeGrid scene_grid(int n) { return test::cube_grid(n, kGridExtentMm / n); }

/// Full circular scan of `views` equally spaced views onto a `detector` x `detector` panel whose
/// pitch maps one pixel onto one voxel of the n^3 grid at the rotation axis.
inline Geometry scene_geometry(int n, int views, int detector) {
  const CircularSpec s = test::circle_spec(views, 360.0 / views);  // the tests' SOD and SDD
  const double pitch = kGridExtentMm / n * (s.sdd_mm / s.sod_mm);
  return expand_circular({detector, detector, pitch, pitch}, s);
}

/// The object every benchmark images.
inline Phantom scene_phantom() { return test::package_phantom(); }

}  // namespace voidscan::bench
