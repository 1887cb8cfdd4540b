// Metal streak subtraction (model-based). FDK reconstructs sharp, strongly attenuating metal
// (SnAg solder at 27.7 /mm, 200 x the underfill around it) with tails that streak the fill
// between the bumps (±0.08 /mm against 0.015 of noise; docs/accuracy.md). The streaks are the
// metal's own reconstruction error and are linear: they are the same from noise-free, linear
// projections, with 1440 views or a detector twice as fine. So, given a model of the metal
// whose reconstruction matches the volume's metal (vertical columns of discs fitted to a first
// reconstruction: detect/metal_model.hpp), they can be computed and taken away.
//
// Steps (subtract_metal_streaks()):
//  1. the model: per column (bump, pillar, TSV) one disc per plane, radius and centre fixed,
//     excess attenuation mu_k per plane, and the voids inside it (mu = 0 spheres);
//  2. project it with the scan's own views, view by view as the FDK asks: per pixel the mean
//     transmission over s x s rays (exact line integrals, recon/phantom.hpp), then its log, so
//     the model's edges make the same partial-volume nonlinearity as the scan's metal (it
//     streaks the planes where solder meets Cu or the substrate); reconstruct with the scan's
//     FDK parameters onto the volume's grid;
//  3. z deblurring with the FDK's own response, which varies with height and distance from
//     the axis (cone beam: centre tap 0.99 near the central plane, 0.77 at 40 um above it and
//     32 um off the axis): one reconstruction of one-plane discs (mu 1, every column, the same
//     planes 12 apart) gives each column's kernel (7 taps) at those planes, interpolated
//     between them; per column, content (disc area x mu, the areas may differ between planes)
//     >= 0 whose blur by its planes' kernels is
//     closest to the volume's content (projected Landweber, 100 steps:
//     early stopping regularises the kernel's null at the plane frequency), so that the
//     model's reconstruction has the volume's metal, plane by plane, with sharp z edges (the
//     voids' content added back first, so the discs are whole where a void is cut out); then
//     runs of near-equal planes take their mean, a plane below a tenth of the lowest level is
//     empty, a plane within 25 % of a material's level takes that level, and an end face at 50-100 % of its neighbour's level is taken whole
//     (faces on plane boundaries: the deblurring leaves them low by the projection's
//     nonlinear loss, and a low face plane leaves a dark plane of its own between the bumps);
//     where the disc's radius changes (bump onto TSV), a plane far below both neighbours at a
//     level takes its own part's level (the deblurring's undershoot at the step);
//     a void's radius is then set from the column's content balance (whole discs x their
//     kernels' sums - the volume's content, less the median of that over the void-free
//     columns, / the level; the discs count whole between planes at the void's level, where a
//     void filling most of its bump left them low):
//     the blur keeps the sum, so the balance holds the void's whole volume where the dip
//     measured in the volume misses the blur's tails, and then the column is fitted again;
//  4. the columns' centres: one Gauss-Newton step of each against the volume over its wall
//     band (planes whose content the model misses by 2 % or more left out: an unmodelled
//     void), from the model's reconstruction (a void pulls the fitted centre by a few
//     hundredths of a voxel, which the wall's edge turns into a dark crescent beside the bump);
//     the model is reconstructed again when a centre moved by 0.01 voxel or more;
//  5. volume -= (model reconstructed) - (model voxelised, s^3 points per voxel): the model's
//     reconstruction error, i.e. its streaks and edge ringing; the metal itself is unchanged.
// On the CPU or the GPU as params.backend says (the FDK of step 2); the projector is the CPU's.
// Tests: tests/detect/test_metal_model.cpp (planted bump array: fill spread before and after;
// a void in a bump, one filling most of its bump; bumps on TSVs), tests/detect/test_accuracy.cpp
// (the flip-chip preset, 2 x 1 and 2 x 2 dies; the HBM preset, 2 tiers, held out and seed 3),
// tests/cli/test_detect_cli.cpp (run on both kinds).
#pragma once
#include <vector>

#include "recon/fdk.hpp"
#include "recon/phantom.hpp"
#include "recon/volume_io.hpp"

namespace voidscan {

/// A void inside a metal column (a bump void), modelled as a sphere of mu = 0: a hole in metal
/// 200 x denser than the fill streaks the fill next to the bump as the metal does.
struct MetalVoid {
  Vec3 center_mm;           ///< world mm
  double radius_mm = 0;     ///< > 0
  double level = 0;         ///< the excess attenuation it displaces, 1/mm (the column's plateau)
};

/// One vertical metal column (a bump, a pillar, a TSV) as the model sees it.
struct MetalColumn {
  double center_x_mm = 0, center_y_mm = 0;  ///< axis, world mm
  double radius_mm = 0;                     ///< > 0
  int k0 = 0;                               ///< first plane of the column (grid index)
  std::vector<double> mu;       ///< per plane from k0: the model's excess over the fill, 1/mm (>= 0)
  std::vector<double> content;  ///< per plane from k0: the volume's excess content (plane_content), target of step 3
  /// The excess levels of the materials the column may hold (solder, Cu: their levels - fill),
  /// 1/mm: after step 3 a plane within 25 % of one takes it (empty: no snapping).
  std::vector<double> levels;
  std::vector<MetalVoid> voids;  ///< inside the column, cut out of its discs
  int i0 = 0, i1 = -1, j0 = 0, j1 = -1;  ///< the columns plane_content sums over (grid indices, inclusive)
  /// Per plane from k0: the disc's radius, mm, where the column's parts differ (an HBM stack's
  /// bump, r 3.5 um, over a TSV, r 1.5 um); empty: radius_mm in every plane.
  std::vector<double> radii_mm;
};

/// The disc radius of column `c` in its plane p (from k0), mm.
[[nodiscard]] inline double plane_radius_mm(const MetalColumn& c, std::size_t p) {
  return p < c.radii_mm.size() ? c.radii_mm[p] : c.radius_mm;
}

/// Excess content of plane k over columns [i0, i1] x [j0, j1]: the sum of (v - fill), 1/mm x
/// voxels. Linear in v: the reconstruction's blur moves attenuation, it does not change its sum.
[[nodiscard]] double plane_content(const std::vector<float>& v, const VolumeGrid& grid, int k, int i0, int i1, int j0,
                                   int j1, double fill);

/// The columns as a phantom: one cylinder per plane and column, z over the plane, then the
/// columns' voids (mu = 0 spheres, later objects replace earlier ones).
[[nodiscard]] Phantom column_phantom(const std::vector<MetalColumn>& columns, const VolumeGrid& grid);

/// What subtract_metal_streaks() did.
struct MetalStreakReport {
  int columns = 0;          ///< metal columns in the model
  int voids = 0;            ///< voids cut out of them (MetalColumn::voids)
  double void_volume_mm3 = 0; ///< their modelled volume after step 3's content balance, mm^3
  double seconds = 0;       ///< wall time
  double max_change = 0;    ///< largest |correction| applied outside the model, 1/mm
  double content_error = 0; ///< of the final model (after step 4): max over planes of |model - volume content| / max content of the column
  bool applied = false;     ///< step 5 done (content_error within the bound)
};

/// The model's content error above which step 5 is not done: the model does not hold the
/// volume's metal, and subtracting its error adds streaks of its own. Measured 2026-11-28 on
/// the flip-chip preset (docs/accuracy.md): 1.2-8.3 % where the correction helps (1-4 dies),
/// 12.6-20.3 % where it does not (16 dies: 1466 -> 831 found for 48 true; 64 dies: 589 -> 4452).
inline constexpr double kMaxMetalContentError = 0.10;

/// Steps 1-5 on `vol` (reconstructed from `geometry` with `params`). No columns: nothing done.
/// Step 5 only when the model's content error is at most `max_content_error` (report.applied).
MetalStreakReport subtract_metal_streaks(const Geometry& geometry, const FdkParams& params,
                                         std::vector<MetalColumn> columns, Volume& vol, int supersample = 2,
                                         double max_content_error = kMaxMetalContentError);

}  // namespace voidscan
