// Hand-built package phantoms (flip-chip, hybrid-bond, hbm-stack geometry, materials, die ids,
// planted defects with their truth), written before the simulator landed to the layout its
// presets now follow (docs/simulator.md), built directly on recon/phantom.hpp and voxelised
// with supersampling (partial volume) plus Gaussian noise: small, fast volumes for the unit
// tests of detect::analyze (tests/detect/test_analyze.cpp); their truth has the fields of
// truth.json. The accuracy tests use the simulator itself (support/sim_samples.hpp).
// Grids are cropped in z (the substrate / wafer / base die is cut by the grid bottom) to keep
// the tests small; voxel 1 um, voxel centres at half-integer micrometres.
#pragma once
#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "detect/match.hpp"
#include "recon/phantom.hpp"
#include "recon/volume_io.hpp"
#include "support/noise.hpp"

namespace voidscan::test {

struct Mu {
  static constexpr double air = 0, underfill = 0.14, mold = 0.20, substrate = 0.15, oxide = 0.26, si = 0.335,
                          cu = 9.8, solder = 27.7;
};

struct PackageSample {
  std::vector<Object> objects;
  detect::Truth truth;
  VolumeGrid grid;
};

namespace pkg_detail {

constexpr double um = 1e-3;

inline VolumeGrid grid_um(double x0, double x1, double y0, double y1, double z0, double z1) {
  VolumeGrid g;
  g.nx = int(std::lround(x1 - x0));
  g.ny = int(std::lround(y1 - y0));
  g.nz = int(std::lround(z1 - z0));
  g.sx = g.sy = g.sz = um;
  g.center = {0.5 * (x0 + x1) * um, 0.5 * (y0 + y1) * um, 0.5 * (z0 + z1) * um};
  return g;
}

inline Box box_um(double x0, double y0, double z0, double x1, double y1, double z1) {
  return Box{{x0 * um, y0 * um, z0 * um}, {x1 * um, y1 * um, z1 * um}};
}

inline Cylinder cyl_um(double cx, double cy, double r, double z0, double z1) {
  return Cylinder{cx * um, cy * um, r * um, z0 * um, z1 * um};
}

inline std::string die_id(int c, int r, int l) {
  return "c" + std::to_string(c) + "r" + std::to_string(r) + "l" + std::to_string(l);
}

/// An ellipsoidal void (semi-axes a, b in x-y rotated by rot, c in z), in um.
inline detect::TruthDefect ellipsoid_truth(const std::string& id, detect::DefectType type, const std::string& die,
                                           double x, double y, double z, double a, double b, double c, double rot) {
  detect::TruthDefect t;
  t.id = id;
  t.type = type;
  t.die = die;
  t.centroid_mm = {x * um, y * um, z * um};
  const double cs = std::cos(rot), sn = std::sin(rot);
  const double hx = std::sqrt(a * a * cs * cs + b * b * sn * sn), hy = std::sqrt(a * a * sn * sn + b * b * cs * cs);
  t.bbox_mm = {{(x - hx) * um, (y - hy) * um, (z - c) * um}, {(x + hx) * um, (y + hy) * um, (z + c) * um}};
  t.volume_mm3 = 4.0 / 3.0 * std::numbers::pi * a * b * c * um * um * um;
  t.equivalent_diameter_mm = std::cbrt(6.0 * t.volume_mm3 / std::numbers::pi);
  t.area_mm2 = std::numbers::pi * a * b * um * um;
  return t;
}

struct Circle {
  double x, y, r;
};

inline bool clear_of(const std::vector<Circle>& cs, double x, double y, double r) {
  for (const Circle& c : cs)
    if (std::hypot(x - c.x, y - c.y) < c.r + r) return false;
  return true;
}

/// What one die's planted voids are drawn from (um): bump voids are spheres of radius
/// 1 + bump_rad_span U in a bump of `bumps` (distinct bumps, drawn in a shuffled order), within
/// its solder z0..z0 + solder_height; underfill voids ellipsoids of semi-axes 1 + xy_span U (x,
/// y) and 1 + z_span U (z), centred in the square (cx, cy) +- half_span and z0..z0 + fill_height,
/// inside (cx, cy) +- bound and clear of the bumps (and each other) by 1 um.
struct Planting {
  double cx = 0, cy = 0, half_span = 0, bound = 0;
  double z0 = 0, solder_height = 0, fill_height = 0;
  double bump_rad_span = 0, xy_span = 0, z_span = 0;
};

/// Plants `bv` bump voids then up to `uf` underfill voids of die `id` (ids T<next>...), their
/// objects into `voids` and their truth into `truth`.
inline void plant_voids(std::mt19937& rng, const std::vector<Circle>& bumps, const Planting& p, int uf, int bv,
                        const std::string& id, int& next, std::vector<Object>& voids, detect::Truth& truth) {
  std::uniform_real_distribution<double> U(0.0, 1.0);
  std::vector<int> order(bumps.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = int(i);
  std::shuffle(order.begin(), order.end(), rng);
  for (int n = 0; n < bv; ++n) {
    const Circle& bc = bumps[std::size_t(order[std::size_t(n)])];
    const double rad = 1.0 + p.bump_rad_span * U(rng);
    const double room = std::max(0.0, bc.r - rad - 0.5);
    const double ang = 2 * std::numbers::pi * U(rng), rr = room * std::sqrt(U(rng));
    const double x = bc.x + rr * std::cos(ang), y = bc.y + rr * std::sin(ang);
    const double z = p.z0 + rad + 0.5 + std::max(0.0, p.solder_height - 2 * rad - 1.0) * U(rng);
    voids.push_back({Sphere{{x * um, y * um, z * um}, rad * um}, 0.0});
    auto t = ellipsoid_truth("T" + std::to_string(next++), detect::DefectType::bump_void, id, x, y, z, rad, rad, rad, 0);
    t.bump = id + "/b" + std::to_string(order[std::size_t(n)]);
    truth.defects.push_back(t);
  }
  std::vector<Circle> taken = bumps;
  for (auto& t : taken) t.r += 1.0;
  for (int n = 0, tries = 0; n < uf && tries < 5000; ++tries) {
    const double a = 1.0 + p.xy_span * U(rng), bb = 1.0 + p.xy_span * U(rng), cz = 1.0 + p.z_span * U(rng);
    const double rot = std::numbers::pi * U(rng);
    const double x = p.cx - p.half_span + 2 * p.half_span * U(rng), y = p.cy - p.half_span + 2 * p.half_span * U(rng);
    const double z = p.z0 + cz + 0.5 + std::max(0.0, p.fill_height - 2 * cz - 1.0) * U(rng);
    const double rmax = std::max(a, bb);
    if (std::abs(x - p.cx) + rmax > p.bound || std::abs(y - p.cy) + rmax > p.bound) continue;
    if (!clear_of(taken, x, y, rmax)) continue;
    taken.push_back({x, y, rmax + 1.0});
    voids.push_back({Ellipsoid{{x * um, y * um, z * um}, {a * um, bb * um, cz * um}, rot * 180 / std::numbers::pi}, 0.0});
    truth.defects.push_back(
        ellipsoid_truth("T" + std::to_string(next++), detect::DefectType::underfill_void, id, x, y, z, a, bb, cz, rot));
    ++n;
  }
}

}  // namespace pkg_detail

/// flip-chip: substrate z -20..0 (grid from -8), 2x2 dies 80x80x25 um 30 apart at z 12..37,
/// underfill (die + 2 um, and a fillet step die + 6 um up to z 6) with 4x4 bumps on a 20 um
/// pitch (solder d 10, z 0..9, Cu pillar z 9..12). Per die `uf` underfill voids (ellipsoids
/// 2..15 um across between bumps) and `bv` bump voids (spheres d 2..6 in the solder).
inline PackageSample flip_chip_sample(unsigned seed, int uf = 3, int bv = 2) {
  using namespace pkg_detail;
  PackageSample s;
  s.grid = grid_um(-105, 105, -105, 105, -8, 40);
  s.truth.kind = "flip-chip";
  s.truth.seed = int(seed);
  s.truth.voxel_mm = um;
  std::mt19937 rng(seed);
  auto& o = s.objects;
  o.push_back({box_um(-105, -105, -20, 105, 105, 0), Mu::substrate});
  std::vector<Object> voids;
  int next = 1;
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 2; ++c) {
      const double cx = c ? 55 : -55, cy = r ? 55 : -55;
      const std::string id = die_id(c, r, 0);
      o.push_back({box_um(cx - 46, cy - 46, 0, cx + 46, cy + 46, 6), Mu::underfill});
      o.push_back({box_um(cx - 42, cy - 42, 0, cx + 42, cy + 42, 12), Mu::underfill});
      o.push_back({box_um(cx - 40, cy - 40, 12, cx + 40, cy + 40, 37), Mu::si});
      detect::TruthDie td;
      td.id = id;
      td.index = {c, r, 0};
      td.bbox_mm = {{(cx - 40) * um, (cy - 40) * um, 12 * um}, {(cx + 40) * um, (cy + 40) * um, 37 * um}};
      td.interface_z_mm = {0, 12 * um};
      s.truth.dies.push_back(td);
      std::vector<Circle> bumps;
      for (int bj = 0; bj < 4; ++bj)
        for (int bi = 0; bi < 4; ++bi) {
          const double bx = cx - 30 + 20 * bi, by = cy - 30 + 20 * bj;
          o.push_back({cyl_um(bx, by, 5, 0, 9), Mu::solder});
          o.push_back({cyl_um(bx, by, 5, 9, 12), Mu::cu});
          bumps.push_back({bx, by, 5});
        }
      plant_voids(rng, bumps, {cx, cy, 40, 41, 0, 9, 12, 2.0, 6.5, 4.0}, uf, bv, id, next, voids, s.truth);
    }
  o.insert(o.end(), voids.begin(), voids.end());
  return s;
}

/// hybrid-bond: Si wafer z -20..-1 + oxide -1..0 (grid from -8), 2x2 dies 60x60 um 20 apart
/// (oxide 0..1, Si 1..21), Cu pads d 3 on a 6 um pitch, z -1..1. Per die `gaps` bond gaps:
/// air boxes centred on z = 0, thickness 0.5..3 um, 8..50 um wide (some across pads).
inline PackageSample hybrid_bond_sample(unsigned seed, int gaps = 2) {
  using namespace pkg_detail;
  PackageSample s;
  s.grid = grid_um(-75, 75, -75, 75, -8, 26);
  s.truth.kind = "hybrid-bond";
  s.truth.seed = int(seed);
  s.truth.voxel_mm = um;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  auto& o = s.objects;
  o.push_back({box_um(-75, -75, -20, 75, 75, -1), Mu::si});
  o.push_back({box_um(-75, -75, -1, 75, 75, 0), Mu::oxide});
  std::vector<Object> gap_objs;
  int next = 1;
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 2; ++c) {
      const double cx = c ? 40 : -40, cy = r ? 40 : -40;
      const std::string id = die_id(c, r, 0);
      o.push_back({box_um(cx - 30, cy - 30, 0, cx + 30, cy + 30, 1), Mu::oxide});
      o.push_back({box_um(cx - 30, cy - 30, 1, cx + 30, cy + 30, 21), Mu::si});
      for (int pj = 0; pj < 10; ++pj)
        for (int pi = 0; pi < 10; ++pi) o.push_back({cyl_um(cx - 27 + 6 * pi, cy - 27 + 6 * pj, 1.5, -1, 1), Mu::cu});
      detect::TruthDie td;
      td.id = id;
      td.index = {c, r, 0};
      td.bbox_mm = {{(cx - 30) * um, (cy - 30) * um, 0}, {(cx + 30) * um, (cy + 30) * um, 21 * um}};
      td.interface_z_mm = {-1 * um, 1 * um};
      s.truth.dies.push_back(td);
      struct Rect {
        double x0, y0, x1, y1;
      };
      std::vector<Rect> placed;
      for (int n = 0, tries = 0; n < gaps && tries < 5000; ++tries) {
        const double wx = 8 + 42 * U(rng) * U(rng), wy = 8 + 42 * U(rng) * U(rng);
        const double t = 0.5 + 2.5 * U(rng);
        const double x0 = cx - 28 + (56 - wx) * U(rng), y0 = cy - 28 + (56 - wy) * U(rng);
        if (56 - wx < 0 || 56 - wy < 0) continue;
        const Rect rc{x0, y0, x0 + wx, y0 + wy};
        bool ok = true;
        for (const Rect& p : placed)
          ok = ok && (rc.x1 + 6 < p.x0 || p.x1 + 6 < rc.x0 || rc.y1 + 6 < p.y0 || p.y1 + 6 < rc.y0);
        if (!ok) continue;
        placed.push_back(rc);
        gap_objs.push_back({box_um(rc.x0, rc.y0, -0.5 * t, rc.x1, rc.y1, 0.5 * t), 0.0});
        detect::TruthDefect d;
        d.id = "T" + std::to_string(next++);
        d.type = detect::DefectType::bond_gap;
        d.die = id;
        d.centroid_mm = {0.5 * (rc.x0 + rc.x1) * um, 0.5 * (rc.y0 + rc.y1) * um, 0};
        d.bbox_mm = {{rc.x0 * um, rc.y0 * um, -0.5 * t * um}, {rc.x1 * um, rc.y1 * um, 0.5 * t * um}};
        d.volume_mm3 = wx * wy * t * um * um * um;
        d.equivalent_diameter_mm = std::cbrt(6.0 * d.volume_mm3 / std::numbers::pi);
        d.area_mm2 = wx * wy * um * um;
        d.thickness_mm = t * um;
        s.truth.defects.push_back(d);
        ++n;
      }
    }
  o.insert(o.end(), gap_objs.begin(), gap_objs.end());
  return s;
}

/// hbm-stack: base Si die 80x80 um, z -40..0 (grid from -6); 4 core dies 70x70 um, layer L:
/// NCF tier z 21L..21L+6 (underfill material) with 5x5 solder bumps d 7 on a 15 um pitch, then
/// Si 21L+6..21L+21 with Cu TSVs d 3 at the bump positions. Per layer `uf` underfill voids and
/// `bv` bump voids, belonging to the die above the tier.
inline PackageSample hbm_stack_sample(unsigned seed, int uf = 2, int bv = 2) {
  using namespace pkg_detail;
  PackageSample s;
  s.grid = grid_um(-45, 45, -45, 45, -6, 88);
  s.truth.kind = "stack";
  s.truth.seed = int(seed);
  s.truth.voxel_mm = um;
  std::mt19937 rng(seed);
  auto& o = s.objects;
  o.push_back({box_um(-40, -40, -40, 40, 40, 0), Mu::si});
  std::vector<Object> voids;
  int next = 1;
  for (int L = 0; L < 4; ++L) {
    const double z0 = 21.0 * L;
    const std::string id = die_id(0, 0, L);
    o.push_back({box_um(-36, -36, z0, 36, 36, z0 + 6), Mu::underfill});
    o.push_back({box_um(-35, -35, z0 + 6, 35, 35, z0 + 21), Mu::si});
    std::vector<Circle> bumps;
    for (int bj = 0; bj < 5; ++bj)
      for (int bi = 0; bi < 5; ++bi) {
        const double bx = -30 + 15 * bi, by = -30 + 15 * bj;
        o.push_back({cyl_um(bx, by, 3.5, z0, z0 + 6), Mu::solder});
        o.push_back({cyl_um(bx, by, 1.5, z0 + 6, z0 + 21), Mu::cu});
        bumps.push_back({bx, by, 3.5});
      }
    detect::TruthDie td;
    td.id = id;
    td.index = {0, 0, L};
    td.bbox_mm = {{-35 * um, -35 * um, (z0 + 6) * um}, {35 * um, 35 * um, (z0 + 21) * um}};
    td.interface_z_mm = {z0 * um, (z0 + 6) * um};
    s.truth.dies.push_back(td);
    plant_voids(rng, bumps, {0, 0, 34, 35, z0, 6, 6, 1.5, 5.0, 1.5}, uf, bv, id, next, voids, s.truth);
  }
  o.insert(o.end(), voids.begin(), voids.end());
  return s;
}

/// Voxelises with s^3 supersampling (partial volume) and adds Gaussian noise of sigma (1/mm).
inline Volume render(const PackageSample& s, double noise_sigma, unsigned noise_seed, int supersample = 2) {
  Volume v;
  v.grid = s.grid;
  v.data = voxelize(Phantom(s.objects), s.grid, supersample);
  add_gaussian_noise(v.data, noise_sigma, noise_seed);
  return v;
}

}  // namespace voidscan::test
