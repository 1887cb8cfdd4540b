// The metal columns of a reconstructed package (bumps, pillars, TSVs: vertical), fitted for
// the metal streak subtraction of recon/metal_streaks.hpp.
//
// Steps (fit_metal_model()):
//  1. materials (detect/materials.hpp): the metal threshold; no metal class, no columns;
//  2. metal components: v >= t_metal, 26-connected (ITK through detect/itk_ops), >= 8 voxels;
//     the fill level = median of the voxels in their boxes grown by 2 columns, interior planes,
//     not next to metal;
//  3. per component, over its box grown by 2 columns and its planes +- 2: the excess content
//     of each plane (recon plane_content: sum of v - background, unchanged by the blur); the
//     background is the fill, or in a run of >= 3 planes within the metal where the box's
//     non-metal median lies half way or more towards Si (a stack's TSV through a die), that;
//  4. radius r = sqrt(content / (pi P)) in the plane of most content, P its plateau (upper
//     quartile of v - fill over the component's voxels there); centre = median of the
//     excess-weighted centroids of the planes holding at least half that content; with solder
//     and Cu, each plane classed by its peak and one radius per metal from its upper-quartile
//     plane at that metal's level, kept per plane (MetalColumn::radii_mm) when 40 % off r (a
//     stack's bumps and TSVs; a flip chip's pillar shares its bump's radius);
//  5. voids inside the column: the interior's dip (>= 30 % below its plane's interior median),
//     per run of dip planes (parted where it skips > 4 planes: a void in each bump of a column
//     through two tiers) a sphere of its deficit volume at its deficit-weighted centre; where there is one,
//     the centre of step 4 again with the dip filled (a void pulls the centroids away from it),
//     the radius again from the fullest plane with its interior at the 90th percentile of its
//     values (a void filling most of the bump reaches the plane of most content), then the
//     void again (recon/metal_streaks.cpp then sizes it from the column's content
//     balance and refines the centre against the model's own reconstruction);
//  6. per plane mu_k = content_k / (pi r_k^2): the start of recon's z deblurring; the materials'
//     levels (solder, Cu) the deblurred planes snap to.
// Test: tests/detect/test_metal_model.cpp.
#pragma once
#include <vector>

#include "recon/metal_streaks.hpp"
#include "recon/volume_io.hpp"

namespace voidscan::detect {

struct MetalModel {
  std::vector<MetalColumn> columns;  ///< one per metal component
  double fill_level = 0;             ///< 1/mm, the level the columns' mu and content are relative to
};

/// Fits the columns to `vol`. A volume without a metal class gives no columns.
[[nodiscard]] MetalModel fit_metal_model(const Volume& vol);

}  // namespace voidscan::detect
