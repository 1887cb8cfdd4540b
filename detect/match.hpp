// Matching found defects against ground truth (the simulator's truth.json, or a test's own
// planted defects) and the accuracy figures of issue 4. Used by tests/detect/test_accuracy.cpp
// and by docs/accuracy.md (the same code produces its numbers).
//
// Matching rule (docs/accuracy.md):
//   - a truth and a found defect can match only when their types are equal;
//   - voids (underfill_void, bump_void, void): centroid distance <= max(2 voxels, 0.75 x true
//     radius), radius = equivalent diameter / 2;
//   - bond gaps: the found centroid lies inside the true gap's box grown by 2 voxels;
//   - one-to-one, greedily by increasing centroid distance.
// Scopes: recall over true voids of equivalent diameter >= min_void_diameter_voxels and over
// true gaps >= min_gap_thickness_voxels thick and >= min_gap_width_voxels wide in x and y;
// precision over found voids >= min_void_diameter_voxels (a found void matched to any truth,
// in scope or not, is correct). Volume error |V_found - V_true| / V_true over matched in-scope
// voids; gap thickness error (found - true) in voxels and area error relative.
// Test: tests/detect/test_match.cpp.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "detect/model.hpp"

namespace voidscan::detect {

struct TruthDefect {
  std::string id;
  DefectType type = DefectType::void_;
  std::string die;
  Vec3 centroid_mm;
  BoxMm bbox_mm;
  double volume_mm3 = 0;
  double equivalent_diameter_mm = 0;
  double area_mm2 = 0;
  std::optional<double> thickness_mm;
  std::optional<std::string> bump;
};

struct TruthDie {
  std::string id;
  std::array<int, 3> index{0, 0, 0};
  BoxMm bbox_mm;
  std::array<double, 2> interface_z_mm{0, 0};
};

struct Truth {
  std::string kind;
  int seed = 0;
  double voxel_mm = 0;
  std::vector<TruthDie> dies;
  std::vector<TruthDefect> defects;
};

/// Reads a truth.json ("schema": "voidscan.truth/1", written by the simulator: sim/truth.hpp,
/// docs/simulator.md). Throws InputError naming the file and field.
[[nodiscard]] Truth read_truth(const std::filesystem::path& file);

struct MatchParams {
  double voxel_mm = 0;                     ///< voxel edge, mm (> 0)
  double min_void_diameter_voxels = 3.0;   ///< void scope, voxels
  double min_gap_thickness_voxels = 0.5;   ///< gap scope, voxels
  double min_gap_width_voxels = 8.0;       ///< gap scope (both x and y extents), voxels
};

struct MatchPair {
  int truth = -1;  ///< index into the truth list
  int found = -1;  ///< index into the found list
};

struct MatchResult {
  std::vector<MatchPair> pairs;       ///< all matches (any scope)
  std::vector<int> missed;            ///< in-scope truth not matched (voids and gaps)
  std::vector<int> false_positives;   ///< in-scope found voids not matched
  int voids_true = 0, voids_matched = 0, voids_found = 0, voids_found_correct = 0;
  double void_recall = 1, void_precision = 1;
  double median_volume_error = 0;     ///< relative, over matched in-scope voids
  int gaps_true = 0, gaps_matched = 0;
  double gap_recall = 1;
  double median_gap_thickness_error_voxels = 0;  ///< median of |found - true|
  double median_gap_area_error = 0;              ///< relative, median of |found - true| / true
  int wrong_die = 0;                  ///< matched pairs whose die differs
  int gaps_found = 0, gaps_found_unmatched = 0;  ///< found gaps; of them matched to no truth gap
  /// The per-pair errors behind the medians (matched in-scope defects), for pooling samples.
  std::vector<double> volume_errors, gap_thickness_errors_voxels, gap_area_errors;
};

/// Pools the results of several samples: counts summed, rates and medians recomputed from the
/// pooled counts and per-pair errors; pairs, missed and false_positives are left empty (their
/// indices refer to each sample's own lists).
[[nodiscard]] MatchResult pool(const std::vector<MatchResult>& results);

[[nodiscard]] MatchResult match_defects(const std::vector<TruthDefect>& truth, const std::vector<Defect>& found,
                                        const MatchParams& params);

}  // namespace voidscan::detect
