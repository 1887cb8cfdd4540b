// Host-side preparation of an FDK reconstruction: per-view weights and matrices, the ramp
// filter, and the redundancy mode, computed once from the geometry. Both backends take a plan.
//
// Steps (each documented where it is implemented, recon/fdk_plan.cpp):
//  1. projection matrix per view (geometry.hpp: projection_matrix);
//  2. angular weights from the actual source angles: each view gets half the angular distance
//     to its neighbours; views at the same angle (a repeated 0/360 degree view) share it;
//     gaps are covered by their neighbours;
//  3. redundancy: full scan (largest gap <= 3 median steps) -> k = 1/2; otherwise a short scan
//     with Parker weights over the actual arc; a full scan whose rotation axis projects off the
//     detector centre by more than 2 % of its width -> displaced-detector weights;
//  4. the ramp filter response for the detector's row length and pitch.
// Test: tests/recon/test_fdk.cpp (short scan, offset detector, non-uniform and duplicated
// angles, tilted detector) and tests/recon/test_fdk_plan.cpp.
#pragma once
#include <string>
#include <vector>

#include "recon/fdk_math.hpp"
#include "recon/geometry.hpp"
#include "recon/ramp_filter.hpp"

namespace voidscan {

struct FdkPlan {
  Detector detector;
  /// Width of the filtered images the backprojection samples. Equal to detector.cols, except
  /// for a displaced detector, whose filtered images extend over the missing side up to the
  /// mirror image of the long side: the ramp-filtered weighted projection is not zero there
  /// (its tails), and dropping them biases the half-fan region (as RTK's "pad on truncated side").
  int filtered_cols = 0;
  /// Column of the filtered image where detector column 0 lands (0 unless padded on the left).
  /// The matrices below already include it.
  int col_shift = 0;
  std::vector<FdkView> views;
  std::vector<ProjectionMatrix> matrices;  ///< the same P as views[i].P, in double (for grid offsets)
  RampFilter filter;
  Redundancy redundancy = Redundancy::full_scan;
  double coverage_deg = 0;
  std::vector<std::string> warnings;  ///< e.g. too little coverage for the fan angle
};

[[nodiscard]] FdkPlan plan_fdk(const Geometry& g, FilterWindow window);

/// Angular weight of each view (radians), exposed for tests.
[[nodiscard]] std::vector<double> angular_weights(const std::vector<double>& angles_rad, bool full_scan);

}  // namespace voidscan
