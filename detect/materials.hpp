// Material classes from the histogram of a volume (issue 4, first step of detect::analyze).
//
// Steps
//   1. Noise: sigma from the median absolute difference of x-neighbours (flat regions dominate
//      the pairs, so the median ignores edges): sigma = median|v(i+1) - v(i)| / (0.6745 sqrt 2).
//   2. Histogram of u = asinh(v / s), s = max(3 sigma, 1e-3 max|v|): the compression puts air
//      (0), low-Z fill (~0.14/mm), Si (0.34/mm), Cu (~10/mm) and solder (~28/mm) at comparable
//      widths in u (the noise width of a class is ~sigma / v there).
//   3. Peaks of the smoothed histogram with a basin of at least min_fraction of the voxels and
//      a prominence of at least a third of their height are the classes; of two peaks less
//      than 4 sigma apart, the one with fewer voxels goes (noise maxima of a small volume);
//      with a peak at 0 (within 4 sigma), peaks below -4 sigma go (no material attenuates less
//      than air: an artefact's, e.g. metal over-corrected at a few column centres).
//   4. Between two neighbouring peaks, the threshold is Otsu's (Otsu 1979) with valley emphasis
//      (Ng 2006) on that stretch of the histogram (ITK's OtsuMultipleThresholdsCalculator).
//   5. Roles: the lowest peak is air when it lies near 0 (below half the next peak); metals are
//      the peaks above 4x the highest low-Z peak below the largest ratio jump; among the low-Z
//      peaks the lower is fill (underfill, mold, substrate, NCF) and the upper Si; among metals
//      the lower is Cu and the upper solder. A single low-Z peak is Si (and the generic object).
// Tests: tests/detect/test_materials.cpp; through analyze(), tests/detect/test_analyze.cpp, test_accuracy.cpp, test_htc2022_detect.cpp.
#pragma once
#include <optional>
#include <vector>

namespace voidscan::detect {

struct MaterialClass {
  double level = 0;  ///< 1/mm, the peak position
  double sigma = 0;  ///< 1/mm, half width at half maximum / 1.1774 of the peak
  double fraction = 0;  ///< of the voxels, in the peak's basin
};

struct Materials {
  double noise_sigma = 0;                ///< 1/mm, voxel noise from neighbour differences
  std::vector<MaterialClass> peaks;      ///< ascending level
  std::vector<double> thresholds;        ///< between consecutive peaks, ascending (size peaks-1)
  // Roles (indices into peaks), -1 when absent.
  int air = -1, fill = -1, si = -1, cu = -1, solder = -1;
  /// Thresholds between roles, 1/mm: air | first material, fill | si, low-Z | metal, cu | solder.
  double t_air = 0;
  std::optional<double> t_fill_si, t_metal, t_cu_solder;
  [[nodiscard]] double mu_air() const { return air >= 0 ? peaks[air].level : 0.0; }
  [[nodiscard]] double level(int role) const { return peaks[role].level; }
};

/// Classifies the voxels of `v` (n values). Never throws on a valid array; with a single peak
/// the volume has one material (t_air from Otsu between 0 and it).
[[nodiscard]] Materials classify_materials(const float* v, std::size_t n, double min_fraction = 2e-4);

}  // namespace voidscan::detect
