// A package phantom: named materials, dies, and an ordered list of solids each made of a
// material, some of them planted defects. The file form is phantom.json
// ("schema": "voidscan.phantom/1", docs/simulator.md); the simulator projects it
// (sim/simulate.hpp) through recon/phantom.hpp's exact line integrals.
//
// Semantics: as recon/phantom.hpp (world mm, later objects replace earlier ones where they
// overlap, a void is an `air` object inside its host). Die index [col, row, layer]: col grows
// with x, row with y, layer with z, zero-based; layer 0 is bonded onto the base; a defect in a
// bond interface belongs to the die above it. Die ids are "c{col}r{row}l{layer}".
// Test: tests/sim/test_package.cpp.
#pragma once
#include <array>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "recon/phantom.hpp"

namespace voidscan::sim {

/// Linear attenuation coefficients, 1/mm, mono-energetic at 30 keV: NIST XCOM mass attenuation
/// coefficients (J. H. Hubbell, S. M. Seltzer, NISTIR 5632) times typical densities. Underfill:
/// epoxy with ~60 wt% silica filler (1.7 g/cm3); mold: ~85 wt% silica (1.95 g/cm3); substrate:
/// glass-epoxy laminate (1.9 g/cm3, copper planes left out); solder: SnAg (7.3 g/cm3, above the
/// Sn K edge at 29.2 keV).
[[nodiscard]] const std::map<std::string, double>& default_materials();

enum class DefectType { underfill_void, bump_void, bond_gap };
[[nodiscard]] const char* to_string(DefectType t);
/// Throws std::invalid_argument for anything but the three names.
[[nodiscard]] DefectType parse_defect_type(const std::string& s);

struct DefectTag {
  DefectType type = DefectType::underfill_void;
  std::string die;                   ///< id of the die it belongs to
  std::optional<std::string> bump;   ///< bump voids: the bump's name ("c0r0l0/b12")
};

struct PackageObject {
  Shape shape;
  std::string material;              ///< key of PackagePhantom::materials
  std::optional<DefectTag> defect;   ///< set for planted defects
  std::string name;                  ///< optional ("c0r0l0/b12" for bumps)
};

struct Die {
  std::string id;                    ///< "c{col}r{row}l{layer}"
  std::array<int, 3> index{0, 0, 0}; ///< [col, row, layer]
  Aabb bbox_mm;                      ///< the die's silicon
  std::array<double, 2> interface_z_mm{0, 0};  ///< the bond / underfill band below the die
};

struct PackagePhantom {
  std::string name;                  ///< e.g. the preset's name
  std::string kind;                  ///< "flip-chip", "hybrid-bond", "hbm-stack" or "" (unknown)
  std::map<std::string, double> materials;  ///< name -> mu, 1/mm
  std::vector<Die> dies;
  std::vector<PackageObject> objects;
  std::optional<uint64_t> seed;      ///< the preset seed it was made with, if any
};

/// The recon Phantom (mu per object) for projection and voxelisation. Object i of the result is
/// object i of the package, its label i when a defect, -1 otherwise.
[[nodiscard]] Phantom to_phantom(const PackagePhantom& p);

/// Tight bounding box of every object, mm.
[[nodiscard]] Aabb bounding_box(const PackagePhantom& p);

/// Reads phantom.json. Unknown materials, shapes or keys, missing fields, negative sizes and
/// non-finite numbers throw InputError naming the file and the object ("objects[12].radius_mm").
/// Materials not listed in the file come from default_materials().
[[nodiscard]] PackagePhantom load_phantom(const std::filesystem::path& file);
/// Parses the JSON text of a phantom (`file` only names it in errors).
[[nodiscard]] PackagePhantom parse_phantom(const std::string& text, const std::string& file);
/// Writes phantom.json (every material used is written, so a replay needs no table).
void save_phantom(const PackagePhantom& p, const std::filesystem::path& file);
[[nodiscard]] std::string phantom_json(const PackagePhantom& p);

}  // namespace voidscan::sim
