#include "detect/metal_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <vector>

#include "detect/itk_ops.hpp"
#include "detect/materials.hpp"
#include "detect/stats.hpp"

namespace voidscan::detect {
namespace {

struct Box3 {
  int i0 = 1 << 30, j0 = 1 << 30, k0 = 1 << 30, i1 = -1, j1 = -1, k1 = -1;
  std::size_t count = 0;
};

/// The median of v - fill over plane k's voxels within `rin` of (ci, cj) (index units).
double interior_median(const Volume& vol, int k, double ci, double cj, double rin, double fill) {
  const VolumeGrid& g = vol.grid;
  std::vector<double> in;
  for (int j = std::max(0, int(std::floor(cj - rin))); j <= std::min(g.ny - 1, int(std::ceil(cj + rin))); ++j)
    for (int i = std::max(0, int(std::floor(ci - rin))); i <= std::min(g.nx - 1, int(std::ceil(ci + rin))); ++i)
      if ((i - ci) * (i - ci) + (j - cj) * (j - cj) <= rin * rin)
        in.push_back(double(vol.data[(std::size_t(k) * std::size_t(g.ny) + std::size_t(j)) * std::size_t(g.nx) +
                                     std::size_t(i)]) - fill);
  return median_of(in);
}

/// A void in column `c` (box `b`, centre (ci, cj) and radius r in index units, plateau level
/// above `fill`): in the planes whose content is within 40 % of a full disc at the plateau, the
/// interior voxels (>= 1.5 voxels inside the wall, clear of its blur) lying 30 % or more below
/// their plane's interior median are the dip (a plane at the column's end face is blurred as a
/// whole, not a void); its volume is the deficit (median - x) / median summed over the interior
/// voxels within 2 of the dip (FDK blur moves the deficit, it keeps its sum), its centre the
/// deficit-weighted mean. One sphere per run of dip planes (a void in each bump of a column
/// through two tiers), each >= 1 voxel of volume.
void find_void(const Volume& vol, MetalColumn& c, const Box3& b, double plateau, double fill, double ci, double cj,
               double r) {
  const VolumeGrid& g = vol.grid;
  const double rin = r - 1.5;
  if (!(rin > 1)) return;
  auto at = [&](int i, int j, int k) {
    return double(vol.data[(std::size_t(k) * std::size_t(g.ny) + std::size_t(j)) * std::size_t(g.nx) + std::size_t(i)]) -
           fill;
  };
  const double full = std::numbers::pi * r * r * plateau;
  std::vector<int> planes;
  for (int k = b.k0; k <= b.k1; ++k) {
    const std::size_t p = std::size_t(k - c.k0);
    if (p < c.content.size() && std::abs(c.content[p] - full) < 0.4 * full) planes.push_back(k);
  }
  const int i0 = std::max(0, int(std::floor(ci - rin))), i1 = std::min(g.nx - 1, int(std::ceil(ci + rin)));
  const int j0 = std::max(0, int(std::floor(cj - rin))), j1 = std::min(g.ny - 1, int(std::ceil(cj + rin)));
  auto inside = [&](int i, int j) { return (i - ci) * (i - ci) + (j - cj) * (j - cj) <= rin * rin; };
  std::vector<double> level(planes.size());
  for (std::size_t p = 0; p < planes.size(); ++p) level[p] = interior_median(vol, planes[p], ci, cj, rin, fill);
  std::vector<std::array<int, 3>> dip;
  for (std::size_t p = 0; p < planes.size(); ++p)
    for (int j = j0; j <= j1; ++j)
      for (int i = i0; i <= i1; ++i)
        if (inside(i, j) && at(i, j, planes[p]) < 0.7 * level[p]) dip.push_back({i, j, planes[p]});
  // One voxel is enough: a 2.3 um void 1.7 voxels off the axis of a 7 um bump (HBM seed 4) dips
  // one interior voxel to 0.52 of its plane's median; unmodelled, its streaks read as a void
  // beside the bump.
  if (dip.empty()) return;
  // One void per run of dip planes: a column through two tiers of a stack (a bump, its TSV,
  // the bump above) may hold a void in each bump (HBM seed 42: voids at z 2.2 and 23.2 um in one
  // column; one sphere between them left the content 16-19 % off at both and the correction
  // was refused). Runs part where the dip skips more than 4 planes, so that no voxel lies within
  // 2 of both.
  std::sort(dip.begin(), dip.end(), [](const auto& a, const auto& b) { return a[2] < b[2]; });
  for (std::size_t a = 0; a < dip.size();) {
    std::size_t e = a + 1;
    while (e < dip.size() && dip[e][2] - dip[e - 1][2] <= 4) ++e;
    double vsum = 0, x = 0, y = 0, z = 0;
    for (std::size_t p = 0; p < planes.size(); ++p) {
      const int k = planes[p];
      if (k < dip[a][2] - 2 || k > dip[e - 1][2] + 2 || !(level[p] > 0)) continue;
      for (int j = j0; j <= j1; ++j)
        for (int i = i0; i <= i1; ++i) {
          if (!inside(i, j)) continue;
          bool near = false;
          for (std::size_t q = a; q < e && !near; ++q)
            near = std::abs(dip[q][0] - i) <= 2 && std::abs(dip[q][1] - j) <= 2 && std::abs(dip[q][2] - k) <= 2;
          if (!near) continue;
          const double d = std::clamp((level[p] - at(i, j, k)) / level[p], 0.0, 1.0);
          vsum += d, x += d * i, y += d * j, z += d * k;
        }
    }
    a = e;
    if (vsum < 1) continue;
    MetalVoid h;
    h.center_mm = g.voxel_center(x / vsum, y / vsum, z / vsum);
    h.radius_mm = std::cbrt(3 * vsum / (4 * std::numbers::pi)) * g.sx;
    h.level = plateau;
    c.voids.push_back(h);
  }
}

}  // namespace

MetalModel fit_metal_model(const Volume& vol) {
  MetalModel out;
  const VolumeGrid& g = vol.grid;
  const float* v = vol.data.data();
  const Materials mat = classify_materials(v, vol.data.size());
  if (!mat.t_metal || mat.solder < 0) return out;
  // Metal: above the histogram's metal threshold and a quarter of the densest metal's level
  // (streaks around dense metal make peaks of their own above 4 x Si, which the histogram may
  // take for the lightest metal).
  const double t_metal = std::max(*mat.t_metal, 0.25 * mat.level(mat.solder));

  const itk_ops::Dims d{g.nx, g.ny, g.nz};
  auto idx = [&](int i, int j, int k) {
    return (std::size_t(k) * std::size_t(g.ny) + std::size_t(j)) * std::size_t(g.nx) + std::size_t(i);
  };
  std::vector<std::uint8_t> mask(vol.data.size());
  for (std::size_t q = 0; q < mask.size(); ++q) mask[q] = v[q] >= t_metal;
  std::vector<std::uint32_t> lab(vol.data.size());
  const std::uint32_t n = itk_ops::connected_components(mask.data(), d, true, lab.data());
  std::vector<Box3> boxes(n + 1);
  for (int k = 0; k < g.nz; ++k)
    for (int j = 0; j < g.ny; ++j)
      for (int i = 0; i < g.nx; ++i)
        if (const auto l = lab[idx(i, j, k)]) {
          Box3& b = boxes[l];
          b.i0 = std::min(b.i0, i), b.i1 = std::max(b.i1, i), b.j0 = std::min(b.j0, j), b.j1 = std::max(b.j1, j);
          b.k0 = std::min(b.k0, k), b.k1 = std::max(b.k1, k), ++b.count;
        }

  // The fill around the metal.
  std::vector<double> around;
  // Metal within one column in the plane (the partial-volume rim: not fill); i, j inside by 1.
  auto next_to_metal = [&](int i, int j, int k) {
    for (int dj = -1; dj <= 1; ++dj)
      for (int di = -1; di <= 1; ++di)
        if (mask[idx(i + di, j + dj, k)]) return true;
    return false;
  };
  for (std::uint32_t l = 1; l <= n; ++l) {
    const Box3& b = boxes[l];
    if (b.count < 8) continue;
    for (int k = b.k0 + 1; k < b.k1; ++k)
      for (int j = std::max(1, b.j0 - 2); j <= std::min(g.ny - 2, b.j1 + 2); ++j)
        for (int i = std::max(1, b.i0 - 2); i <= std::min(g.nx - 2, b.i1 + 2); ++i)
          if (!next_to_metal(i, j, k)) around.push_back(v[idx(i, j, k)]);
  }
  if (around.empty()) return out;
  const double fill = median_of(around);
  out.fill_level = fill;

  for (std::uint32_t l = 1; l <= n; ++l) {
    const Box3& b = boxes[l];
    if (b.count < 8) continue;
    MetalColumn c;
    c.i0 = std::max(0, b.i0 - 2), c.i1 = std::min(g.nx - 1, b.i1 + 2);
    c.j0 = std::max(0, b.j0 - 2), c.j1 = std::min(g.ny - 1, b.j1 + 2);
    c.k0 = std::max(0, b.k0 - 2);
    const int k1 = std::min(g.nz - 1, b.k1 + 2);
    std::vector<double> ci, cj;
    // Per plane, the background the metal displaces: the fill, or where the column runs
    // through something else for 3 planes or more within the metal's extent (an HBM stack's TSV
    // through a die's Si) the median of those planes' non-metal voxels in the box, when it lies
    // half way or more from the fill towards Si. (A flip chip's pillar ends at the die's face:
    // the Si plane beyond keeps the fill, as the model was tuned with.)
    std::vector<double> fills(std::size_t(k1 - c.k0 + 1), fill);
    if (mat.si >= 0) {
      const double si = mat.level(mat.si) - fill;
      std::vector<double> local(fills.size(), fill);
      std::vector<bool> in_si(fills.size(), false);
      for (int k = std::max(c.k0, b.k0); k <= std::min(k1, b.k1); ++k) {
        std::vector<double> bg;
        for (int j = std::max(1, c.j0); j <= std::min(g.ny - 2, c.j1); ++j)
          for (int i = std::max(1, c.i0); i <= std::min(g.nx - 2, c.i1); ++i)
            if (!next_to_metal(i, j, k)) bg.push_back(v[idx(i, j, k)]);
        if (bg.size() < 8) continue;
        const std::size_t p = std::size_t(k - c.k0);
        local[p] = median_of(bg);
        in_si[p] = (local[p] - fill) * si > 0.5 * si * si;
      }
      for (std::size_t a = 0; a < in_si.size();) {
        std::size_t e = a;
        while (e < in_si.size() && in_si[e] == in_si[a]) ++e;
        if (in_si[a] && e - a >= 3)
          for (std::size_t p = a; p < e; ++p) fills[p] = local[p];
        a = e;
      }
    }
    for (int k = c.k0; k <= k1; ++k) {
      const double fk = fills[std::size_t(k - c.k0)];
      double a = 0, wi = 0, wj = 0;
      for (int j = c.j0; j <= c.j1; ++j)
        for (int i = c.i0; i <= c.i1; ++i) {
          const double x = double(v[idx(i, j, k)]) - fk;
          a += x, wi += x * i, wj += x * j;
        }
      // Beyond one plane of the metal: what lies there (substrate, the die's Si) is not the
      // metal's blur and must not become discs of the model.
      if (k < b.k0 - 1 || k > b.k1 + 1) a = 0;
      c.content.push_back(a);
      ci.push_back(a > 0 ? wi / a : 0), cj.push_back(a > 0 ? wj / a : 0);
    }
    const auto top = std::max_element(c.content.begin(), c.content.end());
    if (!(*top > 0)) continue;
    const int kmax = c.k0 + int(top - c.content.begin());
    std::vector<double> core;
    for (int j = b.j0; j <= b.j1; ++j)
      for (int i = b.i0; i <= b.i1; ++i)
        if (lab[idx(i, j, kmax)] == l) core.push_back(double(v[idx(i, j, kmax)]) - fill);
    // The plateau: the histogram's metal level nearest to the core's upper quartile (the mode of
    // every bump's interior: the radius needs it to ~0.1 %, a fitted model's streaks move with
    // its edges), else that quartile.
    double plateau = quantile_of(core, 0.75);
    for (int role : {mat.solder, mat.cu})
      if (role >= 0 && std::abs(mat.level(role) - fill - plateau) < 0.1 * plateau) {
        plateau = mat.level(role) - fill;
        break;
      }
    if (!(plateau > 0)) continue;
    double r = std::sqrt(*top / (std::numbers::pi * plateau));  // voxels
    std::vector<double> full_i, full_j;
    for (std::size_t p = 0; p < c.content.size(); ++p)
      if (c.content[p] >= 0.5 * *top) full_i.push_back(ci[p]), full_j.push_back(cj[p]);
    double cen_i = median_of(full_i), cen_j = median_of(full_j);
    find_void(vol, c, b, plateau, fill, cen_i, cen_j, r);
    if (!c.voids.empty()) {
      // A void pulls its planes' centroids away from it, and a model disc off centre by a
      // fraction of a voxel leaves a crescent of its own error beside the bump: the centre
      // again with the interior's dip filled to its plane's level, then the void again.
      const double rin = r - 1.5;
      std::vector<double> fi, fj;
      for (std::size_t p = 0; p < c.content.size(); ++p) {
        if (c.content[p] < 0.5 * *top) continue;
        const int k = c.k0 + int(p);
        const double level = interior_median(vol, k, cen_i, cen_j, rin, fill);
        double a = 0, wi = 0, wj = 0;
        for (int j = c.j0; j <= c.j1; ++j)
          for (int i = c.i0; i <= c.i1; ++i) {
            double x = double(v[idx(i, j, k)]) - fill;
            if ((i - cen_i) * (i - cen_i) + (j - cen_j) * (j - cen_j) <= rin * rin) x = std::max(x, level);
            a += x, wi += x * i, wj += x * j;
          }
        if (a > 0) fi.push_back(wi / a), fj.push_back(wj / a);
      }
      if (!fi.empty()) {
        cen_i = median_of(fi), cen_j = median_of(fj);
        // The radius again, from the fullest plane with its interior at the plane's metal level
        // (the 90th percentile of the interior: a void filling most of the bump empties the
        // interior median, and its cap reaches the plane of most content; a 3 um void in a 5 um
        // bump gave r 4.85 and the content balance, over discs too small, 72 um3 for 113).
        double amax = *top;
        for (std::size_t p = 0; p < c.content.size(); ++p) {
          if (c.content[p] < 0.5 * *top) continue;
          const int k = c.k0 + int(p);
          std::vector<double> in;
          double rest = 0;
          for (int j = c.j0; j <= c.j1; ++j)
            for (int i = c.i0; i <= c.i1; ++i) {
              const double x = double(v[idx(i, j, k)]) - fill;
              if ((i - cen_i) * (i - cen_i) + (j - cen_j) * (j - cen_j) <= rin * rin) in.push_back(x);
              else rest += x;
            }
          if (in.empty()) continue;
          const double level = std::min(quantile_of(in, 0.9), plateau);
          amax = std::max(amax, rest + level * double(in.size()));
        }
        r = std::sqrt(amax / (std::numbers::pi * plateau));
        c.voids.clear();
        find_void(vol, c, b, plateau, fill, cen_i, cen_j, r);
      }
    }
    const Vec3 centre = g.voxel_center(cen_i, cen_j, 0);
    c.center_x_mm = centre.x;
    c.center_y_mm = centre.y;
    c.radius_mm = r * g.sx;
    // Parts of different radius: with solder and Cu, each plane is of the metal its peak is
    // nearer to, and each metal's planes take one radius (below). Kept when a metal's radius is
    // 40 % off r (an HBM stack: bumps r 3.5 um, TSVs r 1.5 um; a flip chip's pillar and solder
    // share r).
    if (mat.solder >= 0 && mat.cu >= 0 && mat.cu != mat.solder) {
      const double mid = 0.5 * (mat.level(mat.solder) + mat.level(mat.cu));
      std::vector<int> metal_of(c.content.size(), -1);
      for (std::size_t p = 0; p < c.content.size(); ++p) {
        if (!(c.content[p] > 0.02 * *top)) continue;
        double peak = -HUGE_VAL;
        for (int j = c.j0; j <= c.j1; ++j)
          for (int i = c.i0; i <= c.i1; ++i) peak = std::max(peak, double(v[idx(i, j, c.k0 + int(p))]));
        metal_of[p] = peak >= mid ? mat.solder : mat.cu;
      }
      // A run of "Cu" planes between solder planes that is short, or whose every plane holds a
      // quarter or more of the content of the solder planes around it (a TSV plane holds ~1/10),
      // is solder dimmed by a void inside the bump (HBM seed 3: two planes of a voided bump took
      // the TSV's radius and a mu of 112; a 4.6 um void in a tier-1 bump dimmed three, HBM seed
      // 88).
      for (std::size_t a = 0; a < metal_of.size();) {
        std::size_t e = a;
        while (e < metal_of.size() && metal_of[e] == metal_of[a]) ++e;
        if (metal_of[a] == mat.cu && a > 0 && e < metal_of.size() && metal_of[a - 1] == mat.solder &&
            metal_of[e] == mat.solder) {
          const double around = std::min(c.content[a - 1], c.content[e]);
          bool full = true;
          for (std::size_t p = a; p < e; ++p) full = full && c.content[p] >= 0.25 * around;
          if (e - a < 3 || full)
            for (std::size_t p = a; p < e; ++p) metal_of[p] = mat.solder;
        }
        a = e;
      }
      std::vector<double> radii(c.content.size(), r);
      bool differ = false;
      // One radius per metal and column (a stack's bumps alike, its TSVs alike), from the
      // upper-quartile plane of that metal: not its fullest, whose content may hold the blur of
      // the next part (a bump's tail in a TSV's first plane read r 2.0 um for 1.5), nor a middle
      // one, which a void empties (a bump holding a 4 um void read 3.33 um for 3.5).
      for (int metal : {mat.solder, mat.cu}) {
        std::vector<std::pair<double, std::size_t>> planes;
        for (std::size_t q = 0; q < metal_of.size(); ++q)
          if (metal_of[q] == metal) planes.push_back({c.content[q], q});
        if (planes.empty()) continue;
        std::sort(planes.begin(), planes.end());
        const std::size_t at = planes[std::min(planes.size() - 1, (3 * planes.size()) / 4)].second;
        const double level = mat.level(metal) - fills[at];
        const double rr = level > 0 ? std::sqrt(c.content[at] / (std::numbers::pi * level)) : r;
        for (const auto& [content, q] : planes) radii[q] = rr;
        differ = differ || std::abs(rr - r) > 0.4 * r;
      }
      // Planes of no metal (the blur's ends) take their nearest part's radius.
      for (std::size_t p = 0; p < metal_of.size(); ++p)
        if (metal_of[p] < 0)
          for (std::size_t d = 1; d < metal_of.size(); ++d) {
            if (p >= d && metal_of[p - d] >= 0) {
              radii[p] = radii[p - d];
              break;
            }
            if (p + d < metal_of.size() && metal_of[p + d] >= 0) {
              radii[p] = radii[p + d];
              break;
            }
          }
      if (differ)
        for (double x : radii) c.radii_mm.push_back(x * g.sx);
    }
    for (std::size_t p = 0; p < c.content.size(); ++p) {
      const double rp = plane_radius_mm(c, p) / g.sx;
      c.mu.push_back(std::max(0.0, c.content[p] / (std::numbers::pi * rp * rp)));
    }
    for (int role : {mat.solder, mat.cu})
      if (role >= 0) c.levels.push_back(mat.level(role) - fill);
    out.columns.push_back(std::move(c));
  }
  return out;
}

}  // namespace voidscan::detect
