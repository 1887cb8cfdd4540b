#include "sim/presets.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "recon/error.hpp"

namespace voidscan::sim {
namespace {

constexpr double kUm = 1e-3;  // micrometres -> mm

// ---- parameter tables: every default of every preset lives here ---------------------------
const std::vector<PresetParam> kFlipChip = {
    {"die_cols", 2, 1, 8, "dies along x"},
    {"die_rows", 2, 1, 8, "dies along y"},
    {"die_size_um", 80, 20, 2000, "die edge length (square dies), um"},
    {"die_gap_um", 30, 5, 1000, "space between neighbouring dies, um"},
    {"die_thickness_um", 25, 5, 800, "silicon die thickness, um"},
    {"standoff_um", 12, 4, 200, "die-to-substrate gap filled by underfill (bump height), um"},
    {"pillar_um", 3, 0, 100, "Cu pillar height at the top of each bump (the rest is solder), um"},
    {"bump_pitch_um", 20, 4, 500, "micro-bump pitch (square grid), um"},
    {"bump_diameter_um", 10, 2, 400, "micro-bump diameter, um"},
    {"substrate_um", 20, 5, 1000, "organic substrate thickness, um"},
    {"fillet_um", 6, 0, 200, "underfill fillet width beyond the die edge, um"},
    {"underfill_voids_max", 3, 0, 50, "underfill voids per die, drawn uniformly in 0..max"},
    {"void_min_um", 2, 0.5, 500, "smallest underfill void diameter (in plane), um"},
    {"void_max_um", 15, 0.5, 500, "largest underfill void diameter (in plane), um"},
    {"bump_voids_max", 2, 0, 50, "bump voids per die, drawn uniformly in 0..max"},
    {"bump_void_min_um", 2, 0.5, 200, "smallest bump void diameter, um"},
    {"bump_void_max_um", 6, 0.5, 200, "largest bump void diameter, um"},
};

const std::vector<PresetParam> kHybridBond = {
    {"die_cols", 2, 1, 8, "dies along x"},
    {"die_rows", 2, 1, 8, "dies along y"},
    {"die_size_um", 60, 20, 2000, "die edge length (square dies), um"},
    {"die_gap_um", 20, 5, 1000, "space between neighbouring dies, um"},
    {"die_thickness_um", 20, 5, 800, "silicon die thickness above its bond oxide, um"},
    {"wafer_um", 20, 5, 1000, "silicon wafer thickness below its bond oxide, um"},
    {"wafer_margin_um", 10, 0, 1000, "wafer extent beyond the outermost dies, um"},
    {"oxide_um", 2, 0.5, 20, "bond oxide thickness on each side of the interface, um"},
    {"pad_pitch_um", 6, 1, 100, "Cu pad pitch (square grid), um"},
    {"pad_diameter_um", 3, 0.5, 80, "Cu pad diameter, um"},
    {"pad_depth_um", 1.5, 0.2, 20, "Cu pad depth on each side of the interface, um"},
    {"gaps_max", 2, 0, 20, "bond gaps per die, drawn uniformly in 0..max"},
    {"gap_min_um", 5, 1, 1000, "smallest bond gap width (x and y drawn separately), um"},
    {"gap_max_um", 50, 1, 1000, "largest bond gap width, um"},
    {"gap_thickness_min_um", 0.5, 0.05, 20, "thinnest bond gap, um"},
    {"gap_thickness_max_um", 3, 0.05, 20, "thickest bond gap, um"},
};

const std::vector<PresetParam> kHbmStack = {
    {"layers", 4, 1, 16, "core dies stacked on the base die"},
    {"die_size_um", 70, 20, 2000, "core die edge length (square dies), um"},
    {"die_thickness_um", 15, 3, 200, "core die silicon thickness, um"},
    {"base_um", 40, 5, 1000, "base (logic) die thickness, um"},
    {"base_margin_um", 10, 0, 1000, "base die extent beyond the core dies, um"},
    {"tier_um", 6, 2, 100, "bond tier height (micro-bumps in non-conductive film), um"},
    {"ncf_overhang_um", 2, 0, 50, "non-conductive film extent beyond the die edge, um"},
    {"bump_pitch_um", 15, 3, 500, "micro-bump pitch (square grid), um"},
    {"bump_diameter_um", 7, 1, 400, "micro-bump diameter, um"},
    {"tsv_diameter_um", 3, 0.5, 100, "TSV diameter (Cu, through each core die at every bump), um"},
    {"underfill_voids_max", 2, 0, 50, "voids in the tier fill per tier, drawn uniformly in 0..max"},
    {"void_min_um", 2, 0.5, 500, "smallest tier-fill void diameter (in plane), um"},
    {"void_max_um", 12, 0.5, 500, "largest tier-fill void diameter (in plane), um"},
    {"bump_voids_max", 1, 0, 50, "bump voids per tier, drawn uniformly in 0..max"},
    {"bump_void_min_um", 2, 0.5, 200, "smallest bump void diameter, um"},
    {"bump_void_max_um", 5, 0.5, 200, "largest bump void diameter, um"},
};

/// Resolved parameters: defaults overridden by name, checked against their ranges.
class Params {
 public:
  Params(const std::string& preset, const std::vector<PresetParam>& table, const std::map<std::string, double>& over) {
    for (const auto& p : table) values_[p.name] = p.value;
    for (const auto& [name, value] : over) {
      const auto it = std::find_if(table.begin(), table.end(), [&](const PresetParam& p) { return p.name == name; });
      if (it == table.end()) throw InputError("", "param " + name, "preset '" + preset + "' has no parameter of that name");
      if (!std::isfinite(value) || value < it->min || value > it->max)
        throw InputError("", "param " + name,
                         "value " + std::to_string(value) + " outside its range [" + std::to_string(it->min) + ", " +
                             std::to_string(it->max) + "]");
      values_[name] = value;
    }
  }
  double operator()(const std::string& name) const { return values_.at(name); }
  double mm(const std::string& name) const { return values_.at(name) * kUm; }
  int count(const std::string& name) const { return int(std::lround(values_.at(name))); }
  void require_less(const std::string& a, const std::string& b, const std::string& why) const {
    if (!((*this)(a) < (*this)(b))) throw InputError("", "param " + a, "must be below " + b + ": " + why);
  }
  void require_le(const std::string& a, const std::string& b) const {
    if (!((*this)(a) <= (*this)(b))) throw InputError("", "param " + a, "must not exceed " + b);
  }

 private:
  std::map<std::string, double> values_;
};

std::string die_id(int c, int r, int l) {
  return "c" + std::to_string(c) + "r" + std::to_string(r) + "l" + std::to_string(l);
}

/// Centres of a square grid of `pitch` inside a square of edge `size` centred on (cx, cy),
/// keeping `margin` from the edge.
std::vector<std::array<double, 2>> grid_points(double cx, double cy, double size, double pitch, double margin) {
  const int n = std::max(1, int(std::floor((size - 2 * margin) / pitch)) + 1);
  std::vector<std::array<double, 2>> pts;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) pts.push_back({cx + (i - 0.5 * (n - 1)) * pitch, cy + (j - 0.5 * (n - 1)) * pitch});
  return pts;
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed) {}
  double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(g_); }
  int integer(int a, int b) { return std::uniform_int_distribution<int>(a, b)(g_); }
  /// Log-uniform in [a, b]: small defects as likely per octave as large ones.
  double log_uniform(double a, double b) { return a >= b ? a : std::exp(uniform(std::log(a), std::log(b))); }

 private:
  std::mt19937_64 g_;
};

struct Circle {
  double x, y, r;
};

bool clear_of(const std::vector<Circle>& circles, double x, double y, double r, double clearance) {
  for (const auto& c : circles)
    if (std::hypot(x - c.x, y - c.y) < c.r + r + clearance) return false;
  return true;
}

/// Draws up to `count` flattened ellipsoidal voids in the fill band [z0, z1] of a die footprint
/// [fx0, fx1] x [fy0, fy1], clear of the bumps and of each other.
void plant_fill_voids(PackagePhantom& p, Rng& rng, const std::string& die, int count, double dmin, double dmax,
                      double fx0, double fx1, double fy0, double fy1, double z0, double z1,
                      const std::vector<Circle>& bumps, std::vector<Circle>& taken) {
  constexpr double kClear = 1.0 * kUm;
  const double band = z1 - z0;
  for (int n = 0; n < count; ++n) {
    for (int attempt = 0; attempt < 400; ++attempt) {
      const double d = rng.log_uniform(dmin, dmax);
      const double a = 0.5 * d, b = a * rng.uniform(0.6, 1.0);
      const double c = std::min(0.5 * d, 0.5 * band - kClear);
      if (c <= 0.1 * kUm) break;
      const double x = rng.uniform(fx0 + a + kClear, fx1 - a - kClear);
      const double y = rng.uniform(fy0 + a + kClear, fy1 - a - kClear);
      if (!clear_of(bumps, x, y, a, kClear) || !clear_of(taken, x, y, a, 2 * kClear)) continue;
      const double zc = rng.uniform(z0 + c + kClear, z1 - c - kClear);
      Ellipsoid e{{x, y, zc}, {a, b, c}, rng.uniform(0, 180)};
      p.objects.push_back({e, "air", DefectTag{DefectType::underfill_void, die, {}}, ""});
      taken.push_back({x, y, a});
      break;
    }
  }
}

/// Draws up to `count` spherical voids inside solder cylinders (radius br, solder in [z0, z1]).
void plant_bump_voids(PackagePhantom& p, Rng& rng, const std::string& die, int count, double dmin, double dmax,
                      const std::vector<Circle>& bumps, const std::vector<std::string>& names, double z0, double z1) {
  constexpr double kClear = 0.5 * kUm;
  std::vector<int> used;
  for (int n = 0; n < count && used.size() < bumps.size(); ++n) {
    int k = 0;
    do k = rng.integer(0, int(bumps.size()) - 1);
    while (std::find(used.begin(), used.end(), k) != used.end());
    used.push_back(k);
    const Circle& b = bumps[k];
    const double rmax = std::min({0.5 * dmax, b.r - kClear, 0.5 * (z1 - z0) - kClear});
    const double rmin = std::min(0.5 * dmin, rmax);
    if (rmax <= 0) continue;
    const double r = rng.log_uniform(rmin, rmax);
    const double off = b.r - r - kClear, ang = rng.uniform(0, 2 * M_PI), rad = off * std::sqrt(rng.uniform(0, 1));
    const Vec3 c{b.x + rad * std::cos(ang), b.y + rad * std::sin(ang), rng.uniform(z0 + r + kClear, z1 - r - kClear)};
    p.objects.push_back({Sphere{c, r}, "air", DefectTag{DefectType::bump_void, die, names[k]}, ""});
  }
}

void translate(PackagePhantom& p, Vec3 d) {
  for (auto& o : p.objects)
    std::visit(
        [&](auto& s) {
          using T = std::decay_t<decltype(s)>;
          if constexpr (std::is_same_v<T, Box>) {
            s.min_mm = s.min_mm + d;
            s.max_mm = s.max_mm + d;
          } else if constexpr (std::is_same_v<T, Cylinder>) {
            s.center_x_mm += d.x;
            s.center_y_mm += d.y;
            s.z0_mm += d.z;
            s.z1_mm += d.z;
          } else {
            s.center_mm = s.center_mm + d;
          }
        },
        o.shape);
  for (auto& die : p.dies) {
    die.bbox_mm.min_mm = die.bbox_mm.min_mm + d;
    die.bbox_mm.max_mm = die.bbox_mm.max_mm + d;
    die.interface_z_mm = {die.interface_z_mm[0] + d.z, die.interface_z_mm[1] + d.z};
  }
}

void centre(PackagePhantom& p) {
  const Aabb b = bounding_box(p);
  translate(p, -0.5 * (b.min_mm + b.max_mm));
}

// ---- flip-chip -------------------------------------------------------------------------
PackagePhantom flip_chip(const Params& q, uint64_t seed) {
  q.require_less("bump_diameter_um", "bump_pitch_um", "bumps would touch");
  q.require_less("pillar_um", "standoff_um", "the solder needs height");
  q.require_le("void_min_um", "void_max_um");
  q.require_le("bump_void_min_um", "bump_void_max_um");
  Rng rng(seed);
  PackagePhantom p;
  p.kind = "flip-chip";
  const int nc = q.count("die_cols"), nr = q.count("die_rows");
  const double size = q.mm("die_size_um"), gap = q.mm("die_gap_um"), thick = q.mm("die_thickness_um");
  const double standoff = q.mm("standoff_um"), solder_top = standoff - q.mm("pillar_um");
  const double fillet = q.mm("fillet_um"), pitch = q.mm("bump_pitch_um"), br = 0.5 * q.mm("bump_diameter_um");
  const double span_x = nc * size + (nc - 1) * gap, span_y = nr * size + (nr - 1) * gap;
  const double margin = fillet + 0.5 * gap;
  p.objects.push_back({Box{{-margin, -margin, -q.mm("substrate_um")}, {span_x + margin, span_y + margin, 0}},
                       "substrate", {}, "substrate"});
  struct DiePlan {
    std::string id;
    double x0, y0;
    std::vector<Circle> bumps;
    std::vector<std::string> names;
  };
  std::vector<DiePlan> plans;
  for (int r = 0; r < nr; ++r)
    for (int c = 0; c < nc; ++c) {
      DiePlan d{die_id(c, r, 0), c * (size + gap), r * (size + gap), {}, {}};
      const double x1 = d.x0 + size, y1 = d.y0 + size;
      // Underfill with a stepped fillet: full footprint + fillet up to the die, then a
      // narrower band climbing the die's side wall (the die, listed later, replaces its inside).
      p.objects.push_back({Box{{d.x0 - fillet, d.y0 - fillet, 0}, {x1 + fillet, y1 + fillet, standoff}}, "underfill", {},
                           d.id + "/underfill"});
      if (fillet > 0)
        p.objects.push_back({Box{{d.x0 - 0.5 * fillet, d.y0 - 0.5 * fillet, standoff},
                                 {x1 + 0.5 * fillet, y1 + 0.5 * fillet, standoff + thick / 3}},
                             "underfill", {}, d.id + "/fillet"});
      int k = 0;
      for (const auto& pt : grid_points(d.x0 + 0.5 * size, d.y0 + 0.5 * size, size, pitch, br + pitch * 0.25)) {
        const std::string name = d.id + "/b" + std::to_string(k++);
        p.objects.push_back({Cylinder{pt[0], pt[1], br, 0, solder_top}, "solder", {}, name});
        if (standoff > solder_top) p.objects.push_back({Cylinder{pt[0], pt[1], br, solder_top, standoff}, "cu", {}, name + "/pillar"});
        d.bumps.push_back({pt[0], pt[1], br});
        d.names.push_back(name);
      }
      p.objects.push_back({Box{{d.x0, d.y0, standoff}, {x1, y1, standoff + thick}}, "si", {}, d.id});
      p.dies.push_back({d.id, {c, r, 0}, Aabb{{d.x0, d.y0, standoff}, {x1, y1, standoff + thick}}, {0, standoff}});
      plans.push_back(d);
    }
  for (const auto& d : plans) {
    std::vector<Circle> taken;
    plant_fill_voids(p, rng, d.id, rng.integer(0, q.count("underfill_voids_max")), q.mm("void_min_um"),
                     q.mm("void_max_um"), d.x0, d.x0 + size, d.y0, d.y0 + size, 0, standoff, d.bumps, taken);
    plant_bump_voids(p, rng, d.id, rng.integer(0, q.count("bump_voids_max")), q.mm("bump_void_min_um"),
                     q.mm("bump_void_max_um"), d.bumps, d.names, 0, solder_top);
  }
  return p;
}

// ---- hybrid-bond (chip on wafer) -------------------------------------------------------
PackagePhantom hybrid_bond(const Params& q, uint64_t seed) {
  q.require_less("pad_diameter_um", "pad_pitch_um", "pads would touch");
  q.require_le("gap_min_um", "gap_max_um");
  q.require_le("gap_thickness_min_um", "gap_thickness_max_um");
  q.require_le("pad_depth_um", "oxide_um");
  if (q("gap_thickness_max_um") > 2 * q("oxide_um"))
    throw InputError("", "param gap_thickness_max_um", "must not exceed twice oxide_um (a gap lies within the bond oxide)");
  Rng rng(seed);
  PackagePhantom p;
  p.kind = "hybrid-bond";
  const int nc = q.count("die_cols"), nr = q.count("die_rows");
  const double size = q.mm("die_size_um"), gap = q.mm("die_gap_um"), ox = q.mm("oxide_um");
  const double pitch = q.mm("pad_pitch_um"), pr = 0.5 * q.mm("pad_diameter_um"), depth = q.mm("pad_depth_um");
  const double span_x = nc * size + (nc - 1) * gap, span_y = nr * size + (nr - 1) * gap, wm = q.mm("wafer_margin_um");
  p.objects.push_back({Box{{-wm, -wm, -ox - q.mm("wafer_um")}, {span_x + wm, span_y + wm, -ox}}, "si", {}, "wafer"});
  p.objects.push_back({Box{{-wm, -wm, -ox}, {span_x + wm, span_y + wm, 0}}, "oxide", {}, "wafer/oxide"});
  struct Plan {
    std::string id;
    double x0, y0;
  };
  std::vector<Plan> plans;
  for (int r = 0; r < nr; ++r)
    for (int c = 0; c < nc; ++c) {
      Plan d{die_id(c, r, 0), c * (size + gap), r * (size + gap)};
      const double x1 = d.x0 + size, y1 = d.y0 + size;
      p.objects.push_back({Box{{d.x0, d.y0, 0}, {x1, y1, ox}}, "oxide", {}, d.id + "/oxide"});
      p.objects.push_back({Box{{d.x0, d.y0, ox}, {x1, y1, ox + q.mm("die_thickness_um")}}, "si", {}, d.id});
      int k = 0;
      for (const auto& pt : grid_points(d.x0 + 0.5 * size, d.y0 + 0.5 * size, size, pitch, 0.5 * pitch))
        p.objects.push_back({Cylinder{pt[0], pt[1], pr, -depth, depth}, "cu", {}, d.id + "/p" + std::to_string(k++)});
      p.dies.push_back({d.id, {c, r, 0}, Aabb{{d.x0, d.y0, ox}, {x1, y1, ox + q.mm("die_thickness_um")}}, {-ox, ox}});
      plans.push_back(d);
    }
  constexpr double kClear = 2 * kUm;
  for (const auto& d : plans) {
    std::vector<Aabb> taken;
    const int count = rng.integer(0, q.count("gaps_max"));
    for (int n = 0; n < count; ++n)
      for (int attempt = 0; attempt < 400; ++attempt) {
        const double wx = std::min(rng.log_uniform(q.mm("gap_min_um"), q.mm("gap_max_um")), size - 2 * kClear);
        const double wy = std::min(rng.log_uniform(q.mm("gap_min_um"), q.mm("gap_max_um")), size - 2 * kClear);
        const double t = rng.uniform(q.mm("gap_thickness_min_um"), q.mm("gap_thickness_max_um"));
        const double x = rng.uniform(d.x0 + kClear, d.x0 + size - kClear - wx);
        const double y = rng.uniform(d.y0 + kClear, d.y0 + size - kClear - wy);
        const Aabb b{{x, y, -0.5 * t}, {x + wx, y + wy, 0.5 * t}};
        bool free = true;
        for (const auto& o : taken)
          free = free && (b.max_mm.x + kClear < o.min_mm.x || o.max_mm.x + kClear < b.min_mm.x ||
                          b.max_mm.y + kClear < o.min_mm.y || o.max_mm.y + kClear < b.min_mm.y);
        if (!free) continue;
        taken.push_back(b);
        p.objects.push_back({Box{b.min_mm, b.max_mm}, "air", DefectTag{DefectType::bond_gap, d.id, {}}, ""});
        break;
      }
  }
  return p;
}

// ---- HBM-like stack ----------------------------------------------------------------------
PackagePhantom hbm_stack(const Params& q, uint64_t seed) {
  q.require_less("bump_diameter_um", "bump_pitch_um", "bumps would touch");
  q.require_less("tsv_diameter_um", "bump_diameter_um", "a TSV lands inside its bump");
  q.require_le("void_min_um", "void_max_um");
  q.require_le("bump_void_min_um", "bump_void_max_um");
  Rng rng(seed);
  PackagePhantom p;
  p.kind = "hbm-stack";
  const double size = q.mm("die_size_um"), thick = q.mm("die_thickness_um"), tier = q.mm("tier_um");
  const double pitch = q.mm("bump_pitch_um"), br = 0.5 * q.mm("bump_diameter_um"), tr = 0.5 * q.mm("tsv_diameter_um");
  const double bm = q.mm("base_margin_um"), ov = q.mm("ncf_overhang_um");
  p.objects.push_back({Box{{-bm, -bm, -q.mm("base_um")}, {size + bm, size + bm, 0}}, "si", {}, "base"});
  const auto pads = grid_points(0.5 * size, 0.5 * size, size, pitch, br + 0.25 * pitch);
  struct Tier {
    std::string id;
    double z0;
    std::vector<Circle> bumps;
    std::vector<std::string> names;
  };
  std::vector<Tier> tiers;
  double z = 0;
  for (int l = 0; l < q.count("layers"); ++l) {
    Tier t{die_id(0, 0, l), z, {}, {}};
    p.objects.push_back({Box{{-ov, -ov, z}, {size + ov, size + ov, z + tier}}, "underfill", {}, t.id + "/ncf"});
    int k = 0;
    for (const auto& pt : pads) {
      const std::string name = t.id + "/b" + std::to_string(k++);
      p.objects.push_back({Cylinder{pt[0], pt[1], br, z, z + tier}, "solder", {}, name});
      t.bumps.push_back({pt[0], pt[1], br});
      t.names.push_back(name);
    }
    p.objects.push_back({Box{{0, 0, z + tier}, {size, size, z + tier + thick}}, "si", {}, t.id});
    for (const auto& pt : pads) p.objects.push_back({Cylinder{pt[0], pt[1], tr, z + tier, z + tier + thick}, "cu", {}, ""});
    p.dies.push_back({t.id, {0, 0, l}, Aabb{{0, 0, z + tier}, {size, size, z + tier + thick}}, {z, z + tier}});
    tiers.push_back(t);
    z += tier + thick;
  }
  for (const auto& t : tiers) {
    std::vector<Circle> taken;
    plant_fill_voids(p, rng, t.id, rng.integer(0, q.count("underfill_voids_max")), q.mm("void_min_um"),
                     q.mm("void_max_um"), 0, size, 0, size, t.z0, t.z0 + tier, t.bumps, taken);
    plant_bump_voids(p, rng, t.id, rng.integer(0, q.count("bump_voids_max")), q.mm("bump_void_min_um"),
                     q.mm("bump_void_max_um"), t.bumps, t.names, t.z0, t.z0 + tier);
  }
  return p;
}

}  // namespace

const std::vector<std::string>& preset_names() {
  static const std::vector<std::string> names = {"flip-chip", "hybrid-bond", "hbm-stack"};
  return names;
}

const std::vector<PresetParam>& preset_params(const std::string& preset) {
  if (preset == "flip-chip") return kFlipChip;
  if (preset == "hybrid-bond") return kHybridBond;
  if (preset == "hbm-stack") return kHbmStack;
  throw InputError("", "preset", "unknown preset '" + preset + "' (flip-chip, hybrid-bond, hbm-stack)");
}

PackagePhantom make_preset(const std::string& preset, uint64_t seed, const std::map<std::string, double>& overrides) {
  const Params q(preset, preset_params(preset), overrides);
  PackagePhantom p = preset == "flip-chip" ? flip_chip(q, seed) : preset == "hybrid-bond" ? hybrid_bond(q, seed)
                                                                                          : hbm_stack(q, seed);
  p.name = preset;
  p.seed = seed;
  p.materials = default_materials();
  centre(p);
  return p;
}

}  // namespace voidscan::sim
