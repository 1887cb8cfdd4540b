// Scan geometry as plain data: a detector and one set of vectors per view.
//
// World frame: object fixed, right-handed, millimetres, z along the rotation axis.
// The centre of detector pixel (c, r) (c = TIFF column, r = TIFF row, row 0 first) is
//   detector_center + (c - (cols-1)/2) * u + (r - (rows-1)/2) * v.
// |u| and |v| are the pixel pitches in mm. Circular scans are expanded into these vectors
// on load (see expand_circular), so every later stage sees only per-view vectors.
#pragma once
#include <array>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace voidscan {

struct Vec3 {
  double x = 0, y = 0, z = 0;
  [[nodiscard]] double operator[](int i) const { return i == 0 ? x : (i == 1 ? y : z); }
};
inline Vec3 operator+(Vec3 a, Vec3 b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
inline Vec3 operator-(Vec3 a, Vec3 b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
inline Vec3 operator*(double s, Vec3 a) { return {s * a.x, s * a.y, s * a.z}; }
inline double dot(Vec3 a, Vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
inline Vec3 cross(Vec3 a, Vec3 b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
inline double norm(Vec3 a) { return std::sqrt(dot(a, a)); }
inline Vec3 normalized(Vec3 a) { return (1.0 / norm(a)) * a; }

/// Flat-panel detector: pixel counts and pitch.
struct Detector {
  int cols = 0;         ///< pixels along u (TIFF width), >= 1
  int rows = 0;         ///< pixels along v (TIFF height), >= 1
  double du_mm = 0;     ///< pitch along u, mm, > 0
  double dv_mm = 0;     ///< pitch along v, mm, > 0
};

/// One projection's geometry, in world mm. Cone beam (the default): rays run from `source`
/// to each pixel. Parallel beam (`parallel` true, e.g. ZEISS nano-CT / synchrotron): every ray
/// runs along `ray` (a direction, any length > 0) and hits the detector at the pixel; `source`
/// is unused.
struct ViewGeometry {
  Vec3 source;           ///< focal spot position (cone beam)
  Vec3 detector_center;  ///< centre of the detector (between pixels when cols/rows are even)
  Vec3 u;                ///< one column step (length = pixel pitch along u)
  Vec3 v;                ///< one row step (length = pixel pitch along v)
  double angle_deg = 0;  ///< informational: the stage angle as the manifest gave it
  bool parallel = false; ///< parallel beam: rays along `ray`, no source point
  Vec3 ray;              ///< parallel beam: direction of the rays (towards the detector)
};

struct Geometry {
  Detector detector;
  std::vector<ViewGeometry> views;
};

/// Circular cone-beam shorthand. Expanded by this convention (Rz counter-clockwise about +z):
///   source(t)   = Rz(t) (0, -sod, 0)
///   detector(t) = Rz(t) (off_u - cor, sdd - sod, off_v)   [cor shifts the axis, i.e. the detector]
///   u(t)        = Rz(t) (du, 0, 0) rotated by the in-plane tilt; v = (0, 0, -dv) likewise
struct CircularSpec {
  double sod_mm = 0;                     ///< source to rotation axis, mm, > 0
  double sdd_mm = 0;                     ///< source to detector, mm, > sod
  std::vector<double> angles_deg;        ///< one per view
  std::array<double, 2> detector_offset_mm{0, 0};  ///< detector centre shift along u and v, mm
  double cor_offset_mm = 0;              ///< rotation axis offset along u at the detector, mm
  double detector_tilt_deg = 0;          ///< in-plane detector rotation about the central ray, degrees
};

[[nodiscard]] Geometry expand_circular(const Detector& det, const CircularSpec& spec);

/// Regular reconstruction grid. Voxel (i, j, k) centre =
///   center + ((i - (nx-1)/2) sx, (j - (ny-1)/2) sy, (k - (nz-1)/2) sz); stored x fastest.
struct VolumeGrid {
  int nx = 0, ny = 0, nz = 0;
  double sx = 0, sy = 0, sz = 0;  ///< voxel size, mm
  Vec3 center;                    ///< centre of the grid, mm
  [[nodiscard]] Vec3 voxel_center(double i, double j, double k) const {
    return {center.x + (i - 0.5 * (nx - 1)) * sx, center.y + (j - 0.5 * (ny - 1)) * sy,
            center.z + (k - 0.5 * (nz - 1)) * sz};
  }
  /// Centre of voxel 0 (what MHA/NRRD call the origin).
  [[nodiscard]] Vec3 origin() const { return voxel_center(0, 0, 0); }
  [[nodiscard]] size_t voxel_count() const { return size_t(nx) * size_t(ny) * size_t(nz); }
};

/// 3x4 projective map, row-major, from world mm (x, y, z, 1) to (c w, r w, w) where (c, r)
/// is the detector pixel index (column, row; pixel centres at integers) the ray from the
/// source through the point hits. w = -(u x v).(x - source): negative in front of the source.
/// Parallel beam: an affine map, last row (0, 0, 0, 1) (w = 1 everywhere).
struct ProjectionMatrix {
  std::array<double, 12> m{};
};
[[nodiscard]] ProjectionMatrix projection_matrix(const Detector& det, const ViewGeometry& view);

/// How the source angles about +z cover the circle. A scan is `full` when its largest gap
/// between neighbouring source angles is at most 3 median steps; otherwise it is a short scan
/// over the arc that starts at `arc_start_rad` and runs counter-clockwise for `coverage_rad`.
struct AngularCoverage {
  bool full = true;
  double coverage_rad = 0;      ///< 2 pi for a full scan
  double median_step_rad = 0;
  double largest_gap_rad = 0;
  double arc_start_rad = 0;     ///< short scans: first source angle of the arc, in [0, 2 pi)
};
[[nodiscard]] AngularCoverage angular_coverage(const Geometry& g);

/// Summary figures used by `voidscan info`, the default grid and the FDK weights.
struct GeometrySummary {
  double mean_sod_mm = 0;      ///< mean distance from source to the z axis
  double mean_sdd_mm = 0;      ///< mean perpendicular distance from source to detector plane
  double magnification = 0;    ///< mean sdd / sod
  double coverage_deg = 0;     ///< angular span of the source around z (360 for a full scan)
  double largest_gap_deg = 0;  ///< largest step between neighbouring source angles
  double fov_radius_mm = 0;    ///< radius of the cylinder about z seen by every view
  double fov_half_height_mm = 0;
};
[[nodiscard]] GeometrySummary summarize(const Geometry& g);

/// A grid that covers the field of view at the magnified pixel size.
[[nodiscard]] VolumeGrid default_grid(const Geometry& g);

/// Checks that the geometry can be reconstructed: finite numbers, non-zero vectors,
/// u and v not parallel, source off the detector plane. Throws InputError naming `file`
/// and the field (e.g. "projections[12].u_mm").
void validate(const Geometry& g, const std::string& file);

/// Source angle about +z in radians (atan2 of the source's xy position, counter-clockwise).
/// Parallel beam: the angle of -ray (where a source would sit), so both forms agree.
[[nodiscard]] inline double source_angle(const ViewGeometry& v) {
  return v.parallel ? std::atan2(-v.ray.y, -v.ray.x) : std::atan2(v.source.y, v.source.x);
}

/// True when every view is parallel beam (mixed scans are rejected by validate()).
[[nodiscard]] inline bool is_parallel(const Geometry& g) { return !g.views.empty() && g.views.front().parallel; }

/// Circular parallel-beam shorthand (same frame as CircularSpec, no source): for angle t,
/// ray(t) = Rz(t) (0, 1, 0), detector(t) = Rz(t) (off_u - cor, 0, off_v), u and v as in
/// expand_circular (tilt included).
[[nodiscard]] Geometry expand_parallel(const Detector& det, const std::vector<double>& angles_deg,
                                       double cor_offset_mm = 0, std::array<double, 2> detector_offset_mm = {0, 0},
                                       double detector_tilt_deg = 0);

/// Angles closer than this (radians) are the same angle (a repeated 0/360 degree view).
inline constexpr double kSameAngle = 1e-6;

/// Maps an angle to [0, 2 pi), with values within kSameAngle below 2 pi mapped to 0.
[[nodiscard]] inline double wrap_angle(double a) {
  constexpr double two_pi = 6.283185307179586476925;
  a = std::fmod(a, two_pi);
  if (a < 0) a += two_pi;
  return a > two_pi - kSameAngle ? 0.0 : a;
}

}  // namespace voidscan
