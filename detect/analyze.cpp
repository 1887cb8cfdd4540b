// detect::analyze(): structure, then defects, then measures, on one reconstructed volume
// (issue 4). ITK does the segmentation work through detect/itk_ops.* (the one ITK unit).
//
// Steps
//  1. Materials (detect/materials.*): noise from neighbour differences; peaks of the
//     asinh-compressed histogram = classes (air, fill, Si, Cu, solder); thresholds between
//     neighbouring peaks by Otsu's method (Otsu 1979) with valley emphasis (Ng 2006).
//  2. Structure. Si area per z plane -> runs of planes with a steady Si area (>= 3 planes);
//     per run, the 2-D connected components of the Si footprint are blocks, kept when Si covers
//     >= half their box (streaked fill tiers read as sparse Si patterns). The lowest run is
//     the base (wafer, base die) when nothing lies below it. The other runs are die layers
//     (layer 0 lowest); col/row by clustering block centres in x and y (or the recipe's layout).
//     Between a die and the Si below it: <= 4 planes of Si/oxide -> a hybrid-bond interface;
//     otherwise a band (underfill, or the NCF tier of a stack) from the top of what lies below
//     (Si of the die below, or the bottom of the bumps over a substrate) to the die bottom.
//     Kind: 0 die layers -> generic (with a note); >= 2 -> stack; a hybrid interface ->
//     hybrid-bond; else flip-chip. A recipe kind the volume does not show -> InputError.
//  3. Bumps: metal components (26-connected) in each band, after hole filling
//     (BinaryFillhole) so their voids belong to them; pads: metal components in the hybrid band.
//  4. Voids: air (v < t_air) not connected to the x/y faces (flood fill from the lateral faces;
//     the z faces are not a border, so a hole through a thin slab is a void) plus, inside each
//     filled bump, metal-mask holes and voxels whose dip below the enclosing metal (grayscale
//     hole filling, ITK) is >= bump_void_depth_fraction of the solder-fill contrast (a blurred
//     void in solder stays above t_metal); 26-connected components (ITK).
//  5. Measures per void (Partial volume): host level mu_h = median of the ring at distance 2
//     (air excluded), noise = its MAD; volume = sum over the component grown by one voxel of
//     (mu_h - v) / (mu_h - mu_air) (voxels of a denser material excluded, capped at 1); area =
//     columns where that fraction >= 1/2; equivalent diameter (6V/pi)^(1/3); sphericity
//     pi^(1/3) (6V)^(2/3) / A with A the Crofton surface area of the component (ITK
//     LabelImageToShapeLabelMap); CNR = (mu_h - mean v) / noise. Kept when the equivalent
//     diameter >= min_void_diameter_voxels (2-D slices: the circle-equivalent diameter). A void
//     outside bumps that reads under it, in a package whose bump array is symmetric, is measured
//     again against its images under the array's symmetries (a matched filter on the voxel-wise
//     difference from their median; the correction's residual dips share the array's symmetry
//     and cancel) and kept at that volume when it reaches the cut; one that reads over the cut
//     but under 1.3 x it is dropped when that measure is under 0.6 of its volume (a dip its
//     images share) (DetectAnalyze.BlurredSmallUnderfillVoidIsMeasuredAgainstItsSymmetricImages,
//     ...NextToABump..., VoidsJustOverTheCutAtAllTheirSymmetricImagesAreTakenForAnArtefact).
//  6. Bond gaps (hybrid interfaces): per column of the die footprint, the attenuation deficit
//     of the band (interface +- 3 planes; the interface plane is where the pads' metal is
//     centred) against the intact bond at that column: columns are classed by their offset
//     from the nearest pad (1/4 voxel; pads snapped to their lattice, lattice sites a gap has
//     emptied added) or as dielectric, the die's two outer columns apart, and the reference is
//     the per-plane median of each class over all hybrid dies, taken twice: the second time
//     without the columns the first map puts at >= 2 sigma (gaps and their rims, grown by 2;
//     the footprint's outer columns kept), whose deficit pulled the medians down and every
//     intact column below zero. Thickness t = deficit /
//     (mu_intact at the interface - mu_air) (a gap of thickness t removes t of material, over
//     pads and dielectric alike). Detection on the 5x5 mean at max(min_gap_thickness, 4 sigma),
//     sigma from the map's negative side (gaps only add); each region split on the 3x3 mean at
//     half its level (the median over the columns at half its upper quartile) into
//     face-connected parts, parts at a level far from the region's split again, and what lies
//     above the threshold more than 2 columns (the blur's rim) outside the parts (a thin gap
//     beside a thick one) treated as a region of its own; parts at least min_gap_width across;
//     thickness = median over the part's core; area = deficit summed over the part and 2 columns around it
//     / (thickness x the part's mean intact level). Enclosed air inside a hybrid band is left
//     to this step (no double count).
//  7. Types and dies: in a bump -> bump_void (+ void fraction void / (solder + void)); under a
//     die's footprint (+ fillet margin) within its band -> underfill_void; in a hybrid band ->
//     bond_gap; else void. A defect belongs to the die above its interface. Generic: void, "P0".
//  8. Labels: defect id per voxel.
// Papers: N. Otsu, "A threshold selection method from gray-level histograms", IEEE SMC 9(1),
// 1979; H.-F. Ng, "Automatic thresholding for defect detection", Pattern Recogn. Lett. 27,
// 2006; G. Lehmann, "Label object representation and manipulation with ITK", Insight J. 2007
// (shape statistics, Crofton perimeter); partial-volume sizing as in the issue (fraction of
// air per voxel from the local host level).
// Tests: tests/detect/test_analyze.cpp (phantoms of the simulator contract, errors),
// tests/detect/test_accuracy.cpp (recall/precision/sizes per preset through detect/match.*),
// tests/detect/test_htc2022_detect.cpp (real discs), tests/detect/test_match.cpp (matcher).
// Benchmark: bench/bench_detect.cpp. Details and defaults: docs/detection.md.
#include "detect/analyze.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>
#include <numeric>
#include <set>

#include "detect/flood_fill.hpp"
#include "detect/itk_ops.hpp"
#include "detect/materials.hpp"
#include "detect/stats.hpp"
#include "recon/error.hpp"

namespace voidscan::detect {
namespace {

using itk_ops::Dims;
using u8 = std::uint8_t;

// A Si block is a die only when Si covers at least this fraction of its footprint's box (step 2).
constexpr double kMinBlockSolidity = 0.5;

struct Run {
  int k0 = 0, k1 = 0;  // planes, inclusive
};

struct Block {
  int i0 = 0, i1 = 0, j0 = 0, j1 = 0, k0 = 0, k1 = 0;  // voxel bounds, inclusive
  double ci = 0, cj = 0;                               // footprint centre (index units)
};

enum class Iface { none, hybrid, band };

struct Bump {
  std::string id;
  std::vector<std::size_t> voxels;  // filled bump (global indices)
  double ci = 0, cj = 0, r = 0;     // centre and radius, index units
  double solder_mm3 = 0;            // partial-volume solder content
  double void_mm3 = 0;
};

struct DieInfo {
  Die die;
  Block b;
  int layer = 0;
  Iface iface = Iface::none;
  double z_int = 0;         // hybrid: interface plane (index units)
  int band_k0 = 0, band_k1 = -1;  // band interface planes
  int margin = 0;           // fillet margin around the footprint, voxels
  std::vector<Bump> bumps;
  std::vector<std::array<double, 3>> pads;  // (ci, cj, r) index units
};

struct Found {
  Defect d;
  std::vector<std::size_t> voxels;  // labelled voxels
};

class Analyzer {
 public:
  Analyzer(const Volume& vol, const Recipe& recipe, const std::string& file, const AnalyzeProgress& progress)
      : vol_(vol), recipe_(recipe), file_(file), progress_(progress), g_(vol.grid), d_{g_.nx, g_.ny, g_.nz},
        v_(vol.data.data()) {}

  Analysis run();
  /// The kind run() would analyse (steps 1-2 only).
  SampleKind kind_only();

 private:
  [[nodiscard]] std::size_t idx(int i, int j, int k) const {
    return (std::size_t(k) * std::size_t(g_.ny) + std::size_t(j)) * std::size_t(g_.nx) + std::size_t(i);
  }
  [[nodiscard]] Vec3 world(double i, double j, double k) const { return g_.voxel_center(i, j, k); }
  void report(double f) const {
    if (progress_) progress_(f);
  }
  [[nodiscard]] double voxel_mm3() const { return g_.sx * g_.sy * g_.sz; }
  [[nodiscard]] BoxMm box_of(double i0, double j0, double k0, double i1, double j1, double k1) const {
    return {world(i0 - 0.5, j0 - 0.5, k0 - 0.5), world(i1 + 0.5, j1 + 0.5, k1 + 0.5)};
  }

  void find_structure();
  void structure(Analysis& a);
  void find_bumps(DieInfo& die, std::vector<u8>& cand);
  void find_pads(DieInfo& die);
  void complete_pad_lattice(DieInfo& die);
  void check_metal_streaks(const DieInfo& di, const std::vector<u8>& metal, const Dims& c, int i0, int j0, int k0);
  void find_voids(std::vector<u8>& cand);
  void find_gaps();
  void assign_and_finish();

  const Volume& vol_;
  const Recipe& recipe_;
  std::string file_;
  const AnalyzeProgress& progress_;
  const VolumeGrid& g_;
  Dims d_;
  const float* v_;
  Materials mat_;
  std::vector<DieInfo> dies_;
  SampleKind kind_ = SampleKind::generic;
  std::vector<std::string> notes_;
  std::vector<Found> found_;
  std::vector<u8> bump_mask_;  // filled bumps (empty when there are none)
  double si_lo_ = 0, si_hi_ = 0;
};

// ---- 2. structure ---------------------------------------------------------------------------
void Analyzer::find_structure() {
  const auto& m = mat_;
  if (m.si < 0) return;
  si_lo_ = m.t_fill_si ? *m.t_fill_si : m.t_air;
  si_hi_ = m.t_metal ? *m.t_metal : std::numeric_limits<double>::infinity();
  const std::size_t plane = std::size_t(g_.nx) * std::size_t(g_.ny);
  std::vector<double> area(std::size_t(g_.nz), 0);
  for (int k = 0; k < g_.nz; ++k) {
    const float* p = v_ + std::size_t(k) * plane;
    std::size_t c = 0;
    for (std::size_t q = 0; q < plane; ++q) c += (p[q] >= si_lo_ && p[q] < si_hi_);
    area[std::size_t(k)] = double(c);
  }
  const double a_min = std::max(64.0, 0.002 * double(plane));
  std::vector<Run> runs;
  for (int k = 0; k < g_.nz; ++k) {
    const double a = area[std::size_t(k)];
    if (a < a_min) continue;
    const bool cont = !runs.empty() && runs.back().k1 == k - 1 &&
                      std::abs(a - area[std::size_t(k - 1)]) <= 0.2 * std::max(a, area[std::size_t(k - 1)]);
    if (cont) runs.back().k1 = k;
    else runs.push_back({k, k});
  }
  std::erase_if(runs, [](const Run& r) { return r.k1 - r.k0 + 1 < 3; });
  if (runs.empty()) return;

  // Blocks per run: 2-D components of the planes' Si footprint (Si in >= half the planes).
  struct RunBlocks {
    Run run;
    std::vector<Block> blocks;
  };
  std::vector<RunBlocks> rb;
  for (const Run& r : runs) {
    std::vector<std::uint16_t> cnt(plane, 0);
    for (int k = r.k0; k <= r.k1; ++k) {
      const float* p = v_ + std::size_t(k) * plane;
      for (std::size_t q = 0; q < plane; ++q) cnt[q] += (p[q] >= si_lo_ && p[q] < si_hi_);
    }
    const int need = (r.k1 - r.k0 + 2) / 2;
    std::vector<u8> mask(plane);
    for (std::size_t q = 0; q < plane; ++q) mask[q] = cnt[q] >= need;
    std::vector<std::uint32_t> lab(plane);
    const Dims d2{g_.nx, g_.ny, 1};
    const std::uint32_t n = itk_ops::connected_components(mask.data(), d2, false, lab.data());
    std::vector<Block> bl(n + 1, Block{g_.nx, -1, g_.ny, -1, r.k0, r.k1, 0, 0});
    std::vector<double> ar(n + 1, 0);
    for (int j = 0; j < g_.ny; ++j)
      for (int i = 0; i < g_.nx; ++i) {
        const auto l = lab[std::size_t(j) * g_.nx + i];
        if (!l) continue;
        Block& b = bl[l];
        b.i0 = std::min(b.i0, i), b.i1 = std::max(b.i1, i), b.j0 = std::min(b.j0, j), b.j1 = std::max(b.j1, j);
        b.ci += i, b.cj += j;
        ar[l] += 1;
      }
    double amax = 0;
    for (std::uint32_t l = 1; l <= n; ++l) amax = std::max(amax, ar[l]);
    RunBlocks x{r, {}};
    for (std::uint32_t l = 1; l <= n; ++l) {
      if (ar[l] < std::max(64.0, 0.05 * amax)) continue;
      // A die is a solid block: Si over most of its box. Metal streaks in a fill tier (an HBM
      // stack's NCF between its bumps and TSVs, FDK) read as Si in line patterns that are
      // steady over the tier's planes but cover a small part of their box (~0.2): not a die.
      const double box = double(bl[l].i1 - bl[l].i0 + 1) * double(bl[l].j1 - bl[l].j0 + 1);
      if (ar[l] < kMinBlockSolidity * box) continue;
      bl[l].ci /= ar[l], bl[l].cj /= ar[l];
      x.blocks.push_back(bl[l]);
    }
    if (!x.blocks.empty()) rb.push_back(x);
  }
  if (rb.empty()) return;

  // Base: the lowest run when nothing (non-air in >= half its footprint) lies >= 3 planes below.
  bool has_base = false;
  {
    const RunBlocks& low = rb.front();
    int i0 = g_.nx, i1 = -1, j0 = g_.ny, j1 = -1;
    for (const Block& b : low.blocks) i0 = std::min(i0, b.i0), i1 = std::max(i1, b.i1), j0 = std::min(j0, b.j0), j1 = std::max(j1, b.j1);
    int below = 0;
    for (int k = 0; k < low.run.k0 - 1; ++k) {
      std::size_t c = 0, t = 0;
      for (int j = j0; j <= j1; ++j)
        for (int i = i0; i <= i1; ++i) c += v_[idx(i, j, k)] >= m.t_air, ++t;
      if (c * 2 >= t) ++below;
    }
    has_base = below < 3;
  }
  const std::size_t first_die_run = has_base ? 1 : 0;

  // Layout override: replace the blocks of every die layer with the recipe's grid cells.
  if (recipe_.layout) {
    const Layout& L = *recipe_.layout;
    for (std::size_t r = first_die_run; r < rb.size(); ++r) {
      std::vector<Block> cells;
      for (int row = 0; row < L.count[1]; ++row)
        for (int col = 0; col < L.count[0]; ++col) {
          const double cx = L.origin_mm[0] + col * L.pitch_mm[0], cy = L.origin_mm[1] + row * L.pitch_mm[1];
          auto to_i = [&](double x) { return (x - g_.center.x) / g_.sx + 0.5 * (g_.nx - 1); };
          auto to_j = [&](double y) { return (y - g_.center.y) / g_.sy + 0.5 * (g_.ny - 1); };
          Block b;
          b.i0 = std::clamp(int(std::ceil(to_i(cx - 0.5 * L.die_size_mm[0]))), 0, g_.nx - 1);
          b.i1 = std::clamp(int(std::floor(to_i(cx + 0.5 * L.die_size_mm[0]))), 0, g_.nx - 1);
          b.j0 = std::clamp(int(std::ceil(to_j(cy - 0.5 * L.die_size_mm[1]))), 0, g_.ny - 1);
          b.j1 = std::clamp(int(std::floor(to_j(cy + 0.5 * L.die_size_mm[1]))), 0, g_.ny - 1);
          b.k0 = rb[r].run.k0, b.k1 = rb[r].run.k1;
          b.ci = to_i(cx), b.cj = to_j(cy);
          cells.push_back(b);
        }
      rb[r].blocks = cells;
    }
  }

  // Dies, their layers and interfaces.
  for (std::size_t r = first_die_run; r < rb.size(); ++r) {
    for (const Block& b : rb[r].blocks) {
      DieInfo di;
      di.b = b;
      di.layer = int(r - first_die_run);
      // What lies below: the highest lower run with a block overlapping this footprint.
      const Block* under = nullptr;
      for (std::size_t q = r; q-- > 0;) {
        for (const Block& o : rb[q].blocks)
          if (o.i0 <= b.i1 && o.i1 >= b.i0 && o.j0 <= b.j1 && o.j1 >= b.j0) {
            under = &o;
            break;
          }
        if (under) break;
      }
      const int k_top_below = under ? under->k1 : -1;
      const int between = under ? b.k0 - k_top_below - 1 : 0;
      bool hybrid = false;
      if (under && between <= 4) {
        // Si / oxide between (not fill)? The upper quartile, so that gaps do not decide.
        std::vector<double> vals;
        for (int k = k_top_below + 1; k < b.k0; ++k)
          for (int j = b.j0; j <= b.j1; ++j)
            for (int i = b.i0; i <= b.i1; ++i) {
              const double x = v_[idx(i, j, k)];
              if (x < si_hi_) vals.push_back(x);
            }
        const double q = vals.empty() ? m.level(m.si) : quantile_of(vals, 0.75);
        hybrid = m.fill < 0 || q > 0.5 * (m.level(m.si) + m.level(m.fill));
      }
      if (hybrid) {
        di.iface = Iface::hybrid;
        di.z_int = 0.5 * (k_top_below + b.k0);
      } else {
        di.iface = Iface::band;
        di.band_k1 = b.k0 - 1;
        if (under) {
          di.band_k0 = k_top_below + 1;
        } else {
          // Over a substrate: down to the bottom of the contiguous metal under the die.
          int k = b.k0 - 1;
          int lowest = b.k0;
          while (k >= 0 && m.t_metal) {
            std::size_t c = 0;
            for (int j = b.j0; j <= b.j1; ++j)
              for (int i = b.i0; i <= b.i1; ++i) c += v_[idx(i, j, k)] >= *m.t_metal;
            if (c == 0 && k < b.k0 - 2) break;
            if (c) lowest = k;
            --k;
          }
          di.band_k0 = lowest < b.k0 ? lowest : std::max(0, b.k0 - 10);
        }
        di.margin = std::max(3, di.band_k1 - di.band_k0 + 1);
      }
      dies_.push_back(di);
    }
  }
  if (dies_.empty()) return;
  // col / row by clustering the footprint centres.
  auto cluster = [&](auto get, auto width) {
    std::vector<std::pair<double, std::size_t>> c;
    for (std::size_t i = 0; i < dies_.size(); ++i) c.push_back({get(dies_[i].b), i});
    std::sort(c.begin(), c.end());
    std::vector<int> out(dies_.size());
    int id = 0;
    for (std::size_t i = 0; i < c.size(); ++i) {
      if (i > 0 && c[i].first - c[i - 1].first > 0.5 * width(dies_[c[i].second].b)) ++id;
      out[c[i].second] = id;
    }
    return out;
  };
  const auto col = cluster([](const Block& b) { return b.ci; }, [](const Block& b) { return double(b.i1 - b.i0 + 1); });
  const auto row = cluster([](const Block& b) { return b.cj; }, [](const Block& b) { return double(b.j1 - b.j0 + 1); });
  int layers = 0;
  bool any_hybrid = false;
  for (std::size_t i = 0; i < dies_.size(); ++i) {
    DieInfo& di = dies_[i];
    di.die.index = {col[i], row[i], di.layer};
    di.die.id = "c" + std::to_string(col[i]) + "r" + std::to_string(row[i]) + "l" + std::to_string(di.layer);
    di.die.bbox_mm = box_of(di.b.i0, di.b.j0, di.b.k0, di.b.i1, di.b.j1, di.b.k1);
    di.die.interface_area_mm2 = double(di.b.i1 - di.b.i0 + 1) * double(di.b.j1 - di.b.j0 + 1) * g_.sx * g_.sy;
    layers = std::max(layers, di.layer + 1);
    any_hybrid |= di.iface == Iface::hybrid;
  }
  kind_ = layers >= 2 ? SampleKind::stack : any_hybrid ? SampleKind::hybrid_bond : SampleKind::flip_chip;
}

// ---- 3. bumps and pads ----------------------------------------------------------------------
void Analyzer::find_bumps(DieInfo& di, std::vector<u8>& cand) {
  if (!mat_.t_metal || di.iface != Iface::band) return;
  const int i0 = std::max(0, di.b.i0 - di.margin), i1 = std::min(g_.nx - 1, di.b.i1 + di.margin);
  const int j0 = std::max(0, di.b.j0 - di.margin), j1 = std::min(g_.ny - 1, di.b.j1 + di.margin);
  const int k0 = std::max(0, di.band_k0), k1 = std::min(g_.nz - 1, di.band_k1);
  if (k1 < k0) return;
  const Dims c{i1 - i0 + 1, j1 - j0 + 1, k1 - k0 + 1};
  auto cidx = [&](int i, int j, int k) { return (std::size_t(k) * c.ny + j) * c.nx + i; };
  std::vector<u8> metal(c.count());
  for (int k = 0; k < c.nz; ++k)
    for (int j = 0; j < c.ny; ++j)
      for (int i = 0; i < c.nx; ++i) metal[cidx(i, j, k)] = v_[idx(i0 + i, j0 + j, k0 + k)] >= *mat_.t_metal;
  std::vector<u8> filled = metal;
  itk_ops::fill_holes(filled.data(), c);
  std::vector<std::uint32_t> lab(c.count());
  const std::uint32_t n = itk_ops::connected_components(filled.data(), c, true, lab.data());
  std::vector<Bump> bumps(n + 1);
  std::vector<std::set<std::size_t>> cols(n + 1);
  for (int k = 0; k < c.nz; ++k)
    for (int j = 0; j < c.ny; ++j)
      for (int i = 0; i < c.nx; ++i) {
        const auto l = lab[cidx(i, j, k)];
        if (!l) continue;
        bumps[l].voxels.push_back(idx(i0 + i, j0 + j, k0 + k));
        cols[l].insert(std::size_t(j) * c.nx + i);
      }
  const double solder_level = mat_.level(mat_.solder);
  // Dips enclosed in metal: grayscale hole filling over the crop (+3 planes in z so that a dip
  // at the band's ends is enclosed too). FDK blurs a void of a few voxels in solder to a dip
  // that stays far above t_metal (27.7 -> 5..15 /mm), so the metal mask misses it; its depth
  // below its surroundings does not depend on the threshold.
  const int kz0 = std::max(0, k0 - 3), kz1 = std::min(g_.nz - 1, k1 + 3);
  const Dims cz{c.nx, c.ny, kz1 - kz0 + 1};
  std::vector<float> dip(cz.count());
  for (int k = 0; k < cz.nz; ++k)
    for (int j = 0; j < c.ny; ++j)
      for (int i = 0; i < c.nx; ++i) dip[(std::size_t(k) * c.ny + j) * c.nx + i] = v_[idx(i0 + i, j0 + j, kz0 + k)];
  {
    std::vector<float> fh(cz.count());
    itk_ops::grayscale_fill_holes(dip.data(), cz, fh.data());
    for (std::size_t q = 0; q < dip.size(); ++q) dip[q] = fh[q] - dip[q];
  }
  const double host_level = mat_.fill >= 0 ? mat_.level(mat_.fill) : mat_.mu_air();
  const double min_depth = recipe_.detect.bump_void_depth_fraction * (solder_level - host_level);
  auto depth_at = [&](int i, int j, int k) { return double(dip[(std::size_t(k + k0 - kz0) * c.ny + j) * c.nx + i]); };
  std::vector<Bump> kept;
  for (std::uint32_t l = 1; l <= n; ++l) {
    Bump& b = bumps[l];
    if (b.voxels.size() < 8) continue;
    double si = 0, sj = 0;
    for (std::size_t q : cols[l]) si += double(q % c.nx), sj += double(q / c.nx);
    b.ci = i0 + si / double(cols[l].size());
    b.cj = j0 + sj / double(cols[l].size());
    b.r = std::sqrt(double(cols[l].size()) / std::numbers::pi);
    // Void candidates inside the filled bump; solder content (partial volume, Cu excluded).
    if (bump_mask_.empty()) bump_mask_.assign(vol_.data.size(), 0);
    for (std::size_t q : b.voxels) {
      bump_mask_[q] = 1;
      const double x = v_[q];
      const int i = int(q % std::size_t(g_.nx)) - i0, j = int((q / std::size_t(g_.nx)) % std::size_t(g_.ny)) - j0,
                k = int(q / (std::size_t(g_.nx) * std::size_t(g_.ny))) - k0;  // in the crop
      // A void candidate: a hole of the metal mask (below the Si|metal threshold), not on the bump's surface (all six
      // neighbours inside the filled bump), so the partial-volume rim is not a void.
      if (x < *mat_.t_metal) {
        bool inner = true;
        for (auto [dx, dy, dz] : {std::array{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}}) {
          const int x2 = i + dx, y2 = j + dy, z2 = k + dz;
          inner = inner && x2 >= 0 && y2 >= 0 && z2 >= 0 && x2 < c.nx && y2 < c.ny && z2 < c.nz &&
                  filled[cidx(x2, y2, z2)];
        }
        if (inner) cand[q] = 1;
      }
      if (depth_at(i, j, k) >= min_depth) cand[q] = 1;  // a dip in the metal (above)
      if (!mat_.t_cu_solder || x >= *mat_.t_cu_solder) b.solder_mm3 += std::clamp(x / solder_level, 0.0, 1.0) * voxel_mm3();
    }
    kept.push_back(std::move(b));
  }
  std::sort(kept.begin(), kept.end(), [](const Bump& a, const Bump& b) {
    return std::lround(a.cj) != std::lround(b.cj) ? a.cj < b.cj : a.ci < b.ci;
  });
  for (std::size_t q = 0; q < kept.size(); ++q) {
    kept[q].id = di.die.id + "/b" + std::to_string(q);
    const Vec3 p = world(kept[q].ci, kept[q].cj, 0);
    di.die.features_mm.push_back({p.x, p.y, kept[q].r * g_.sx});
  }
  di.bumps = std::move(kept);
  check_metal_streaks(di, metal, c, i0, j0, k0);
}

// Metal artefacts: solder and Cu streak the fill between the bumps of an FDK reconstruction
// (docs/accuracy.md: ~0.08 /mm against 0.015 of noise at 30 keV), and streak minima read as
// voids. The spread of the fill (robust sigma of the band's interior planes, inside the die's
// footprint, >= 2 columns from metal) against the volume's noise says how far to trust the
// underfill voids of this die; above 3x the noise and 15 % of the fill-air contrast, a note
// in the report and on the terminal says so.
void Analyzer::check_metal_streaks(const DieInfo& di, const std::vector<u8>& metal, const Dims& c, int i0, int j0,
                                   int k0) {
  if (di.bumps.empty() || c.nz < 3) return;
  auto cidx = [&](int i, int j, int k) { return (std::size_t(k) * c.ny + j) * c.nx + i; };
  std::vector<double> fill;
  for (int k = 1; k + 1 < c.nz; ++k)
    for (int j = di.b.j0 - j0; j <= di.b.j1 - j0; ++j)
      for (int i = di.b.i0 - i0; i <= di.b.i1 - i0; ++i) {
        if (i < 2 || j < 2 || i + 2 >= c.nx || j + 2 >= c.ny) continue;
        bool near_metal = false;
        for (int dj = -2; dj <= 2 && !near_metal; ++dj)
          for (int dx = -2; dx <= 2 && !near_metal; ++dx) near_metal = metal[cidx(i + dx, j + dj, k)] != 0;
        if (!near_metal) fill.push_back(v_[idx(i0 + i, j0 + j, k0 + k)]);
      }
  if (fill.size() < 100) return;
  const double spread = mad_sigma(fill);
  // The fill's level: its histogram class, or (a thin fill whose peak the streaks have spread
  // out of the histogram, as an HBM stack's NCF) the median of these voxels.
  const double contrast = (mat_.fill >= 0 ? mat_.level(mat_.fill) : median_of(fill)) - mat_.mu_air();
  if (spread > 3 * mat_.noise_sigma && spread > 0.15 * contrast)
    notes_.push_back(fmt::format(
        "die {}: the fill between its bumps varies by {:.3f} /mm (noise {:.3f} /mm, fill-air contrast {:.3f} /mm): "
        "streaks from the bumps' metal (reconstruction artefacts); its underfill voids may be missed or false{}",
        di.die.id, spread, mat_.noise_sigma, contrast,
        kind_ == SampleKind::flip_chip || kind_ == SampleKind::stack
            ? " (voidscan run subtracts them where its model fits: --metal-correction, on by default)"
            : ""));
}

void Analyzer::find_pads(DieInfo& di) {
  if (!mat_.t_metal || di.iface != Iface::hybrid) return;
  const int kc = int(std::lround(di.z_int));
  const int nx = di.b.i1 - di.b.i0 + 1, ny = di.b.j1 - di.b.j0 + 1;
  // Column maximum over the band; pads = columns clearly above Si, face-connected so that
  // neighbouring pads stay apart.
  std::vector<double> colmax(std::size_t(nx) * ny, -1e30);
  for (int k = std::max(0, kc - 3); k <= std::min(g_.nz - 1, kc + 3); ++k)
    for (int j = 0; j < ny; ++j)
      for (int i = 0; i < nx; ++i) {
        double& c = colmax[std::size_t(j) * nx + i];
        c = std::max(c, double(v_[idx(di.b.i0 + i, di.b.j0 + j, k)]));
      }
  // Pad metal: a clear excess over Si (10 sigma, 10 %) and at least 30 % of the way from Si to
  // the pads' peak (the reconstruction's blur spreads the pads' excess between them). Pads a gap
  // has removed are recovered from the pad lattice below.
  const double si_level = mat_.level(mat_.si);
  const double peak = quantile_of(colmax, 0.99);
  const double thr = si_level + std::max({10.0 * mat_.noise_sigma, 0.1 * si_level, 0.3 * (peak - si_level)});
  std::vector<u8> m(colmax.size(), 0);
  for (std::size_t q = 0; q < m.size(); ++q) m[q] = colmax[q] >= thr;
  std::vector<std::uint32_t> lab(m.size());
  const std::uint32_t n = itk_ops::connected_components(m.data(), {nx, ny, 1}, false, lab.data());
  // Centre: weighted by the excess over Si (sub-voxel: the bond-gap reference is taken per
  // offset from the nearest pad); radius from the component's column count.
  std::vector<double> si(n + 1, 0), sj(n + 1, 0), a(n + 1, 0), w(n + 1, 0);
  for (int j = 0; j < ny; ++j)
    for (int i = 0; i < nx; ++i)
      if (auto l = lab[std::size_t(j) * nx + i]) {
        const double x = colmax[std::size_t(j) * nx + i] - si_level;
        si[l] += x * i, sj[l] += x * j, w[l] += x, a[l] += 1;
      }
  for (std::uint32_t l = 1; l <= n; ++l) {
    if (a[l] < 2 || !(w[l] > 0)) continue;
    di.pads.push_back({di.b.i0 + si[l] / w[l], di.b.j0 + sj[l] / w[l], std::sqrt(a[l] / std::numbers::pi)});
    const Vec3 p = world(di.pads.back()[0], di.pads.back()[1], 0);
    di.die.features_mm.push_back({p.x, p.y, di.pads.back()[2] * g_.sx});
  }
  // The interface plane: the pads' metal is centred on it (die pad meeting wafer pad), which
  // the blocks' Si planes, blurred by the reconstruction, place only to within a plane or two.
  {
    double zw = 0, ws = 0;
    for (int k = std::max(0, kc - 3); k <= std::min(g_.nz - 1, kc + 3); ++k)
      for (int j = 0; j < ny; ++j)
        for (int i = 0; i < nx; ++i)
          if (lab[std::size_t(j) * nx + i]) {
            const double x = std::max(0.0, double(v_[idx(di.b.i0 + i, di.b.j0 + j, k)]) - si_level);
            zw += x * k, ws += x;
          }
    if (di.pads.size() >= 4 && ws > 0) di.z_int = zw / ws;
  }
  complete_pad_lattice(di);
}

// Pads on a regular x-y lattice (as hybrid-bond pads are): the pitch along x and y is the
// median distance to the nearest pad on the same row / column, the phase the circular mean of
// the centres; a lattice site inside the pads' extent with no pad within a third of the pitch
// is a pad a gap has removed (its remnant would otherwise read as material over dielectric).
// Nothing is added unless most pads sit on the lattice.
void Analyzer::complete_pad_lattice(DieInfo& di) {
  auto& pads = di.pads;
  if (pads.size() < 9) return;
  std::vector<double> dxs, dys;
  for (const auto& p : pads) {
    double bx = 1e30, by = 1e30;
    for (const auto& o : pads) {
      const double dx = std::abs(o[0] - p[0]), dy = std::abs(o[1] - p[1]);
      if (dx > 0.5 && dy < 0.25 * dx) bx = std::min(bx, dx);
      if (dy > 0.5 && dx < 0.25 * dy) by = std::min(by, dy);
    }
    if (bx < 1e30) dxs.push_back(bx);
    if (by < 1e30) dys.push_back(by);
  }
  if (dxs.size() < pads.size() / 2 || dys.size() < pads.size() / 2) return;
  const double px = median_of(dxs), py = median_of(dys);
  if (!(px > 1.0) || !(py > 1.0)) return;
  auto phase = [&](int axis, double pitch) {
    double c = 0, s = 0;
    for (const auto& p : pads) c += std::cos(2 * std::numbers::pi * p[axis] / pitch), s += std::sin(2 * std::numbers::pi * p[axis] / pitch);
    return std::atan2(s, c) / (2 * std::numbers::pi) * pitch;
  };
  const double ox = phase(0, px), oy = phase(1, py);
  auto on_lattice = [&](const std::array<double, 3>& p) {
    return std::abs(std::remainder(p[0] - ox, px)) < 0.2 * px && std::abs(std::remainder(p[1] - oy, py)) < 0.2 * py;
  };
  const auto regular = std::count_if(pads.begin(), pads.end(), on_lattice);
  if (double(regular) < 0.8 * double(pads.size())) return;
  double x0 = 1e30, x1 = -1e30, y0 = 1e30, y1 = -1e30;
  std::vector<double> radii;
  for (const auto& p : pads) {
    x0 = std::min(x0, p[0]), x1 = std::max(x1, p[0]), y0 = std::min(y0, p[1]), y1 = std::max(y1, p[1]);
    radii.push_back(p[2]);
  }
  const double r = median_of(radii);
  const std::size_t detected = pads.size();
  // Detected pads onto their sites: a pad cut by a gap's edge has its centroid pulled aside.
  for (auto& p : pads)
    if (on_lattice(p)) {
      p[0] = ox + px * std::round((p[0] - ox) / px);
      p[1] = oy + py * std::round((p[1] - oy) / py);
      p[2] = r;
    }
  for (double y = oy + py * std::ceil((y0 - 0.3 * py - oy) / py); y <= y1 + 0.3 * py; y += py)
    for (double x = ox + px * std::ceil((x0 - 0.3 * px - ox) / px); x <= x1 + 0.3 * px; x += px) {
      bool have = false;
      for (std::size_t q = 0; q < detected && !have; ++q)
        have = std::hypot(pads[q][0] - x, pads[q][1] - y) < std::min(px, py) / 3;
      if (!have) pads.push_back({x, y, r});
    }
}

// ---- 4/5. voids -----------------------------------------------------------------------------
void Analyzer::find_voids(std::vector<u8>& cand) {
  const std::size_t n = vol_.data.size();
  // Enclosed air: air not connected to the lateral faces.
  {
    std::vector<u8> air(n);
    for (std::size_t q = 0; q < n; ++q) air[q] = v_[q] < mat_.t_air;
    std::vector<u8> ext(n);
    connected_to_lateral_faces(air.data(), d_.nx, d_.ny, d_.nz, ext.data());
    for (std::size_t q = 0; q < n; ++q) cand[q] |= u8(air[q] && !ext[q]);
  }
  report(0.45);
  // Crop to the candidates' bounding box, label.
  int i0 = g_.nx, i1 = -1, j0 = g_.ny, j1 = -1, k0 = g_.nz, k1 = -1;
  for (int k = 0; k < g_.nz; ++k)
    for (int j = 0; j < g_.ny; ++j) {
      const u8* row = cand.data() + idx(0, j, k);
      for (int i = 0; i < g_.nx; ++i)
        if (row[i]) i0 = std::min(i0, i), i1 = std::max(i1, i), j0 = std::min(j0, j), j1 = std::max(j1, j),
                    k0 = std::min(k0, k), k1 = std::max(k1, k);
    }
  if (i1 < 0) return;
  const Dims c{i1 - i0 + 1, j1 - j0 + 1, k1 - k0 + 1};
  auto cidx = [&](int i, int j, int k) { return (std::size_t(k) * c.ny + j) * c.nx + i; };
  std::vector<u8> cm(c.count());
  for (int k = 0; k < c.nz; ++k)
    for (int j = 0; j < c.ny; ++j)
      for (int i = 0; i < c.nx; ++i) cm[cidx(i, j, k)] = cand[idx(i0 + i, j0 + j, k0 + k)];
  std::vector<std::uint32_t> lab(c.count());
  const std::uint32_t nl = itk_ops::connected_components(cm.data(), c, true, lab.data());
  cm.clear();
  cm.shrink_to_fit();
  if (nl == 0) return;
  // Voxels per component (counting sort).
  std::vector<std::size_t> start(nl + 2, 0);
  for (auto l : lab) ++start[l + 1];
  std::vector<std::size_t> count(start.begin(), start.end());
  for (std::uint32_t l = 1; l <= nl + 1; ++l) start[l] += start[l - 1];
  std::vector<std::uint32_t> members(start[nl + 1] - start[1]);
  {
    std::vector<std::size_t> pos(start.begin(), start.end());
    for (std::size_t q = 0; q < lab.size(); ++q)
      if (lab[q]) members[pos[lab[q]]++ - start[1]] = std::uint32_t(q);
  }
  const std::vector<double> perim = itk_ops::label_perimeters(lab.data(), c, nl);
  lab.clear();
  lab.shrink_to_fit();
  report(0.6);

  const bool slice2d = g_.nz == 1;
  const double vox = voxel_mm3();
  const double voxel_len = std::cbrt(vox);
  const double min_d = recipe_.detect.min_void_diameter_voxels;
  const double mu_air = mat_.mu_air();
  // Small voids in a symmetric bump array. A void near the minimum size, blurred by the
  // reconstruction, has a thresholded core of a few voxels and a third to a half of its deficit
  // outside them, so the sum below reads it under the cut; a wider sum against a host ring would
  // also reach the metal correction's residual dips, which are as deep. Those dips come from the
  // bump array and share its symmetry (a full circular scan keeps the object's mirrors and
  // quarter turns), a void does not: so the background of a candidate is the voxel-wise median
  // of its images' neighbourhoods under the array's symmetries (the same place: the same
  // residual pattern and fill), and a candidate under the cut is measured again against it
  // (symmetric_deficit) and kept if that reaches the cut. The symmetries: the square's mirrors
  // and quarter turns about the bumps' mean centre that map >= 90 % of the bumps to within half
  // a voxel of a bump and the voxel grid onto itself; none (an asymmetric package, one slice,
  // anisotropic voxels): nothing is measured again.
  std::vector<std::array<int, 4>> symmetries;  // (a, b, c, d): (u, w) -> (a u + b w, c u + d w), voxel units
  double sym_i = 0, sym_j = 0;
  auto image = [&](const std::array<int, 4>& m, double x, double y) {  // (x, y) under m about the centre
    const double u = x - sym_i, w = y - sym_j;
    return std::array<double, 2>{sym_i + m[0] * u + m[1] * w, sym_j + m[2] * u + m[3] * w};
  };
  {
    std::vector<std::array<double, 2>> bc;
    for (const DieInfo& di : dies_)
      for (const Bump& b : di.bumps) bc.push_back({b.ci, b.cj});
    if (bc.size() >= 4 && g_.nz > 1 && std::abs(g_.sx - g_.sy) <= 1e-6 * g_.sx) {
      for (const auto& p : bc) sym_i += p[0], sym_j += p[1];
      sym_i /= double(bc.size()), sym_j /= double(bc.size());
      // The centre on the grid's half-voxel lattice, or no symmetry maps voxels onto voxels.
      const double ri = std::round(2 * sym_i) / 2, rj = std::round(2 * sym_j) / 2;
      if (std::abs(ri - sym_i) <= 0.1 && std::abs(rj - sym_j) <= 0.1) {
        sym_i = ri, sym_j = rj;
        for (const std::array<int, 4> m : {std::array{-1, 0, 0, 1}, std::array{1, 0, 0, -1}, std::array{-1, 0, 0, -1},
                                           std::array{0, 1, 1, 0}, std::array{0, -1, -1, 0}, std::array{0, -1, 1, 0},
                                           std::array{0, 1, -1, 0}}) {
          if (m[0] == 0 && std::abs((sym_i - std::floor(sym_i)) - (sym_j - std::floor(sym_j))) > 0.1) continue;
          std::size_t hit = 0;
          for (const auto& p : bc) {
            const auto [x, y] = image(m, p[0], p[1]);
            hit += std::any_of(bc.begin(), bc.end(), [&](const auto& b) { return std::hypot(b[0] - x, b[1] - y) <= 0.5; });
          }
          if (10 * hit >= 9 * bc.size()) symmetries.push_back(m);
        }
      }
    }
  }
  // Deficit of the candidate centred at (xc, yc, zc) (voxel units) against its images, in
  // voxels: a matched filter. The difference (background - v) / span over the ball of radius
  // min_d / 2 + 1.5 about the nearest voxel is fitted, weighted by exp(-s^2 / (2 x 1.2^2)), with
  // the profile of a void of the cut's size blurred as an FDK volume blurs (a Gaussian of
  // variance 0.8^2 + (min_d / 2)^2 / 5 voxels^2, its sum the void's volume); s is the distance
  // from the centre itself, not from its voxel (a void half a voxel off would otherwise read
  // ~10 % low). The result is that fit's amplitude x the void's volume. Voxels of other
  // candidates (below t_air, not the component's own) take no part, nor do bump voxels 2 or
  // more voxels from the centre's voxel (they are off the fill level; their places in the
  // images hold bump too). NaN (refused) when fewer than two images lie in the volume farther
  // than 3 voxels from it, or a bump voxel lies nearer than 2 voxels: the correction's residual at a
  // bump's surface is a dip of a void's size and is not symmetric (the flip-chip seeds' false
  // voids when bumps anywhere in the ball were left out lay within 1.5 voxels of a bump).
  const double v_min = std::numbers::pi / 6.0 * min_d * min_d * min_d;
  const double var_t = 0.64 + 0.05 * min_d * min_d, var_w = 1.44;
  const double ball_r = 0.5 * min_d + 1.5;
  const int ball_e = int(std::ceil(ball_r));
  double profile_sum = 0;  // the blurred void's profile over the (2e + 1)^3 cube, to scale it to v_min
  for (int dk = -ball_e; dk <= ball_e; ++dk)
    for (int dj = -ball_e; dj <= ball_e; ++dj)
      for (int di = -ball_e; di <= ball_e; ++di) profile_sum += std::exp(-0.5 * (di * di + dj * dj + dk * dk) / var_t);
  constexpr double kRefused = std::numeric_limits<double>::quiet_NaN();
  auto symmetric_deficit = [&](double xc, double yc, double zc, double span, const std::vector<std::size_t>& own) {
    const int ic = int(std::lround(xc)), jc = int(std::lround(yc)), kc = int(std::lround(zc));
    std::vector<std::array<int, 4>> use;
    for (const auto& m : symmetries) {
      const auto [x, y] = image(m, ic, jc);
      if (std::hypot(x - ic, y - jc) < 3.0) continue;
      if (x - ball_e < 0 || y - ball_e < 0 || x + ball_e >= g_.nx || y + ball_e >= g_.ny) continue;
      use.push_back(m);
    }
    if (use.size() < 2 || kc - ball_e < 0 || kc + ball_e >= g_.nz || ic - ball_e < 0 || jc - ball_e < 0 || ic + ball_e >= g_.nx || jc + ball_e >= g_.ny)
      return kRefused;
    double num = 0, den = 0;
    std::vector<double> vals(use.size());
    for (int dk = -ball_e; dk <= ball_e; ++dk)
      for (int dj = -ball_e; dj <= ball_e; ++dj)
        for (int di = -ball_e; di <= ball_e; ++di) {
          const double r2 = di * di + dj * dj + dk * dk;
          if (r2 > ball_r * ball_r) continue;
          const std::size_t q = idx(ic + di, jc + dj, kc + dk);
          if (!bump_mask_.empty() && bump_mask_[q]) {
            if (r2 < 4.0) return kRefused;
            continue;
          }
          if (v_[q] < mat_.t_air && !std::binary_search(own.begin(), own.end(), q)) continue;
          for (std::size_t t = 0; t < use.size(); ++t) {
            const auto [x, y] = image(use[t], ic + di, jc + dj);
            vals[t] = v_[idx(int(std::lround(x)), int(std::lround(y)), kc + dk)];
          }
          const double ex = ic + di - xc, ey = jc + dj - yc, ez = kc + dk - zc, s2 = ex * ex + ey * ey + ez * ez;
          const double wt = std::exp(-0.5 * s2 / var_w), p = v_min * std::exp(-0.5 * s2 / var_t) / profile_sum;
          num += wt * (median_of(vals) - v_[q]) / span;
          den += wt * p;
        }
    return den > 0 ? num / den * v_min : kRefused;
  };
  auto volume_index = [&](std::size_t q) {  // crop index -> volume index
    return idx(int(q % c.nx) + i0, int((q / c.nx) % c.ny) + j0, int(q / (std::size_t(c.nx) * c.ny)) + k0);
  };
  std::vector<u8> local;
  for (std::uint32_t l = 1; l <= nl; ++l) {
    const std::size_t b0 = start[l] - start[1], b1 = start[l + 1] - start[1];
    const std::size_t nvox = b1 - b0;
    // Cheap rejection: even a fully-air ring could not reach the minimum size.
    if (!slice2d && double(nvox) * 27.0 < std::numbers::pi / 6.0 * min_d * min_d * min_d) continue;
    if (slice2d && double(nvox) * 9.0 < std::numbers::pi / 4.0 * min_d * min_d) continue;
    int a0 = c.nx, a1 = -1, bb0 = c.ny, bb1 = -1, cc0 = c.nz, cc1 = -1;
    for (std::size_t t = b0; t < b1; ++t) {
      const std::size_t q = members[t];
      const int i = int(q % c.nx), j = int((q / c.nx) % c.ny), k = int(q / (std::size_t(c.nx) * c.ny));
      a0 = std::min(a0, i), a1 = std::max(a1, i), bb0 = std::min(bb0, j), bb1 = std::max(bb1, j);
      cc0 = std::min(cc0, k), cc1 = std::max(cc1, k);
    }
    // Local map: bbox + 2 (in z only where the volume has planes), 1 comp, 2 ring1, 3 ring2.
    const int L0i = i0 + a0 - 2, L0j = j0 + bb0 - 2, L0k = k0 + cc0 - (slice2d ? 0 : 2);
    const int Lnx = a1 - a0 + 5, Lny = bb1 - bb0 + 5, Lnz = cc1 - cc0 + 1 + (slice2d ? 0 : 4);
    local.assign(std::size_t(Lnx) * Lny * Lnz, 0);
    auto lidx = [&](int i, int j, int k) { return (std::size_t(k) * Lny + j) * Lnx + i; };
    for (std::size_t t = b0; t < b1; ++t) {
      const std::size_t q = members[t];
      const int i = int(q % c.nx) + i0 - L0i, j = int((q / c.nx) % c.ny) + j0 - L0j,
                k = int(q / (std::size_t(c.nx) * c.ny)) + k0 - L0k;
      local[lidx(i, j, k)] = 1;
    }
    const int rz = slice2d ? 0 : 1;
    for (int pass = 2; pass <= 3; ++pass)
      for (int k = 0; k < Lnz; ++k)
        for (int j = 0; j < Lny; ++j)
          for (int i = 0; i < Lnx; ++i) {
            if (local[lidx(i, j, k)] != 0) continue;
            bool near = false;
            for (int dz = -rz; dz <= rz && !near; ++dz)
              for (int dy = -1; dy <= 1 && !near; ++dy)
                for (int dx = -1; dx <= 1 && !near; ++dx) {
                  const int x = i + dx, y = j + dy, z = k + dz;
                  if (x < 0 || y < 0 || z < 0 || x >= Lnx || y >= Lny || z >= Lnz) continue;
                  const u8 s = local[lidx(x, y, z)];
                  near = s != 0 && s < pass;
                }
            if (near) local[lidx(i, j, k)] = u8(pass);
          }
    // In a bump (most voxels in a filled bump): host and partial volume only inside the bump.
    std::size_t nb = 0;
    if (!bump_mask_.empty())
      for (std::size_t t = b0; t < b1; ++t) {
        const std::size_t q = members[t];
        nb += bump_mask_[volume_index(q)];
      }
    const bool in_bump = 2 * nb >= nvox && nb > 0;
    auto host_ok = [&](std::size_t q) { return !in_bump || bump_mask_[q]; };
    // Host level and noise from ring 2 (inside the volume, not air).
    std::vector<double> ring2;
    for (int k = 0; k < Lnz; ++k)
      for (int j = 0; j < Lny; ++j)
        for (int i = 0; i < Lnx; ++i) {
          if (local[lidx(i, j, k)] != 3) continue;
          const int x = L0i + i, y = L0j + j, z = L0k + k;
          if (x < 0 || y < 0 || z < 0 || x >= g_.nx || y >= g_.ny || z >= g_.nz) continue;
          const double val = v_[idx(x, y, z)];
          if (val >= mat_.t_air && host_ok(idx(x, y, z))) ring2.push_back(val);
        }
    if (ring2.size() < 4) continue;
    // The host is the material class most of ring 2 belongs to (classes split by the
    // histogram thresholds); its level is their median, its noise their MAD.
    {
      const auto& th = mat_.thresholds;
      std::vector<int> cls_count(th.size() + 1, 0);
      auto cls = [&](double x) { return int(std::upper_bound(th.begin(), th.end(), x) - th.begin()); };
      for (double x : ring2) ++cls_count[std::size_t(cls(x))];
      const int best = int(std::max_element(cls_count.begin(), cls_count.end()) - cls_count.begin());
      std::erase_if(ring2, [&](double x) { return cls(x) != best; });
    }
    const double mu_h = median_of(ring2);
    const double sig_h = std::max(mad_sigma(ring2), 1e-6 * std::abs(mu_h));
    const double span = mu_h - mu_air;
    if (!(span > 0)) continue;
    const double other = mu_h + std::max(4.0 * sig_h, 0.1 * span);
    double vol = 0, wsum = 0, cx = 0, cy = 0, cz = 0, core_sum = 0;
    std::set<std::size_t> cols;
    for (int k = 0; k < Lnz; ++k)
      for (int j = 0; j < Lny; ++j)
        for (int i = 0; i < Lnx; ++i) {
          const u8 s = local[lidx(i, j, k)];
          if (s != 1 && s != 2) continue;
          const int x = L0i + i, y = L0j + j, z = L0k + k;
          if (x < 0 || y < 0 || z < 0 || x >= g_.nx || y >= g_.ny || z >= g_.nz) continue;
          if (s == 2 && !host_ok(idx(x, y, z))) continue;
          const double val = v_[idx(x, y, z)];
          if (s == 1) core_sum += val;
          double f = val > other ? 0.0 : std::min(1.0, (mu_h - val) / span);
          vol += f;
          if (f > 0) wsum += f, cx += f * x, cy += f * y, cz += f * z;
          if (f >= 0.5) cols.insert(std::size_t(y) * g_.nx + x);
        }
    vol *= vox;
    if (vol <= 0 || wsum <= 0) continue;
    const double area = double(cols.size()) * g_.sx * g_.sy;
    double eqd = std::cbrt(6.0 * vol / std::numbers::pi);
    double size_vox = slice2d ? std::sqrt(4.0 * double(cols.size()) / std::numbers::pi) : eqd / voxel_len;
    // Near the cut in a symmetric package, the measure against the images decides: under the
    // cut a candidate is kept at that measure when it reaches the cut; above it, up to 1.3 x
    // the cut (where the measure's template still fits), it is dropped when that measure is
    // under 0.6 of its own volume: a dip its images share (the correction's residual at a
    // tier's face beside a bump: 0.09-0.24), or one the matched filter does not confirm (the
    // noise and residual blobs in a stack's tiers: 0.44-0.59 on fresh seeds 74, 77, 79); true
    // voids near the cut read 0.64 and more over 60 of them on the flip-chip and stack seeds (it
    // was 0.4 until the ninth session). A refused measure (a bump within 2 voxels, too few
    // images) decides nothing.
    if (!slice2d && !in_bump && size_vox < 1.3 * min_d && !symmetries.empty()) {
      std::vector<std::size_t> own;
      for (std::size_t t = b0; t < b1; ++t) own.push_back(volume_index(members[t]));
      std::sort(own.begin(), own.end());
      const double ds = symmetric_deficit(cx / wsum, cy / wsum, cz / wsum, span, own) * vox;
      if (size_vox >= min_d) {
        if (!std::isnan(ds) && ds < 0.6 * vol) continue;
      } else if (ds > vol) {
        vol = ds;
        eqd = std::cbrt(6.0 * vol / std::numbers::pi);
        size_vox = eqd / voxel_len;
      }
    }
    if (size_vox < min_d) continue;
    Found f;
    f.d.type = DefectType::void_;
    f.d.centroid_mm = world(cx / wsum, cy / wsum, cz / wsum);
    f.d.bbox_mm = box_of(i0 + a0, j0 + bb0, k0 + cc0, i0 + a1, j0 + bb1, k0 + cc1);
    f.d.volume_mm3 = vol;
    f.d.equivalent_diameter_mm = eqd;
    f.d.area_mm2 = area;
    // Sphericity of the labelled component (voxel units; the perimeter is in voxel faces).
    const double vmask = double(nvox);
    f.d.sphericity = perim[l] > 0 ? std::min(1.0, std::cbrt(std::numbers::pi) * std::pow(6.0 * vmask, 2.0 / 3.0) / perim[l])
                                  : 0.0;
    f.d.cnr = (mu_h - core_sum / double(nvox)) / sig_h;
    for (std::size_t t = b0; t < b1; ++t) f.voxels.push_back(volume_index(members[t]));
    found_.push_back(std::move(f));
  }
}

// ---- 6. bond gaps ---------------------------------------------------------------------------
// Per column of a hybrid die's footprint, the thickness of material missing from the interface
// band (kc +- h planes): t = sum_k (R(k) - v(k)) / (R(interface) - mu_air) voxels, R the intact
// bond at that column. R is a robust reference taken like with like: columns are classed by
// their offset from the nearest pad (1/4 voxel steps; radial distance as a fallback) or as
// dielectric far from pads, the footprint's two outer columns apart, and R(class, k) is the
// median over all hybrid dies' columns of that class. The deficit is summed over the planes (the reconstruction's blur spreads it in z, not
// its total) and divided by the intact level at the interface, whose material a gap removes:
// the same formula holds over pads and between them, and a pad cut by a gap's edge counts with
// the part that is cut.
void Analyzer::find_gaps() {
  constexpr int h = 3;
  constexpr int kPlanes = 2 * h + 1;
  constexpr std::size_t kMinSamples = 8;
  constexpr int kRing = 2;
  std::vector<DieInfo*> hd;
  for (auto& di : dies_)
    if (di.iface == Iface::hybrid) hd.push_back(&di);
  if (hd.empty()) return;
  const double mu_air = mat_.mu_air();
  struct Map {
    DieInfo* di = nullptr;
    int nx = 0, ny = 0, kc = 0;
    std::vector<std::int64_t> key;   // offset class from the nearest pad; 0 = dielectric
    std::vector<std::int64_t> rkey;  // radial class (fallback); 0 = dielectric
    std::vector<std::int64_t> rim;   // footprint's outer columns: (distance to the border + 1) << 40, else 0
    std::vector<std::array<double, kPlanes>> R;  // intact reference per column and plane (NaN: none)
    std::vector<double> D;           // deficit summed over the band, 1/mm x voxels
    std::vector<double> Rc;          // intact level at the interface minus air, 1/mm
    std::vector<double> T;           // missing thickness D / Rc, voxels
    std::vector<double> ts;          // 3x3 mean of T
    std::vector<double> t5;          // 5x5 mean of T
  };
  auto value = [&](const Map& mp, int i, int j, int o) {
    const int k = mp.kc + o;
    if (k < 0 || k >= g_.nz) return std::numeric_limits<double>::quiet_NaN();
    return double(v_[idx(mp.di->b.i0 + i, mp.di->b.j0 + j, k)]);
  };
  std::vector<Map> maps;
  for (DieInfo* di : hd) {
    Map mp;
    mp.di = di;
    mp.nx = di->b.i1 - di->b.i0 + 1;
    mp.ny = di->b.j1 - di->b.j0 + 1;
    mp.kc = int(std::lround(di->z_int));
    const std::size_t n = std::size_t(mp.nx) * std::size_t(mp.ny);
    mp.key.assign(n, 0);
    mp.rkey.assign(n, 0);
    mp.rim.assign(n, 0);
    std::vector<double> best(n, std::numeric_limits<double>::infinity());
    for (const auto& pd : di->pads) {
      const double reach = pd[2] + 2.5;  // pad radius + the reconstruction's blur
      for (int j = int(std::floor(pd[1] - reach)); j <= int(std::ceil(pd[1] + reach)); ++j)
        for (int i = int(std::floor(pd[0] - reach)); i <= int(std::ceil(pd[0] + reach)); ++i) {
          const int li = i - di->b.i0, lj = j - di->b.j0;
          if (li < 0 || lj < 0 || li >= mp.nx || lj >= mp.ny) continue;
          const double dx = i - pd[0], dy = j - pd[1], dist = std::hypot(dx, dy);
          const std::size_t q = std::size_t(lj) * mp.nx + li;
          if (dist > reach || dist >= best[q]) continue;
          best[q] = dist;
          mp.key[q] = 1 + (std::lround(dx * 4) + 512) * 1024 + (std::lround(dy * 4) + 512);
          mp.rkey[q] = -1 - std::lround(dist * 4);
        }
    }
    // The footprint's outer two columns: classes of their own (the die's edge, blurred by the
    // reconstruction, is part of their intact state), still by their offset from the pads.
    for (int j = 0; j < mp.ny; ++j)
      for (int i = 0; i < mp.nx; ++i) {
        const int d = std::min({i, j, mp.nx - 1 - i, mp.ny - 1 - j});
        if (d <= 1) mp.rim[std::size_t(j) * mp.nx + i] = std::int64_t(d + 1) << 40;
      }
    maps.push_back(std::move(mp));
  }
  // Noise of the maps from their negative side: gaps only add thickness, so the columns below
  // zero are intact bond whatever the share of the area gaps cover.
  const auto noise_of = [](const std::vector<double>& v) {
    std::vector<double> neg;
    for (double x : v)
      if (x <= 0) neg.push_back(-x);
    return neg.size() >= 100 ? 1.4826 * median_of(neg) : mad_sigma(v);
  };
  // The (2r + 1)^2 mean of a map's thickness (clipped at its edges) into `out`; its values at
  // least r + 1 columns inside the footprint appended to `inner` (for the noise).
  auto box_mean = [](const Map& mp, int r, std::vector<double>& out, std::vector<double>& inner) {
    out.assign(mp.T.size(), 0.0);
    for (int j = 0; j < mp.ny; ++j)
      for (int i = 0; i < mp.nx; ++i) {
        double s = 0;
        int c = 0;
        for (int dy = -r; dy <= r; ++dy)
          for (int dx = -r; dx <= r; ++dx) {
            const int x = i + dx, y = j + dy;
            if (x < 0 || y < 0 || x >= mp.nx || y >= mp.ny) continue;
            s += mp.T[std::size_t(y) * mp.nx + x], ++c;
          }
        out[std::size_t(j) * mp.nx + i] = s / c;
        if (i > r && j > r && i + r + 1 < mp.nx && j + r + 1 < mp.ny) inner.push_back(out[std::size_t(j) * mp.nx + i]);
      }
  };
  double sig = 0, sig5 = 0;  // noise of the 3x3 and 5x5 means of the thickness map, voxels
  using Medians = std::map<std::int64_t, std::array<double, kPlanes>>;  // per class and plane
  Medians first_pass;                                                   // the first pass's references
  // The maps: references, deficits, thickness and its means, and their noise; `excluded` (per
  // map, per column) leaves columns out of the references.
  auto build = [&](const std::vector<std::vector<u8>>* excluded) {
    // Reference medians per class and plane over all hybrid dies.
    using Table = std::map<std::int64_t, std::array<std::vector<double>, kPlanes>>;
    Table all;
    for (std::size_t m = 0; m < maps.size(); ++m) {
      const Map& mp = maps[m];
      for (int j = 0; j < mp.ny; ++j)
        for (int i = 0; i < mp.nx; ++i) {
          const std::size_t q = std::size_t(j) * mp.nx + i;
          if (excluded && (*excluded)[m][q]) continue;
          for (int o = -h; o <= h; ++o) {
            const double x = value(mp, i, j, o);
            if (!std::isfinite(x)) continue;
            for (std::int64_t key : {mp.key[q] + mp.rim[q], mp.rkey[q] + mp.rim[q]}) {
              all[key][std::size_t(o + h)].push_back(x);
            }
          }
        }
    }
    auto medians = [&](Table& t) {
      Medians out;
      for (auto& [key, planes] : t) {
        auto& a = out[key];
        for (int o = 0; o < kPlanes; ++o)
          a[std::size_t(o)] = planes[std::size_t(o)].size() >= kMinSamples ? median_of(std::move(planes[std::size_t(o)]))
                                                                             : std::numeric_limits<double>::quiet_NaN();
      }
      return out;
    };
    Medians ref_med = medians(all);
    all.clear();
    // A class left with too few columns keeps the first pass's reference (not the fallback of
    // another class: the bundled sample's die rims, half of them gapped in two dies, read 1-1.8
    // voxels of false gap in a clean die when their offset classes fell back to a radial one).
    if (excluded)
      for (const auto& [key, first] : first_pass) {
        auto [it, added] = ref_med.try_emplace(key);
        for (int o = 0; o < kPlanes; ++o)
          if (added || !std::isfinite(it->second[std::size_t(o)])) it->second[std::size_t(o)] = first[std::size_t(o)];
      }
    if (!excluded) first_pass = ref_med;
    // The dielectric's level at the interface (over all dies).
    double diel_c = std::numeric_limits<double>::quiet_NaN();
    if (auto it = ref_med.find(0); it != ref_med.end()) {
      const double zc = std::clamp(maps[0].di->z_int - maps[0].kc, -double(h), double(h) - 1e-9);
      const int o0 = int(std::floor(zc));
      const double fz = zc - o0, r0 = it->second[std::size_t(o0 + h)], r1 = it->second[std::size_t(o0 + h + 1)];
      if (std::isfinite(r0) && std::isfinite(r1)) diel_c = (1 - fz) * r0 + fz * r1;
    }
    if (!std::isfinite(diel_c)) diel_c = mu_air;
    // Thickness map per die, then its 3x3 mean.
    std::vector<double> all_ts;
    for (std::size_t m = 0; m < maps.size(); ++m) {
      Map& mp = maps[m];
      const std::size_t n = mp.key.size();
      mp.R.assign(n, {});
      mp.T.assign(n, 0.0);
      mp.D.assign(n, 0.0);
      mp.Rc.assign(n, 0.0);
      for (std::size_t q = 0; q < n; ++q) {
        const int i = int(q % std::size_t(mp.nx)), j = int(q / std::size_t(mp.nx));
        double deficit = 0;
        for (int o = 0; o < kPlanes; ++o) {
          const auto find = [&](std::int64_t key) {
            const auto it = ref_med.find(key);
            return it == ref_med.end() ? std::numeric_limits<double>::quiet_NaN() : it->second[std::size_t(o)];
          };
          // Offset class, radial class, the nearest filled radial class, the dielectric.
          double ref = find(mp.key[q] + mp.rim[q]);
          if (!std::isfinite(ref)) ref = find(mp.rkey[q] + mp.rim[q]);
          for (int step = 1; step <= 3 && !std::isfinite(ref) && mp.rkey[q] < 0; ++step)
            for (std::int64_t key : {mp.rkey[q] - step, mp.rkey[q] + step})
              if (!std::isfinite(ref) && key < 0) ref = find(key + mp.rim[q]);
          if (!std::isfinite(ref)) ref = find(mp.rim[q]);
          if (!std::isfinite(ref)) ref = find(0);
          mp.R[q][std::size_t(o)] = ref;
          const double x = value(mp, i, j, o - h);
          if (std::isfinite(ref) && std::isfinite(x)) deficit += ref - x;
        }
        // The removed material is that of the interface plane: its intact level, interpolated at
        // the interface (the blur spreads the deficit over neighbouring planes, not its total).
        const double zc = std::clamp(mp.di->z_int - mp.kc, -double(h), double(h) - 1e-9);
        const int o0 = int(std::floor(zc));
        const double fz = zc - o0;
        const double r0 = mp.R[q][std::size_t(o0 + h)], r1 = mp.R[q][std::size_t(o0 + h + 1)];
        double rc = std::isfinite(r0) && std::isfinite(r1) ? (1 - fz) * r0 + fz * r1 : std::isfinite(r0) ? r0 : r1;
        rc = std::max(rc, diel_c);  // nothing at the interface is less dense than its dielectric
        mp.D[q] = deficit;
        mp.Rc[q] = std::isfinite(rc) ? rc - mu_air : 0.0;
        mp.T[q] = mp.Rc[q] > 1e-9 ? deficit / mp.Rc[q] : 0.0;
      }
      box_mean(mp, 1, mp.ts, all_ts);
    }
    sig = noise_of(all_ts);  // of the 3x3 mean: the CNR below
    // Detection on the 5x5 mean (gaps are >= min_gap_width wide; its noise is lower), at 4 of its
    // sigma or the smallest thickness of interest.
    std::vector<double> all_t5;
    for (Map& mp : maps) box_mean(mp, 2, mp.t5, all_t5);
    sig5 = noise_of(all_t5);
  };
  // Two passes. The references are medians over every column of a class, gaps included, and a
  // gap's deficit pulls them down: with a fifth of the bond gapped (hybrid-bond seed 41) the
  // intact bond read -0.09 voxel, its noise from the negative side 0.144 for 0.073, and the
  // threshold (4 sigma) 0.58 voxel, over the thinnest gaps. So the first pass finds the columns
  // at >= 2 of its sigma (gaps and their blurred rims, grown by 2 columns) and the second takes
  // the references without them.
  build(nullptr);
  {
    std::vector<std::vector<u8>> excluded;
    for (const Map& mp : maps) {
      std::vector<u8> x(mp.t5.size(), 0);
      for (std::size_t q = 0; q < x.size(); ++q) x[q] = mp.t5[q] >= 2.0 * sig5;
      itk_ops::dilate_box(x.data(), Dims{mp.nx, mp.ny, 1}, 2, 2, 0);
      for (std::size_t q = 0; q < x.size(); ++q) x[q] = x[q] && mp.rim[q] == 0;
      excluded.push_back(std::move(x));
    }
    build(&excluded);
  }
  const double thr5 = std::max(recipe_.detect.min_gap_thickness_voxels, 4.0 * sig5);
  const double min_w = recipe_.detect.min_gap_width_voxels;
  for (Map& mp : maps) {
    const std::size_t n = mp.T.size();
    const Dims d2{mp.nx, mp.ny, 1};
    // Regions of the smoothed map above the threshold; each is split at half its level into
    // face-connected parts (a strip of intact bond between two gaps reads <= 1/3 of their level
    // after the 3x3 mean), parts at a level far from the region's are split again at their own,
    // and what lies above the threshold more than kRing columns (the blur's rim) outside every
    // part is a region of its own (a thin gap next to a thick one).
    struct Task {
      std::vector<u8> set;
      int depth;
    };
    std::vector<Task> tasks;
    {
      std::vector<u8> mask(n);
      for (std::size_t q = 0; q < n; ++q) mask[q] = mp.t5[q] >= thr5;
      std::vector<std::uint32_t> lab(n);
      const std::uint32_t nl = itk_ops::connected_components(mask.data(), d2, true, lab.data());
      for (std::uint32_t l = 1; l <= nl; ++l) {
        Task t{std::vector<u8>(n, 0), 0};
        for (std::size_t q = 0; q < n; ++q) t.set[q] = lab[q] == l;
        itk_ops::dilate_box(t.set.data(), d2, 1, 1, 0);
        tasks.push_back(std::move(t));
      }
    }
    std::vector<u8> taken(n, 0);  // columns of accepted gaps
    struct Part {
      std::vector<std::size_t> cols;
      double level;
    };
    std::vector<Part> parts;
    while (!tasks.empty()) {
      Task task = std::move(tasks.back());
      tasks.pop_back();
      std::vector<double> vals;
      for (std::size_t q = 0; q < n; ++q)
        if (task.set[q] && !taken[q] && mp.t5[q] >= thr5) vals.push_back(mp.T[q]);
      if (vals.size() < 4) continue;
      // First guess: the upper quartile (a thin gap beside a thicker one, larger than it, would
      // set the median: the bundled sample's 0.65 and 1.67 voxel gaps side by side merged), then
      // the median over the half-level columns.
      const double level0 = quantile_of(vals, 0.75);
      vals.clear();
      for (std::size_t q = 0; q < n; ++q)
        if (task.set[q] && !taken[q] && mp.ts[q] >= 0.5 * level0) vals.push_back(mp.T[q]);
      if (vals.size() < 4) continue;
      const double level = median_of(vals);
      std::vector<u8> half(n, 0);
      for (std::size_t q = 0; q < n; ++q) half[q] = task.set[q] && !taken[q] && mp.ts[q] >= 0.5 * level;
      std::vector<std::uint32_t> lab(n);
      const std::uint32_t nl = itk_ops::connected_components(half.data(), d2, false, lab.data());
      std::vector<std::vector<std::size_t>> comps(nl + 1);
      for (std::size_t q = 0; q < n; ++q)
        if (lab[q]) comps[lab[q]].push_back(q);
      for (std::uint32_t l = 1; l <= nl; ++l) {
        if (comps[l].size() < 4) continue;
        std::vector<double> cv;
        for (std::size_t q : comps[l]) cv.push_back(mp.T[q]);
        const double lc = median_of(cv);
        if (task.depth < 3 && nl > 1 && (lc > 1.6 * level || lc < level / 1.6)) {
          Task t{std::vector<u8>(n, 0), task.depth + 1};
          for (std::size_t q : comps[l]) t.set[q] = 1;
          itk_ops::dilate_box(t.set.data(), d2, 1, 1, 0);
          for (std::size_t q = 0; q < n; ++q) t.set[q] = t.set[q] && task.set[q];
          tasks.push_back(std::move(t));
          continue;
        }
        for (std::size_t q : comps[l]) taken[q] = 1;
        parts.push_back({std::move(comps[l]), lc});
      }
      if (task.depth < 3) {
        std::vector<u8> near = half;
        itk_ops::dilate_box(near.data(), d2, kRing, kRing, 0);
        std::vector<u8> rest(n, 0);
        for (std::size_t q = 0; q < n; ++q) rest[q] = task.set[q] && !near[q] && !taken[q] && mp.t5[q] >= thr5;
        const std::uint32_t nr = itk_ops::connected_components(rest.data(), d2, true, lab.data());
        for (std::uint32_t l = 1; l <= nr; ++l) {
          Task t{std::vector<u8>(n, 0), task.depth + 1};
          for (std::size_t q = 0; q < n; ++q) t.set[q] = lab[q] == l;
          itk_ops::dilate_box(t.set.data(), d2, 1, 1, 0);
          for (std::size_t q = 0; q < n; ++q) t.set[q] = t.set[q] && task.set[q] && !taken[q];
          tasks.push_back(std::move(t));
        }
      }
    }
    for (const Part& part : parts) {
      std::vector<u8> in(n, 0);
      int a0 = mp.nx, a1 = -1, b0 = mp.ny, b1 = -1;
      double wi = 0, wj = 0;
      for (std::size_t q : part.cols) {
        in[q] = 1;
        const int i = int(q % std::size_t(mp.nx)), j = int(q / std::size_t(mp.nx));
        a0 = std::min(a0, i), a1 = std::max(a1, i), b0 = std::min(b0, j), b1 = std::max(b1, j);
        wi += i, wj += j;
      }
      if (a1 - a0 + 1 < min_w - 1 || b1 - b0 + 1 < min_w - 1) continue;
      // Thickness: median over the core (the part eroded by one column).
      std::vector<double> core, allv;
      for (std::size_t q : part.cols) {
        const int i = int(q % std::size_t(mp.nx)), j = int(q / std::size_t(mp.nx));
        allv.push_back(mp.T[q]);
        bool inner = true;
        for (int dy = -1; dy <= 1 && inner; ++dy)
          for (int dx = -1; dx <= 1 && inner; ++dx) {
            const int x = i + dx, y = j + dy;
            inner = x >= 0 && y >= 0 && x < mp.nx && y < mp.ny && in[std::size_t(y) * mp.nx + x];
          }
        if (inner) core.push_back(mp.T[q]);
      }
      const double t_vox = median_of(core.size() >= 4 ? core : allv);
      if (!(t_vox > 0)) continue;
      // Area = missing material / (thickness x the intact interface level): the deficit summed
      // over the part and the ring of columns around it (not another gap's), where the blur has
      // spread its edge; the level averaged over the part (pads and dielectric alike).
      std::vector<u8> grown = in;
      itk_ops::dilate_box(grown.data(), d2, kRing, kRing, 0);
      double missing = 0, level_sum = 0;
      for (std::size_t q = 0; q < n; ++q)
        if (grown[q] && (in[q] || !taken[q])) missing += mp.D[q];
      for (std::size_t q : part.cols) level_sum += mp.Rc[q];
      const double mean_level = level_sum / double(part.cols.size());
      const double area_cols =
          mean_level > 0 ? std::max(missing / (t_vox * mean_level), 0.5 * double(part.cols.size())) : double(part.cols.size());
      Found f;
      f.d.type = DefectType::bond_gap;
      f.d.die = mp.di->die.id;
      const double na = double(part.cols.size());
      const double ci = mp.di->b.i0 + wi / na, cj = mp.di->b.j0 + wj / na;
      // z: deficit-weighted plane.
      double zw = 0, zs = 0;
      for (std::size_t q : part.cols) {
        const int i = int(q % std::size_t(mp.nx)), j = int(q / std::size_t(mp.nx));
        for (int o = -h; o <= h; ++o) {
          const double ref = mp.R[q][std::size_t(o + h)], x = value(mp, i, j, o);
          if (!std::isfinite(ref) || !std::isfinite(x)) continue;
          const double dsum = std::max(0.0, (ref - x) / std::max(ref - mu_air, 1e-9));
          zw += dsum * (mp.kc + o), zs += dsum;
        }
      }
      const double ck = zs > 0 ? zw / zs : mp.di->z_int;
      f.d.centroid_mm = world(ci, cj, ck);
      const double half = 0.5 * t_vox;
      f.d.bbox_mm = {world(mp.di->b.i0 + a0 - 0.5, mp.di->b.j0 + b0 - 0.5, ck - half),
                     world(mp.di->b.i0 + a1 + 0.5, mp.di->b.j0 + b1 + 0.5, ck + half)};
      f.d.volume_mm3 = t_vox * area_cols * voxel_mm3();
      f.d.equivalent_diameter_mm = std::cbrt(6.0 * f.d.volume_mm3 / std::numbers::pi);
      f.d.area_mm2 = area_cols * g_.sx * g_.sy;
      f.d.thickness_mm = t_vox * g_.sz;
      {  // sphericity of a slab: A = 2 area + perimeter x t
        const double per = 2.0 * ((a1 - a0 + 1) * g_.sx + (b1 - b0 + 1) * g_.sy);
        const double A = 2.0 * f.d.area_mm2 + per * *f.d.thickness_mm;
        f.d.sphericity = A > 0 ? std::min(1.0, std::cbrt(std::numbers::pi) * std::pow(6.0 * f.d.volume_mm3, 2.0 / 3.0) / A) : 0;
      }
      f.d.cnr = sig > 0 ? t_vox / (sig * 3.0) : 0.0;  // sig is of the 3x3 mean: x3 for one column
      // Labels: planes whose air fraction against the reference >= 1/4, at least the interface plane.
      for (std::size_t q : part.cols) {
        const int i = int(q % std::size_t(mp.nx)), j = int(q / std::size_t(mp.nx));
        bool any = false;
        for (int o = -h; o <= h; ++o) {
          const double ref = mp.R[q][std::size_t(o + h)], x = value(mp, i, j, o);
          if (!std::isfinite(ref) || !std::isfinite(x) || !(ref - mu_air > 0)) continue;
          if ((ref - x) / (ref - mu_air) >= 0.25) {
            f.voxels.push_back(idx(mp.di->b.i0 + i, mp.di->b.j0 + j, mp.kc + o));
            any = true;
          }
        }
        if (!any && mp.kc >= 0 && mp.kc < g_.nz) f.voxels.push_back(idx(mp.di->b.i0 + i, mp.di->b.j0 + j, mp.kc));
      }
      found_.push_back(std::move(f));
    }
  }
}

// ---- 7/8. types, dies, labels ---------------------------------------------------------------
void Analyzer::assign_and_finish() {
  const double vox_i = 1.0 / g_.sx, vox_j = 1.0 / g_.sy, vox_k = 1.0 / g_.sz;
  auto to_index = [&](Vec3 p) {
    return std::array<double, 3>{(p.x - g_.center.x) * vox_i + 0.5 * (g_.nx - 1),
                                 (p.y - g_.center.y) * vox_j + 0.5 * (g_.ny - 1),
                                 (p.z - g_.center.z) * vox_k + 0.5 * (g_.nz - 1)};
  };
  // Bump membership of voxels: map voxel -> (die, bump).
  std::map<std::size_t, std::pair<std::size_t, std::size_t>> in_bump;
  for (std::size_t d = 0; d < dies_.size(); ++d)
    for (std::size_t b = 0; b < dies_[d].bumps.size(); ++b)
      for (std::size_t q : dies_[d].bumps[b].voxels) in_bump[q] = {d, b};
  std::vector<Found> kept;
  for (Found& f : found_) {
    if (f.d.type == DefectType::bond_gap) {
      kept.push_back(std::move(f));
      continue;
    }
    if (kind_ == SampleKind::generic || dies_.empty()) {
      f.d.die = "P0";
      kept.push_back(std::move(f));
      continue;
    }
    const auto c = to_index(f.d.centroid_mm);
    // In a bump: the majority of its voxels inside a filled bump.
    std::map<std::pair<std::size_t, std::size_t>, int> votes;
    for (std::size_t q : f.voxels)
      if (auto it = in_bump.find(q); it != in_bump.end()) ++votes[it->second];
    if (!votes.empty()) {
      auto best = std::max_element(votes.begin(), votes.end(), [](auto& a, auto& b) { return a.second < b.second; });
      if (2 * best->second >= int(f.voxels.size())) {
        DieInfo& di = dies_[best->first.first];
        Bump& b = di.bumps[best->first.second];
        f.d.type = DefectType::bump_void;
        f.d.die = di.die.id;
        f.d.bump = b.id;
        b.void_mm3 += f.d.volume_mm3;
        kept.push_back(std::move(f));
        continue;
      }
    }
    // Hybrid band: left to the gap map.
    bool in_hybrid = false;
    for (const DieInfo& di : dies_)
      if (di.iface == Iface::hybrid && c[0] >= di.b.i0 - 0.5 && c[0] <= di.b.i1 + 0.5 && c[1] >= di.b.j0 - 0.5 &&
          c[1] <= di.b.j1 + 0.5 && std::abs(c[2] - di.z_int) <= 3.5)
        in_hybrid = true;
    if (in_hybrid) continue;
    // Underfill band (with its fillet margin).
    const DieInfo* owner = nullptr;
    for (const DieInfo& di : dies_) {
      if (di.iface != Iface::band) continue;
      const double m = di.margin;
      if (c[0] >= di.b.i0 - m && c[0] <= di.b.i1 + m && c[1] >= di.b.j0 - m && c[1] <= di.b.j1 + m &&
          c[2] >= di.band_k0 - 1 && c[2] <= di.band_k1 + 1) {
        const bool under = c[0] >= di.b.i0 - 0.5 && c[0] <= di.b.i1 + 0.5 && c[1] >= di.b.j0 - 0.5 && c[1] <= di.b.j1 + 0.5;
        if (!owner || under) owner = &di;
        if (under) break;
      }
    }
    if (owner) {
      f.d.type = DefectType::underfill_void;
      f.d.die = owner->die.id;
      kept.push_back(std::move(f));
      continue;
    }
    // Elsewhere: a plain void, assigned to the die whose column (footprint, from its band to
    // its top) contains it, else the nearest footprint.
    double best = 1e300;
    for (const DieInfo& di : dies_) {
      const double dx = std::max({0.0, di.b.i0 - c[0], c[0] - di.b.i1});
      const double dy = std::max({0.0, di.b.j0 - c[1], c[1] - di.b.j1});
      const double lo = di.iface == Iface::band ? di.band_k0 : di.z_int;
      const double dz = std::max({0.0, lo - c[2], c[2] - di.b.k1});
      const double dist = dx * dx + dy * dy + dz * dz;
      if (dist < best) best = dist, f.d.die = di.die.id;
    }
    kept.push_back(std::move(f));
  }
  found_ = std::move(kept);
  // Bump void fractions.
  for (Found& f : found_) {
    if (f.d.type != DefectType::bump_void) continue;
    for (const DieInfo& di : dies_)
      for (const Bump& b : di.bumps)
        if (f.d.bump && b.id == *f.d.bump) {
          const double total = b.solder_mm3 + b.void_mm3;
          f.d.bump_void_fraction = total > 0 ? b.void_mm3 / total : 0.0;
        }
  }
  // Order: by die, then type, then position; ids 1..n.
  std::sort(found_.begin(), found_.end(), [](const Found& a, const Found& b) {
    if (a.d.die != b.d.die) return a.d.die < b.d.die;
    if (a.d.type != b.d.type) return int(a.d.type) < int(b.d.type);
    if (a.d.centroid_mm.z != b.d.centroid_mm.z) return a.d.centroid_mm.z < b.d.centroid_mm.z;
    if (a.d.centroid_mm.y != b.d.centroid_mm.y) return a.d.centroid_mm.y < b.d.centroid_mm.y;
    return a.d.centroid_mm.x < b.d.centroid_mm.x;
  });
}

// Steps 1-2 and the kind: input checks, materials, structure.
void Analyzer::structure(Analysis& a) {
  // Input checks.
  if (g_.nx <= 0 || g_.ny <= 0 || g_.nz <= 0 || vol_.data.empty())
    throw InputError(file_, "size", "the volume is empty");
  if (vol_.data.size() != g_.voxel_count())
    throw InputError(file_, "size", "the volume holds " + std::to_string(vol_.data.size()) + " values, its grid " +
                                        std::to_string(g_.voxel_count()));
  for (double s : {g_.sx, g_.sy, g_.sz})
    if (!(s > 0) || !std::isfinite(s)) throw InputError(file_, "spacing", "the volume has no valid voxel spacing");
  if (!std::isfinite(g_.center.x) || !std::isfinite(g_.center.y) || !std::isfinite(g_.center.z))
    throw InputError(file_, "origin", "the volume's origin is not finite");
  float lo = vol_.data[0], hi = vol_.data[0];
  for (float x : vol_.data) {
    if (!std::isfinite(x)) throw InputError(file_, "data", "the volume holds NaN or infinite values");
    lo = std::min(lo, x), hi = std::max(hi, x);
  }
  if (!(hi > lo)) throw InputError(file_, "data", "the volume is constant: no object to analyse");
  report(0.0);

  a.grid = g_;
  mat_ = classify_materials(v_, vol_.data.size());
  if (recipe_.detect.void_threshold) {
    if (!std::isfinite(*recipe_.detect.void_threshold))
      throw InputError(recipe_.source, "detect.void_threshold", "not a finite number");
    mat_.t_air = *recipe_.detect.void_threshold;
  }
  a.class_thresholds = mat_.thresholds;
  report(0.15);
  if (mat_.peaks.size() < 1 || (mat_.air >= 0 && mat_.peaks.size() < 2))
    throw InputError(file_, "data", "the volume shows no object (a single attenuation level)");

  const SampleKind want = recipe_.kind;
  if (want != SampleKind::generic) find_structure();
  report(0.3);
  if (want == SampleKind::generic) {
    kind_ = SampleKind::generic;
    dies_.clear();
  } else if (dies_.empty()) {
    if (want != SampleKind::automatic)
      throw InputError(recipe_.source, "kind",
                       std::string("the recipe names kind '") + to_string(want) +
                           "' but the volume shows no die structure (no Si blocks)");
    kind_ = SampleKind::generic;
    a.fell_back_to_generic = true;
    notes_.push_back("no die structure found (no Si blocks): analysed as generic, the whole object as part P0");
  } else if (want != SampleKind::automatic && want != kind_) {
    throw InputError(recipe_.source, "kind",
                     std::string("the recipe names kind '") + to_string(want) + "' but the volume shows '" +
                         to_string(kind_) + "'");
  }
  a.kind = kind_;
}

SampleKind Analyzer::kind_only() {
  Analysis a;
  structure(a);
  return kind_;
}

Analysis Analyzer::run() {
  Analysis a;
  structure(a);
  std::vector<u8> cand(vol_.data.size(), 0);
  for (DieInfo& di : dies_) {
    find_bumps(di, cand);
    find_pads(di);
  }
  report(0.35);
  find_voids(cand);
  cand.clear();
  cand.shrink_to_fit();
  report(0.75);
  find_gaps();
  report(0.85);
  assign_and_finish();

  // Dies.
  if (kind_ == SampleKind::generic) {
    Die p;
    p.id = "P0";
    int i0 = g_.nx, i1 = -1, j0 = g_.ny, j1 = -1, k0 = g_.nz, k1 = -1;
    std::vector<u8> col(std::size_t(g_.nx) * g_.ny, 0);
    for (int k = 0; k < g_.nz; ++k)
      for (int j = 0; j < g_.ny; ++j)
        for (int i = 0; i < g_.nx; ++i)
          if (v_[idx(i, j, k)] >= mat_.t_air) {
            i0 = std::min(i0, i), i1 = std::max(i1, i), j0 = std::min(j0, j), j1 = std::max(j1, j);
            k0 = std::min(k0, k), k1 = std::max(k1, k);
            col[std::size_t(j) * g_.nx + i] = 1;
          }
    if (i1 >= 0) {
      // Projected area of the object with its holes (the part's outline).
      itk_ops::fill_holes(col.data(), {g_.nx, g_.ny, 1});
      p.bbox_mm = box_of(i0, j0, k0, i1, j1, k1);
      p.interface_area_mm2 = double(std::count(col.begin(), col.end(), u8(1))) * g_.sx * g_.sy;
    }
    a.dies.push_back(p);
  } else {
    std::sort(dies_.begin(), dies_.end(), [](const DieInfo& x, const DieInfo& y) {
      if (x.die.index[2] != y.die.index[2]) return x.die.index[2] < y.die.index[2];
      if (x.die.index[1] != y.die.index[1]) return x.die.index[1] < y.die.index[1];
      return x.die.index[0] < y.die.index[0];
    });
    for (const DieInfo& di : dies_) a.dies.push_back(di.die);
  }
  a.kind = kind_;
  a.notes = notes_;
  a.labels.assign(vol_.data.size(), 0);
  int id = 0;
  for (Found& f : found_) {
    f.d.id = ++id;
    for (std::size_t q : f.voxels) a.labels[q] = id;
    a.defects.push_back(f.d);
  }
  report(1.0);
  return a;
}

}  // namespace

Analysis analyze(const Volume& volume, const Recipe& recipe, const std::string& volume_file,
                 const AnalyzeProgress& progress) {
  return Analyzer(volume, recipe, volume_file, progress).run();
}

SampleKind structure_kind(const Volume& volume, const Recipe& recipe, const std::string& volume_file) {
  return Analyzer(volume, recipe, volume_file, {}).kind_only();
}

}  // namespace voidscan::detect
