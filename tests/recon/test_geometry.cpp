// Geometry: circular expansion convention, projection matrices, coverage, default grid, validation.
#include <gtest/gtest.h>

#include <numbers>

#include "recon/error.hpp"
#include "recon/geometry.hpp"

namespace voidscan {
namespace {

Detector detector(int cols = 64, int rows = 48, double du = 0.2, double dv = 0.25) { return {cols, rows, du, dv}; }

CircularSpec circle(int n, double span_deg = 360.0) {
  CircularSpec s;
  s.sod_mm = 100;
  s.sdd_mm = 300;
  for (int i = 0; i < n; ++i) s.angles_deg.push_back(i * span_deg / n);
  return s;
}

TEST(Geometry, CircularConventionMatchesManifestDefinition) {
  CircularSpec s = circle(4);
  s.detector_offset_mm = {1.5, -2.0};
  const Geometry g = expand_circular(detector(), s);
  // theta = 0: source (0, -sod, 0), detector (off_u, sdd - sod, off_v), u = (du, 0, 0), v = (0, 0, -dv)
  EXPECT_NEAR(g.views[0].source.y, -100, 1e-12);
  EXPECT_NEAR(g.views[0].detector_center.x, 1.5, 1e-12);
  EXPECT_NEAR(g.views[0].detector_center.y, 200, 1e-12);
  EXPECT_NEAR(g.views[0].detector_center.z, -2.0, 1e-12);
  EXPECT_NEAR(g.views[0].u.x, 0.2, 1e-12);
  EXPECT_NEAR(g.views[0].v.z, -0.25, 1e-12);
  // theta = 90 deg, counter-clockwise about +z: (0, -sod, 0) -> (sod, 0, 0)
  EXPECT_NEAR(g.views[1].source.x, 100, 1e-9);
  EXPECT_NEAR(g.views[1].source.y, 0, 1e-9);
  EXPECT_NEAR(g.views[1].u.y, 0.2, 1e-12);
}

TEST(Geometry, TiltedDetectorKeepsOrthogonalPixelVectors) {
  CircularSpec s = circle(3);
  s.detector_tilt_deg = 7;
  const Geometry g = expand_circular(detector(), s);
  for (const auto& v : g.views) {
    EXPECT_NEAR(dot(v.u, v.v), 0, 1e-12);
    EXPECT_NEAR(norm(v.u), 0.2, 1e-12);
    EXPECT_NEAR(norm(v.v), 0.25, 1e-12);
  }
  EXPECT_NEAR(std::asin(-g.views[0].u.z / 0.2) * 180 / std::numbers::pi, 7, 1e-9);
}

TEST(Geometry, ProjectionMatrixMapsEveryPointOfAPixelRayToThatPixel) {
  CircularSpec s = circle(5);
  s.detector_tilt_deg = 3;
  s.detector_offset_mm = {2, 1};
  const Detector det = detector(40, 30);
  const Geometry g = expand_circular(det, s);
  for (const auto& v : g.views) {
    const ProjectionMatrix p = projection_matrix(det, v);
    for (double c : {0.0, 13.25, 39.0})
      for (double r : {0.0, 7.5, 29.0}) {
        const Vec3 pix = v.detector_center + (c - 19.5) * v.u + (r - 14.5) * v.v;
        for (double t : {0.2, 0.5, 0.8}) {
          const Vec3 x = v.source + t * (pix - v.source);
          const double cw = p.m[0] * x.x + p.m[1] * x.y + p.m[2] * x.z + p.m[3];
          const double rw = p.m[4] * x.x + p.m[5] * x.y + p.m[6] * x.z + p.m[7];
          const double w = p.m[8] * x.x + p.m[9] * x.y + p.m[10] * x.z + p.m[11];
          EXPECT_NEAR(cw / w, c, 1e-9);
          EXPECT_NEAR(rw / w, r, 1e-9);
          // depth along the detector normal: |w| / |u x v|
          const Vec3 n = normalized(cross(v.u, v.v));
          EXPECT_NEAR(std::abs(w) / norm(cross(v.u, v.v)), std::abs(dot(n, x - v.source)), 1e-9);
        }
      }
  }
}

TEST(Geometry, CoverageOfFullShortAndRepeatedScans) {
  const Detector det = detector();
  AngularCoverage full = angular_coverage(expand_circular(det, circle(360)));
  EXPECT_TRUE(full.full);
  EXPECT_NEAR(full.coverage_rad, 2 * std::numbers::pi, 1e-12);
  CircularSpec rep = circle(360);
  rep.angles_deg.push_back(360.0);  // repeated 0 / 360 view
  EXPECT_TRUE(angular_coverage(expand_circular(det, rep)).full);
  CircularSpec shrt;
  shrt.sod_mm = 100;
  shrt.sdd_mm = 300;
  for (int i = 0; i <= 200; ++i) shrt.angles_deg.push_back(30.0 + i);
  const AngularCoverage sc = angular_coverage(expand_circular(det, shrt));
  EXPECT_FALSE(sc.full);
  EXPECT_NEAR(sc.coverage_rad * 180 / std::numbers::pi, 200, 1e-9);
  // the source at stage angle 30 deg sits at 30 - 90 = -60 deg, i.e. 300 deg
  EXPECT_NEAR(sc.arc_start_rad * 180 / std::numbers::pi, 300, 1e-9);
}

TEST(Geometry, DefaultGridCoversTheFieldOfViewAtTheMagnifiedPixel) {
  const Detector det = detector(100, 80, 0.3, 0.3);
  const Geometry g = expand_circular(det, circle(180));
  const GeometrySummary s = summarize(g);
  EXPECT_NEAR(s.magnification, 3.0, 1e-12);
  // half fan: the ray to the edge at 15 mm on the detector 300 mm away: r = 100 sin(atan(15/300))
  EXPECT_NEAR(s.fov_radius_mm, 100 * std::sin(std::atan(15.0 / 300.0)), 1e-9);
  const VolumeGrid grid = default_grid(g);
  EXPECT_NEAR(grid.sx, 0.1, 1e-12);
  EXPECT_EQ(grid.nx, int(std::ceil(2 * s.fov_radius_mm / 0.1)));
  EXPECT_EQ(grid.nz, int(std::ceil(2 * (0.5 * 80 * 0.3 / 3.0) / 0.1)));
}

TEST(Geometry, ValidateNamesTheFieldOfABadVector) {
  Geometry g = expand_circular(detector(), circle(4));
  g.views[2].u = {0, 0, 0};
  try {
    validate(g, "scan.json");
    FAIL() << "zero-length u accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "projections[2].u_mm");
    EXPECT_NE(std::string(e.what()).find("scan.json"), std::string::npos);
  }
  g = expand_circular(detector(), circle(4));
  g.views[1].source.y = std::nan("");
  EXPECT_THROW(validate(g, "scan.json"), InputError);
  g = expand_circular(detector(), circle(4));
  g.views[0].v = (1.0 / 0.2 * 0.25) * g.views[0].u;  // parallel to u, right length
  EXPECT_THROW(validate(g, "scan.json"), InputError);
  g.views.clear();
  EXPECT_THROW(validate(g, "scan.json"), InputError);
}

}  // namespace
}  // namespace voidscan
