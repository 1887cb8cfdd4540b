#include "recon/fdk_plan.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include <fmt/format.h>

namespace voidscan {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kDeg = kPi / 180.0;

/// Half-fan angle of a view in the xy plane: the largest angle between the ray to the z axis
/// and the rays to the detector's two edges.
double half_fan_angle(const Detector& det, const ViewGeometry& v) {
  if (v.parallel) return 0;
  const double cx = -v.source.x, cy = -v.source.y;
  double g = 0;
  for (double sgn : {-0.5, 0.5}) {
    const Vec3 q = v.detector_center + (sgn * det.cols) * v.u - v.source;
    g = std::max(g, std::abs(std::atan2(cx * q.y - cy * q.x, cx * q.x + cy * q.y)));
  }
  return g;
}

}  // namespace

std::vector<double> angular_weights(const std::vector<double>& angles_rad, bool full_scan) {
  const size_t n = angles_rad.size();
  std::vector<double> w(n, 0.0);
  if (n == 0) return w;
  if (n == 1) {
    w[0] = full_scan ? 2 * kPi : kPi;
    return w;
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::vector<double> a(n);
  for (size_t i = 0; i < n; ++i) a[i] = wrap_angle(angles_rad[i]);
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return a[x] < a[y]; });
  // Groups of views at the same angle share one weight.
  std::vector<std::vector<size_t>> groups;
  for (size_t idx : order) {
    if (!groups.empty() && a[idx] - a[groups.back().front()] < kSameAngle) groups.back().push_back(idx);
    else groups.push_back({idx});
  }
  const size_t m = groups.size();
  if (m == 1) {
    for (size_t idx : groups[0]) w[idx] = (full_scan ? 2 * kPi : kPi) / groups[0].size();
    return w;
  }
  auto angle = [&](size_t j) { return a[groups[j % m].front()]; };
  auto gap_after = [&](size_t j) {  // from group j to group j+1, wrapping around
    return j + 1 < m ? angle(j + 1) - angle(j) : angle(0) + 2 * kPi - angle(j);
  };
  size_t largest = 0;
  for (size_t j = 0; j < m; ++j)
    if (gap_after(j) > gap_after(largest)) largest = j;
  for (size_t j = 0; j < m; ++j) {
    const size_t prev = (j + m - 1) % m;
    double weight = 0.5 * (gap_after(prev) + gap_after(j));
    if (!full_scan) {
      // short scan: the largest gap is no data; the arc's end views get a half step inside it
      if (j == largest) weight = 0.5 * gap_after(prev);
      if (prev == largest) weight = 0.5 * gap_after(j);
    }
    for (size_t idx : groups[j]) w[idx] = weight / groups[j].size();
  }
  return w;
}

FdkPlan plan_fdk(const Geometry& g, FilterWindow window) {
  FdkPlan plan;
  const Detector& det = g.detector;
  plan.detector = det;
  const AngularCoverage cov = angular_coverage(g);
  plan.coverage_deg = cov.coverage_rad / kDeg;

  std::vector<double> angles;
  double max_fan = 0, mean_axis_offset = 0;
  for (const auto& v : g.views) {
    angles.push_back(source_angle(v));
    max_fan = std::max(max_fan, half_fan_angle(det, v));
  }
  const bool parallel = is_parallel(g);
  std::vector<double> dbeta = angular_weights(angles, cov.full);
  if (parallel) {
    // A parallel ray at angle t and its opposite at t + pi measure the same line: weights on
    // doubled angles, halved, sum to pi over any scan that covers 180 degrees.
    Geometry doubled;
    doubled.detector = det;
    std::vector<double> a2;
    for (double a : angles) {
      a2.push_back(2 * a);
      ViewGeometry v;
      v.source = {std::cos(2 * a), std::sin(2 * a), 0};
      doubled.views.push_back(v);
    }
    const AngularCoverage c2 = angular_coverage(doubled);
    dbeta = angular_weights(a2, c2.full);
    for (double& w : dbeta) w *= 0.5;
    plan.coverage_deg = c2.full ? std::max(180.0, plan.coverage_deg) : 0.5 * c2.coverage_rad / kDeg;
    if (!c2.full)
      plan.warnings.push_back(fmt::format(
          "parallel-beam coverage {:.1f} deg is less than 180 deg: expect limited-angle artefacts", plan.coverage_deg));
  }

  // Projection matrices (the column shift below is added later), and where the rotation axis
  // projects on each detector (at the source's height).
  plan.matrices.resize(g.views.size());
  std::vector<double> c_axis(g.views.size());
  for (size_t i = 0; i < g.views.size(); ++i) {
    const ProjectionMatrix& p = plan.matrices[i] = projection_matrix(det, g.views[i]);
    const double z = g.views[i].parallel ? g.views[i].detector_center.z : g.views[i].source.z;
    c_axis[i] = (p.m[2] * z + p.m[3]) / (p.m[10] * z + p.m[11]);
    mean_axis_offset += (c_axis[i] - 0.5 * (det.cols - 1)) / g.views.size();
  }

  double k = 0.5;
  double delta = 0;
  if (parallel) {
    // 360 degrees with the axis off the detector centre: displaced-detector weights pair each
    // ray with its opposite over the full circle (weights on single angles, sum 2 pi, k = 1).
    k = 1.0;
    if (cov.full && std::abs(mean_axis_offset) > 0.02 * det.cols) {
      plan.redundancy = Redundancy::displaced;
      dbeta = angular_weights(angles, true);
    }
  } else if (!cov.full) {
    plan.redundancy = Redundancy::parker;
    k = 1.0;
    delta = 0.5 * (cov.coverage_rad - kPi);
    if (delta < max_fan - 1e-3)
      plan.warnings.push_back(fmt::format(
          "angular coverage {:.1f} deg is less than 180 deg plus the fan angle ({:.1f} deg): expect "
          "limited-angle artefacts",
          plan.coverage_deg, 180.0 + 2 * max_fan / kDeg));
    delta = std::max(delta, 1e-3);
  } else if (std::abs(mean_axis_offset) > 0.02 * det.cols) {
    plan.redundancy = Redundancy::displaced;
    k = 1.0;
  }

  // Displaced detector: extend the filtered images on the short side up to the mirror image of
  // the long side, so the filter's tails beyond the physical edge are backprojected too.
  plan.filtered_cols = det.cols;
  if (plan.redundancy == Redundancy::displaced) {
    const double c_mean = 0.5 * (det.cols - 1) + mean_axis_offset;
    const int pad = std::max(0, int(std::ceil(std::abs((det.cols - 1 - c_mean) - c_mean))));
    plan.filtered_cols = det.cols + pad;
    plan.col_shift = mean_axis_offset < 0 ? pad : 0;  // axis left of centre: the left side is short
  }
  plan.filter = make_ramp_filter(plan.filtered_cols, det.du_mm, window);

  plan.views.resize(g.views.size());
  for (size_t i = 0; i < g.views.size(); ++i) {
    const ViewGeometry& v = g.views[i];
    FdkView& f = plan.views[i];
    ProjectionMatrix& p = plan.matrices[i];
    for (int j = 0; j < 4; ++j) p.m[j] += plan.col_shift * p.m[8 + j];  // column c -> c + col_shift
    for (int j = 0; j < 12; ++j) f.P[j] = float(p.m[j]);
    const Vec3 n = cross(v.u, v.v);
    const double D = v.parallel ? 0.0 : std::abs(dot(normalized(n), v.detector_center - v.source));
    const double R = std::hypot(v.source.x, v.source.y);
    f.bp_scale = float(v.parallel ? dbeta[i] * k : dbeta[i] * R * D * dot(n, n) * k);
    f.parallel = v.parallel ? 1 : 0;
    const Vec3* vecs[4] = {&v.source, &v.detector_center, &v.u, &v.v};
    float* dst[4] = {f.src, f.det, f.u, f.v};
    for (int j = 0; j < 4; ++j) {
      dst[j][0] = float(vecs[j]->x);
      dst[j][1] = float(vecs[j]->y);
      dst[j][2] = float(vecs[j]->z);
    }
    f.D = float(D);
    f.redundancy = int(plan.redundancy);
    f.beta = float(std::fmod(wrap_angle(angles[i]) - cov.arc_start_rad + 4 * kPi, 2 * kPi));
    if (f.beta > cov.coverage_rad + 1e-6) f.beta = 0;  // a repeated start view wrapped to 2 pi
    f.delta = float(delta);
    f.c_axis = float(c_axis[i]);
    const double left = c_axis[i], right = det.cols - 1 - c_axis[i];
    f.side = right >= left ? 1.f : -1.f;
    f.overlap_half = float(std::max(1.0, std::min(left, right)));
  }
  if (plan.redundancy == Redundancy::displaced && mean_axis_offset * mean_axis_offset > 0.2 * det.cols * det.cols)
    plan.warnings.push_back("the rotation axis projects far from the detector centre: the doubly-measured band is narrow");
  return plan;
}

}  // namespace voidscan
