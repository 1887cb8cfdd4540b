// The data model of defect detection (issue 4): what the analysis finds (dies, defects) and
// what the recipe asks (kind, layout, detection parameters, criteria). Plain structs, no ITK:
// the segmentation (detect/segment*.cpp, ITK inside) fills an Analysis; the recipe reader
// (detect/recipe.*), the verdicts, report.json / defects.csv writers (detect/report.*) and the
// per-die maps (detect/maps.*) consume it. Units: mm in the structs and files; the terminal
// summary and the maps print micrometres.
#pragma once
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "recon/geometry.hpp"

namespace voidscan::detect {

/// Sample kinds (issue 4). `automatic` = detect from the structure.
enum class SampleKind { automatic, hybrid_bond, flip_chip, stack, generic };
[[nodiscard]] const char* to_string(SampleKind k);     ///< "auto", "hybrid-bond", "flip-chip", "stack", "generic"
[[nodiscard]] SampleKind parse_sample_kind(const std::string& s);  ///< throws std::invalid_argument

enum class DefectType { underfill_void, bump_void, bond_gap, void_ };
[[nodiscard]] const char* to_string(DefectType t);     ///< "underfill_void", "bump_void", "bond_gap", "void"

/// Axis-aligned box in world mm.
struct BoxMm {
  Vec3 min;
  Vec3 max;
};

struct Defect {
  int id = 0;                          ///< 1-based, also the value in labels.mha
  DefectType type = DefectType::void_;
  std::string die;                     ///< id of the die it belongs to ("c0r1l0", "P0" for generic)
  Vec3 centroid_mm;                    ///< world frame
  BoxMm bbox_mm;
  double volume_mm3 = 0;               ///< partial-volume estimate (not a voxel count)
  double equivalent_diameter_mm = 0;   ///< (6 V / pi)^(1/3)
  double area_mm2 = 0;                 ///< projected area on the die plane (x-y)
  double sphericity = 0;               ///< pi^(1/3) (6V)^(2/3) / A, in (0, 1]
  std::optional<double> thickness_mm;  ///< bond gaps: estimated from the attenuation deficit
  std::optional<std::string> bump;     ///< bump voids: the bump's id ("c0r0l0/b12")
  std::optional<double> bump_void_fraction;  ///< bump voids: void / (solder + void) of that bump
  double cnr = 0;                      ///< contrast-to-noise ratio of the detection
};

struct Die {
  std::string id;                      ///< "c{col}r{row}l{layer}", or "P0" for a generic part
  std::array<int, 3> index{0, 0, 0};   ///< [col, row, layer]; col grows with x, row with y, layer with z
  BoxMm bbox_mm;
  double interface_area_mm2 = 0;       ///< bond or underfill area the void fraction refers to
  /// Below: filled by the verdict step (detect/report.*) from the defects and the criteria.
  double void_area_fraction = 0;       ///< sum of defect projected areas / interface_area_mm2
  int largest_defect = 0;              ///< defect id, 0 when none
  std::array<int, 4> count_per_type{}; ///< indexed by DefectType
  bool pass = true;
  std::vector<std::string> failed_criteria;  ///< human-readable, e.g. "void area fraction 7.1 % > 5 %"
  std::vector<std::array<double, 3>> features_mm;  ///< pads/bumps: (x, y, radius) for the map, faint
};

/// Pass/fail criteria. Defaults here and only here (docs/detection.md repeats them).
struct Criteria {
  double max_void_area_fraction = 0.05;     ///< per die, sum of defect areas / interface area; [0, 1]
  double max_void_diameter_mm = 0.010;      ///< largest single void's equivalent diameter, mm; > 0
  double max_bump_void_fraction = 0.25;     ///< per bump, void / (solder + void); [0, 1]
  double max_gap_thickness_mm = 0.0;        ///< a bond gap thicker than this AND ...
  double max_gap_area_mm2 = 0.0;            ///< ... larger than this fails the die (0, 0: any gap fails)
};

/// Detection parameters. Defaults here and only here.
struct DetectParams {
  double min_void_diameter_voxels = 3.0;    ///< keep voids of equivalent diameter >= this, voxels; > 0
  std::optional<double> void_threshold;     ///< 1/mm; default: from the histogram (multi-Otsu)
  double min_gap_width_voxels = 8.0;        ///< bond gaps narrower than this are ignored; > 0
  double min_gap_thickness_voxels = 0.3;    ///< estimated thickness below this is noise; > 0
  /// A dip inside a bump at least this deep below its enclosing metal, as a fraction of the
  /// solder-fill contrast, is a bump-void candidate (besides voxels below t_metal); (0, 1]
  double bump_void_depth_fraction = 0.1;
};

/// Optional die layout override: a regular grid of dies.
struct Layout {
  std::array<double, 2> pitch_mm{0, 0};     ///< x, y pitch
  std::array<double, 2> origin_mm{0, 0};    ///< centre of die [0, 0]
  std::array<int, 2> count{1, 1};           ///< cols, rows
  std::array<double, 2> die_size_mm{0, 0};  ///< x, y extent of one die
};

struct Recipe {
  SampleKind kind = SampleKind::automatic;
  std::optional<int> expected_layers;       ///< stack: number of tiers expected
  std::optional<Layout> layout;
  DetectParams detect;
  Criteria criteria;
  std::string source;                       ///< file it came from, "" for the defaults
};

/// What detection found in one volume.
struct Analysis {
  SampleKind kind = SampleKind::generic;    ///< the kind analysed (detected or from the recipe)
  bool fell_back_to_generic = false;        ///< no die structure found: analysed as generic
  std::vector<std::string> notes;           ///< said in the report and on the terminal
  VolumeGrid grid;                          ///< of the input volume
  std::vector<Die> dies;
  std::vector<Defect> defects;
  std::vector<int> labels;                  ///< grid.voxel_count(), 0 = none, else defect id
  /// Material classes from the histogram, 1/mm: thresholds between air | fill | si | metal.
  std::vector<double> class_thresholds;
};

}  // namespace voidscan::detect
