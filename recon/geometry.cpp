#include "recon/geometry.hpp"

#include <algorithm>
#include <numbers>

#include "recon/error.hpp"

namespace voidscan {
namespace {

constexpr double kDeg = std::numbers::pi / 180.0;

Vec3 rotate_z(Vec3 p, double rad) {
  const double c = std::cos(rad), s = std::sin(rad);
  return {c * p.x - s * p.y, s * p.x + c * p.y, p.z};
}

bool finite(Vec3 a) { return std::isfinite(a.x) && std::isfinite(a.y) && std::isfinite(a.z); }

}  // namespace

Geometry expand_circular(const Detector& det, const CircularSpec& spec) {
  Geometry g;
  g.detector = det;
  const double tilt = spec.detector_tilt_deg * kDeg;
  const Vec3 u0{det.du_mm * std::cos(tilt), 0, -det.du_mm * std::sin(tilt)};
  const Vec3 v0{-det.dv_mm * std::sin(tilt), 0, -det.dv_mm * std::cos(tilt)};
  const Vec3 s0{-spec.cor_offset_mm, -spec.sod_mm, 0};
  const Vec3 d0{spec.detector_offset_mm[0] - spec.cor_offset_mm, spec.sdd_mm - spec.sod_mm,
                spec.detector_offset_mm[1]};
  g.views.reserve(spec.angles_deg.size());
  for (double a : spec.angles_deg) {
    const double t = a * kDeg;
    g.views.push_back({rotate_z(s0, t), rotate_z(d0, t), rotate_z(u0, t), rotate_z(v0, t), a, false, {}});
  }
  return g;
}

Geometry expand_parallel(const Detector& det, const std::vector<double>& angles_deg, double cor_offset_mm,
                         std::array<double, 2> detector_offset_mm, double detector_tilt_deg) {
  CircularSpec spec;
  spec.sod_mm = 1;  // placeholder source, replaced below
  spec.sdd_mm = 1;
  spec.angles_deg = angles_deg;
  spec.cor_offset_mm = cor_offset_mm;
  spec.detector_offset_mm = detector_offset_mm;
  spec.detector_tilt_deg = detector_tilt_deg;
  Geometry g = expand_circular(det, spec);
  for (auto& v : g.views) {
    const double t = v.angle_deg * kDeg;
    v.parallel = true;
    v.ray = rotate_z({0, 1, 0}, t);
    v.source = {};
  }
  return g;
}

namespace {
/// Parallel beam: c = (v x d).(x - dc) / N + cc, r = (d x u).(x - dc) / N + rc with
/// N = (u x v).d (Cramer's rule on dc + a u + b v = x + t d); w = 1.
ProjectionMatrix parallel_projection_matrix(const Detector& det, const ViewGeometry& view) {
  const Vec3 d = view.ray, dc = view.detector_center;
  const double n = dot(cross(view.u, view.v), d);
  const Vec3 k0 = (1.0 / n) * cross(view.v, d), k1 = (1.0 / n) * cross(d, view.u);
  ProjectionMatrix p;
  p.m = {k0.x, k0.y, k0.z, 0.5 * (det.cols - 1) - dot(k0, dc), k1.x, k1.y, k1.z, 0.5 * (det.rows - 1) - dot(k1, dc),
         0,    0,    0,    1};
  return p;
}
}  // namespace

ProjectionMatrix projection_matrix(const Detector& det, const ViewGeometry& view) {
  if (view.parallel) return parallel_projection_matrix(det, view);
  // Solve d + a u + b v = s + t (x - s) by Cramer's rule (det[a,b,c] = (a x b).c):
  //   a = ((s-d) x v).(s-x) / (u x v).(s-x),  b = (u x (s-d)).(s-x) / (u x v).(s-x).
  // Each numerator and the denominator is linear in x: k.(s - x) = -k.x + k.s.
  const Vec3 s = view.source, e = view.source - view.detector_center;
  const Vec3 n = cross(view.u, view.v);
  const double cc = 0.5 * (det.cols - 1), rc = 0.5 * (det.rows - 1);
  const Vec3 k0 = cross(e, view.v) + cc * n;  // column index c = a + cc
  const Vec3 k1 = cross(view.u, e) + rc * n;  // row index r = b + rc
  ProjectionMatrix p;
  const Vec3 rows[3] = {k0, k1, n};
  for (int i = 0; i < 3; ++i) {
    p.m[4 * i + 0] = -rows[i].x;
    p.m[4 * i + 1] = -rows[i].y;
    p.m[4 * i + 2] = -rows[i].z;
    p.m[4 * i + 3] = dot(rows[i], s);
  }
  return p;
}

AngularCoverage angular_coverage(const Geometry& g) {
  AngularCoverage a;
  const size_t n = g.views.size();
  if (n == 0) return a;
  std::vector<double> sorted;
  for (const auto& v : g.views) sorted.push_back(wrap_angle(source_angle(v)));
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> positive;
  size_t largest = 0;
  for (size_t i = 0; i < n; ++i) {
    const double next = i + 1 < n ? sorted[i + 1] : sorted[0] + 2 * std::numbers::pi;
    const double gap = next - sorted[i];
    if (gap > kSameAngle) positive.push_back(gap);
    if (gap > a.largest_gap_rad) {
      a.largest_gap_rad = gap;
      largest = i;
    }
  }
  if (!positive.empty()) {
    std::nth_element(positive.begin(), positive.begin() + positive.size() / 2, positive.end());
    a.median_step_rad = positive[positive.size() / 2];
  }
  a.full = n > 1 && a.largest_gap_rad <= 3 * a.median_step_rad;
  a.coverage_rad = a.full ? 2 * std::numbers::pi : 2 * std::numbers::pi - a.largest_gap_rad;
  a.arc_start_rad = a.full ? 0.0 : sorted[(largest + 1) % n];
  return a;
}

GeometrySummary summarize(const Geometry& g) {
  GeometrySummary s;
  if (g.views.empty()) return s;
  const auto& det = g.detector;
  double sod = 0, sdd = 0, fov = 1e300, half_h = 1e300;
  const AngularCoverage ac = angular_coverage(g);
  s.largest_gap_deg = ac.largest_gap_rad / kDeg;
  s.coverage_deg = ac.coverage_rad / kDeg;
  const bool full = ac.full;
  for (const auto& v : g.views) {
    if (v.parallel) {
      // No source: magnification 1; the field of view is bounded by the edge rays' distance
      // from the z axis in the xy plane, its height by the detector's.
      const double half = 0.5 * det.cols;
      const Vec3 d = v.ray;
      const double len = std::hypot(d.x, d.y);
      auto signed_dist = [&](Vec3 p) { return len > 0 ? (d.x * (-p.y) - d.y * (-p.x)) / len : 0.0; };
      const double d0 = signed_dist(v.detector_center - half * v.u), d1 = signed_dist(v.detector_center + half * v.u);
      double view_fov = 0;
      if (d0 * d1 < 0) view_fov = full ? std::max(std::abs(d0), std::abs(d1)) : std::min(std::abs(d0), std::abs(d1));
      fov = std::min(fov, view_fov);
      half_h = std::min(half_h, 0.5 * det.rows * norm(v.v));
      sod += 1;
      sdd += 1;
      continue;
    }
    const double r = std::hypot(v.source.x, v.source.y);
    const Vec3 nrm = normalized(cross(v.u, v.v));
    const double d = std::abs(dot(nrm, v.detector_center - v.source));
    sod += r;
    sdd += d;
    // In the xy plane: distance from the z axis to the rays through the detector's two
    // edges (central row). The axis is seen by this view if it lies between them.
    const double half = 0.5 * det.cols;
    const Vec3 e0 = v.detector_center - half * v.u - v.source;
    const Vec3 e1 = v.detector_center + half * v.u - v.source;
    auto signed_dist = [&](Vec3 e) {  // signed distance of the origin from the line s + t e
      const double len = std::hypot(e.x, e.y);
      return (e.x * (-v.source.y) - e.y * (-v.source.x)) / len;
    };
    const double d0 = signed_dist(e0), d1 = signed_dist(e1);
    double view_fov = 0;
    if (d0 * d1 < 0) view_fov = full ? std::max(std::abs(d0), std::abs(d1)) : std::min(std::abs(d0), std::abs(d1));
    fov = std::min(fov, view_fov);
    const double mag = d / std::max(r, 1e-12);
    half_h = std::min(half_h, 0.5 * det.rows * norm(v.v) / mag);
  }
  s.mean_sod_mm = is_parallel(g) ? 0 : sod / g.views.size();
  s.mean_sdd_mm = is_parallel(g) ? 0 : sdd / g.views.size();
  s.magnification = is_parallel(g) ? 1.0 : s.mean_sdd_mm / s.mean_sod_mm;
  s.fov_radius_mm = fov;
  s.fov_half_height_mm = half_h;
  return s;
}

VolumeGrid default_grid(const Geometry& g) {
  const GeometrySummary s = summarize(g);
  VolumeGrid grid;
  const double sxy = g.detector.du_mm / s.magnification;
  const double sz = g.detector.dv_mm / s.magnification;
  grid.sx = grid.sy = sxy;
  grid.sz = sz;
  grid.nx = grid.ny = std::max(1, int(std::ceil(2 * s.fov_radius_mm / sxy)));
  grid.nz = std::max(1, int(std::ceil(2 * s.fov_half_height_mm / sz)));
  // z of the central ray where it crosses the rotation axis, averaged over views
  double zc = 0;
  for (const auto& v : g.views) {
    if (v.parallel) {  // the central ray's point nearest to the z axis in xy
      const double dxy = v.ray.x * v.ray.x + v.ray.y * v.ray.y;
      const double t = dxy > 0 ? -(v.detector_center.x * v.ray.x + v.detector_center.y * v.ray.y) / dxy : 0;
      zc += v.detector_center.z + t * v.ray.z;
      continue;
    }
    const double r = std::hypot(v.source.x, v.source.y);
    const Vec3 to_det = v.detector_center - v.source;
    const double dxy = std::hypot(to_det.x, to_det.y);
    zc += v.source.z + to_det.z * (dxy > 0 ? r / dxy : 0);
  }
  grid.center = {0, 0, g.views.empty() ? 0 : zc / g.views.size()};
  return grid;
}

void validate(const Geometry& g, const std::string& file) {
  const auto& d = g.detector;
  if (d.cols < 1 || d.rows < 1)
    throw InputError(file, "detector.cols/rows", "detector size must be at least 1 x 1, got " +
                                                     std::to_string(d.cols) + " x " + std::to_string(d.rows));
  if (!(d.du_mm > 0 && d.dv_mm > 0 && std::isfinite(d.du_mm) && std::isfinite(d.dv_mm)))
    throw InputError(file, "detector.pixel_size_mm", "pixel size must be positive and finite");
  if (g.views.empty()) throw InputError(file, "projections", "the scan has no projections");
  for (size_t i = 0; i < g.views.size(); ++i) {
    const auto& v = g.views[i];
    const std::string at = "projections[" + std::to_string(i) + "].";
    if (v.parallel != g.views.front().parallel)
      throw InputError(file, at + (v.parallel ? "ray_mm" : "source_mm"),
                       "mixes parallel-beam (ray_mm) and cone-beam (source_mm) views");
    if (v.parallel) {
      if (!finite(v.ray)) throw InputError(file, at + "ray_mm", "contains a non-finite number (NaN or infinity)");
      if (norm(v.ray) == 0) throw InputError(file, at + "ray_mm", "zero-length direction");
    }
    const std::pair<const char*, Vec3> vecs[] = {
        {v.parallel ? "ray_mm" : "source_mm", v.parallel ? v.ray : v.source}, {"detector_center_mm", v.detector_center}, {"u_mm", v.u}, {"v_mm", v.v}};
    for (const auto& [name, vec] : vecs)
      if (!finite(vec)) throw InputError(file, at + name, "contains a non-finite number (NaN or infinity)");
    const double lu = norm(v.u), lv = norm(v.v);
    if (lu == 0) throw InputError(file, at + "u_mm", "zero-length vector");
    if (lv == 0) throw InputError(file, at + "v_mm", "zero-length vector");
    if (std::abs(lu - d.du_mm) > 1e-3 * d.du_mm)
      throw InputError(file, at + "u_mm", "length " + std::to_string(lu) +
                                              " mm disagrees with detector.pixel_size_mm[0] = " + std::to_string(d.du_mm));
    if (std::abs(lv - d.dv_mm) > 1e-3 * d.dv_mm)
      throw InputError(file, at + "v_mm", "length " + std::to_string(lv) +
                                              " mm disagrees with detector.pixel_size_mm[1] = " + std::to_string(d.dv_mm));
    const Vec3 n = cross(v.u, v.v);
    if (norm(n) < 1e-6 * lu * lv) throw InputError(file, at + "v_mm", "u and v are parallel");
    if (v.parallel) {
      if (std::abs(dot(normalized(n), normalized(v.ray))) < 1e-6)
        throw InputError(file, at + "ray_mm", "the rays run parallel to the detector plane");
      continue;
    }
    const double dist = std::abs(dot(normalized(n), v.detector_center - v.source));
    if (dist < 1e-6) throw InputError(file, at + "source_mm", "the source lies in the detector plane");
  }
}

}  // namespace voidscan
