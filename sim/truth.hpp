// Ground truth of a simulated package (issue 3): every planted defect with its type, die,
// centroid, bounding box, volume, equivalent diameter, projected area on the die plane (x-y)
// and, for bond gaps, thickness; plus the dies. Written as truth.json
// ("schema": "voidscan.truth/1", docs/simulator.md); the detection accuracy (issue 4) is
// measured against it. Measures are those of the planted shape (closed form): the presets place
// every defect fully inside its host, so that is the material it removes. A defect overlapped
// by a later object is reported with a warning. Test: tests/sim/test_truth.cpp.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "recon/volume_io.hpp"
#include "sim/package.hpp"

namespace voidscan::sim {

struct TruthDefect {
  std::string id;                    ///< "T1", "T2", ... in object order
  size_t object = 0;                 ///< index in PackagePhantom::objects
  DefectType type = DefectType::underfill_void;
  std::string die;
  std::optional<std::string> bump;
  Vec3 centroid_mm;
  Aabb bbox_mm;
  double volume_mm3 = 0;
  double equivalent_diameter_mm = 0; ///< (6 V / pi)^(1/3)
  double area_mm2 = 0;               ///< projected on x-y
  std::optional<double> thickness_mm;///< bond gaps: z extent
};

/// The planted defects, in object order. `warnings` (optional) gets one line per defect that a
/// later object overlaps.
[[nodiscard]] std::vector<TruthDefect> truth_defects(const PackagePhantom& p,
                                                     std::vector<std::string>* warnings = nullptr);

/// truth.json text for a phantom simulated onto `grid`.
[[nodiscard]] std::string truth_json(const PackagePhantom& p, const VolumeGrid& grid);
/// Reads back the defects of a truth.json (for tests and the accuracy tools).
[[nodiscard]] std::vector<TruthDefect> load_truth_defects(const std::filesystem::path& file);

/// Defect label volume on `grid`: voxel = 1-based index of the truth defect that owns the most of
/// its 3^3 sub-sample points (0 = none), so sub-voxel gaps still mark their voxels.
[[nodiscard]] Volume truth_labels(const PackagePhantom& p, const VolumeGrid& grid);

}  // namespace voidscan::sim
