// Material classes from the histogram; the steps and references are in materials.hpp.
// Tests: through analyze(), tests/detect/test_analyze.cpp, test_accuracy.cpp, test_htc2022_detect.cpp.
#include "detect/materials.hpp"

#include <algorithm>
#include <cmath>

#include "detect/itk_ops.hpp"

namespace voidscan::detect {
namespace {

constexpr int kBins = 1024;

std::vector<double> smooth(const std::vector<double>& h, double sigma_bins) {
  const int r = int(std::ceil(3 * sigma_bins));
  std::vector<double> k(2 * r + 1);
  double ks = 0;
  for (int i = -r; i <= r; ++i) ks += k[i + r] = std::exp(-0.5 * i * i / (sigma_bins * sigma_bins));
  std::vector<double> out(h.size(), 0.0);
  for (int b = 0; b < int(h.size()); ++b) {
    double s = 0;
    for (int i = -r; i <= r; ++i) {
      const int j = b + i;
      if (j >= 0 && j < int(h.size())) s += k[i + r] * h[j];
    }
    out[b] = s / ks;
  }
  return out;
}

}  // namespace

Materials classify_materials(const float* v, std::size_t n, double min_fraction) {
  Materials m;
  if (n == 0) return m;
  // Sample at most ~4M values (and neighbour pairs) with a stride.
  const std::size_t stride = std::max<std::size_t>(1, n / 4'000'000);
  std::vector<float> s;
  std::vector<float> diffs;
  s.reserve(n / stride + 1);
  diffs.reserve(n / stride + 1);
  for (std::size_t i = 0; i < n; i += stride) {
    if (!std::isfinite(v[i])) continue;
    s.push_back(v[i]);
    if (i + 1 < n && std::isfinite(v[i + 1])) diffs.push_back(std::abs(v[i + 1] - v[i]));
  }
  if (s.empty()) return m;
  // 1. Noise.
  if (!diffs.empty()) {
    auto mid = diffs.begin() + diffs.size() / 2;
    std::nth_element(diffs.begin(), mid, diffs.end());
    m.noise_sigma = *mid / (0.6745 * std::sqrt(2.0));
  }
  // 2. Compressed histogram.
  const std::size_t ns = s.size();
  auto quantile = [&](double q) {
    std::vector<float> c = s;  // copies: fine for <= 4M floats, done twice
    auto it = c.begin() + std::min<std::size_t>(ns - 1, std::size_t(q * double(ns - 1)));
    std::nth_element(c.begin(), it, c.end());
    return double(*it);
  };
  const double vlo = quantile(1e-5), vhi = quantile(1.0 - 1e-5);
  const double vmaxabs = std::max(std::abs(vlo), std::abs(vhi));
  const double scale = std::max({3.0 * m.noise_sigma, 1e-3 * vmaxabs, 1e-12});
  auto to_u = [&](double x) { return std::asinh(x / scale); };
  auto to_v = [&](double u) { return scale * std::sinh(u); };
  const double ulo = to_u(vlo), uhi = to_u(vhi);
  if (!(uhi > ulo)) {
    m.peaks.push_back({vlo, 0.0, 1.0});
    m.si = 0;
    m.t_air = 0.5 * vlo;
    return m;
  }
  const double w = (uhi - ulo) / kBins;
  std::vector<double> hist(kBins, 0.0);
  for (float x : s) {
    const int b = int((to_u(x) - ulo) / w);
    if (b >= 0 && b < kBins) hist[b] += 1;
    else if (b == kBins) hist[kBins - 1] += 1;
  }
  const std::vector<double> hs = smooth(hist, 2.0);
  // 3. Peaks with prominence and basin mass.
  struct Peak {
    int bin;
    int left, right;  // basin bounds (valley bins)
  };
  std::vector<Peak> peaks;
  for (int b = 0; b < kBins; ++b) {
    const double h = hs[b];
    if (h <= 0) continue;
    if ((b > 0 && hs[b - 1] >= h) || (b + 1 < kBins && hs[b + 1] > h)) continue;
    // Walk to each side until a higher bin; track the minimum.
    double lmin = h, rmin = h;
    int lb = b, rb = b;
    bool lhigher = false, rhigher = false;
    for (int j = b - 1; j >= 0; --j) {
      if (hs[j] > h) { lhigher = true; break; }
      if (hs[j] < lmin) lmin = hs[j], lb = j;
    }
    for (int j = b + 1; j < kBins; ++j) {
      if (hs[j] > h) { rhigher = true; break; }
      if (hs[j] < rmin) rmin = hs[j], rb = j;
    }
    double key;
    if (lhigher && rhigher) key = std::max(lmin, rmin);
    else if (lhigher) key = lmin;
    else if (rhigher) key = rmin;
    else key = 0;
    if (h - key < 0.3 * h) continue;
    peaks.push_back({b, lb, rb});
  }
  // Basins: between consecutive peaks, the lowest bin; mass per basin.
  std::sort(peaks.begin(), peaks.end(), [](const Peak& a, const Peak& b) { return a.bin < b.bin; });
  auto basin_mass = [&](int lo, int hi) {
    double t = 0;
    for (int b = std::max(0, lo); b <= std::min(kBins - 1, hi); ++b) t += hist[b];
    return t / double(ns);
  };
  // Merge away peaks with too little mass (into the neighbour with the shallower valley).
  for (bool changed = true; changed && peaks.size() > 1;) {
    changed = false;
    std::vector<int> valley(peaks.size() + 1, 0);
    valley[0] = 0;
    valley[peaks.size()] = kBins - 1;
    for (std::size_t i = 1; i < peaks.size(); ++i) {
      int vb = peaks[i - 1].bin;
      for (int b = peaks[i - 1].bin; b <= peaks[i].bin; ++b)
        if (hs[b] < hs[vb]) vb = b;
      valley[i] = vb;
    }
    std::size_t worst = 0;
    double worst_mass = 2;
    for (std::size_t i = 0; i < peaks.size(); ++i) {
      const double mass = basin_mass(valley[i], valley[i + 1]);
      if (mass < worst_mass) worst_mass = mass, worst = i;
    }
    if (worst_mass < min_fraction) {
      peaks.erase(peaks.begin() + long(worst));
      changed = true;
    }
  }
  // Peaks closer than 4 noise sigmas cannot be two materials the volume tells apart: a
  // histogram of few voxels (a small volume of one low-attenuation material and air) shows
  // noise maxima around each level. Keep the one with more mass.
  if (m.noise_sigma > 0)
    for (bool changed = true; changed && peaks.size() > 1;) {
      changed = false;
      for (std::size_t i = 0; i + 1 < peaks.size(); ++i) {
        const double gap = to_v(ulo + (peaks[i + 1].bin + 0.5) * w) - to_v(ulo + (peaks[i].bin + 0.5) * w);
        if (gap >= 4 * m.noise_sigma) continue;
        const double mi = basin_mass(peaks[i].left, peaks[i].right), mj = basin_mass(peaks[i + 1].left, peaks[i + 1].right);
        peaks.erase(peaks.begin() + long(mi < mj ? i : i + 1));
        changed = true;
        break;
      }
    }
  // No material attenuates less than air: where a peak lies at 0 (within 4 noise sigmas), a
  // peak below -4 sigmas is an artefact's (metal over-corrected or its streaks' minima; the
  // asinh compression piles a few hundred such voxels into a peak of their own), and as the
  // lowest peak it would take the air role (an HBM stack after the metal correction: a peak at
  // -0.61 /mm from 163 voxels became air, and every void's partial volume was measured
  // against it).
  if (m.noise_sigma > 0) {
    auto level_of = [&](const Peak& p) { return to_v(ulo + (p.bin + 0.5) * w); };
    const bool zero_peak = std::any_of(peaks.begin(), peaks.end(),
                                       [&](const Peak& p) { return std::abs(level_of(p)) <= 4 * m.noise_sigma; });
    if (zero_peak)
      std::erase_if(peaks, [&](const Peak& p) { return level_of(p) < -4 * m.noise_sigma; });
  }
  if (peaks.empty()) {  // flat histogram: treat the median as the material
    peaks.push_back({kBins / 2, 0, kBins - 1});
  }
  for (const Peak& p : peaks) {
    const double h = hs[p.bin];
    int l = p.bin, r = p.bin;
    while (l > 0 && hs[l] > 0.5 * h) --l;
    while (r + 1 < kBins && hs[r] > 0.5 * h) ++r;
    const double uc = ulo + (p.bin + 0.5) * w;
    const double sig_u = std::max(0.5, 0.5 * (r - l)) * w / 1.1774;
    MaterialClass c;
    c.level = to_v(uc);
    c.sigma = sig_u * scale * std::cosh(uc);
    m.peaks.push_back(c);
  }
  // 4. Thresholds between neighbouring peaks: Otsu with valley emphasis on that stretch.
  for (std::size_t i = 0; i + 1 < peaks.size(); ++i) {
    const int a = peaks[i].bin, b = peaks[i + 1].bin;
    std::vector<double> part(hist.begin() + a, hist.begin() + b + 1);
    double t_u;
    if (part.size() >= 3) {
      const auto t = itk_ops::otsu_thresholds(part, ulo + a * w, w, 1, true);
      t_u = t.at(0);
    } else {
      t_u = ulo + (b + 0.0) * w;
    }
    m.thresholds.push_back(to_v(t_u));
  }
  {
    std::vector<double> cuts;
    for (double t : m.thresholds) cuts.push_back(t);
    std::vector<double> count(m.peaks.size(), 0.0);
    for (float x : s) {
      const std::size_t c = std::size_t(std::upper_bound(cuts.begin(), cuts.end(), double(x)) - cuts.begin());
      count[c] += 1;
    }
    for (std::size_t i = 0; i < m.peaks.size(); ++i) m.peaks[i].fraction = count[i] / double(ns);
  }
  // 5. Roles. Low-Z peaks much broader than the noise (sigma above 2.5 x the noise and above
  // 0.35 of their level) are partial-volume mixtures (edges of layers), not materials: they
  // take no role. (0.25 until a metal-corrected HBM stack's NCF, 0.144 /mm with sigma 0.043
  // from its bumps' rims, lost its fill role and the stack read as one hybrid-bond die.)
  const int np = int(m.peaks.size());
  std::vector<bool> narrow(std::size_t(np), true);
  for (int i = 0; i < np; ++i) {
    const double bin_v = w * scale * std::cosh(to_u(m.peaks[std::size_t(i)].level));
    narrow[std::size_t(i)] = m.peaks[std::size_t(i)].sigma <= 2.5 * std::max(m.noise_sigma, bin_v) ||
                             m.peaks[std::size_t(i)].sigma <= 0.35 * std::abs(m.peaks[std::size_t(i)].level);
  }
  // Air: the lowest peak when it lies below half the next, and any further peak below a
  // quarter of the main material (the largest peak above the lowest; e.g. air inside a
  // reconstruction's field of view sits a little above the zeros outside it).
  int first_material = 0;
  if (np >= 2 && m.peaks[0].level < 0.5 * m.peaks[1].level) {
    m.air = 0;
    first_material = 1;
    int main_peak = 1;
    for (int i = 1; i < np; ++i)
      if (m.peaks[std::size_t(i)].fraction > m.peaks[std::size_t(main_peak)].fraction) main_peak = i;
    while (first_material < main_peak &&
           m.peaks[std::size_t(first_material)].level < 0.25 * m.peaks[std::size_t(main_peak)].level)
      ++first_material;
  }
  const int air_top = first_material - 1;  // highest air peak (t_air lies above it)
  if (first_material >= np) return m;
  // Si (the bulk low-Z material): the highest narrow peak holding at least a quarter of the
  // largest material peak's voxels; fill: the lowest narrow peak below it holding at least a
  // tenth; metals: peaks above 4x the Si level (Cu: the highest below 0.6x the top metal).
  double fmax = 0;
  for (int i = first_material; i < np; ++i) fmax = std::max(fmax, m.peaks[std::size_t(i)].fraction);
  for (int i = first_material; i < np; ++i)
    if (narrow[std::size_t(i)] && m.peaks[std::size_t(i)].fraction >= 0.25 * fmax &&
        (m.si < 0 || m.peaks[std::size_t(i)].level <= 4.0 * m.peaks[std::size_t(m.si)].level))
      m.si = i;
  if (m.si < 0) m.si = first_material;
  for (int i = first_material; i < m.si; ++i)
    if (narrow[std::size_t(i)] && m.peaks[std::size_t(i)].fraction >= 0.1 * fmax) {
      m.fill = i;
      break;
    }
  int metal_from = np;
  for (int i = m.si + 1; i < np; ++i)
    if (m.peaks[std::size_t(i)].level > 4.0 * m.peaks[std::size_t(m.si)].level) {
      metal_from = i;
      break;
    }
  if (metal_from < np) {
    m.solder = np - 1;
    m.cu = m.solder;
    for (int i = metal_from; i < np - 1; ++i)
      if (m.peaks[std::size_t(i)].level < 0.6 * m.peaks[std::size_t(np - 1)].level) m.cu = i;
  }
  // Air | material: Otsu between the air peak and the first material taking a role.
  // The first material: the lowest narrow peak above air holding >= 1 % of the main peak's voxels.
  int first_role = m.fill >= 0 ? m.fill : m.si;
  for (int i = first_material; i < first_role; ++i)
    if (narrow[std::size_t(i)] && m.peaks[std::size_t(i)].fraction >= 0.01 * fmax) {
      first_role = i;
      break;
    }
  if (m.air >= 0) {
    const int a = peaks[std::size_t(air_top)].bin, b = peaks[std::size_t(first_role)].bin;
    std::vector<double> part(hist.begin() + a, hist.begin() + b + 1);
    m.t_air = part.size() >= 3 ? to_v(itk_ops::otsu_thresholds(part, ulo + a * w, w, 1, true).at(0)) : m.thresholds[0];
    // Keep it 3 sigma clear of both peaks when they are that far apart (a huge air peak can
    // pull Otsu's threshold into its own tail).
    const MaterialClass &pa = m.peaks[std::size_t(air_top)], &pb = m.peaks[std::size_t(first_role)];
    const double lo = pa.level + 3 * std::max(pa.sigma, m.noise_sigma), hi = pb.level - 3 * std::max(pb.sigma, m.noise_sigma);
    m.t_air = lo < hi ? std::clamp(m.t_air, lo, hi) : 0.5 * (pa.level + pb.level);
  } else {
    m.t_air = 0.5 * m.peaks[std::size_t(first_role)].level;
  }
  if (m.fill >= 0) m.t_fill_si = m.thresholds[std::size_t(m.si - 1)];
  if (metal_from < np) m.t_metal = m.thresholds[std::size_t(metal_from - 1)];
  if (m.cu >= 0 && m.solder > m.cu) m.t_cu_solder = m.thresholds[std::size_t(m.solder - 1)];
  return m;
}

}  // namespace voidscan::detect
