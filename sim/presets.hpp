// Package presets with randomised planted defects (issue 3): `flip-chip`, `hybrid-bond`,
// `hbm-stack`. Each preset has a table of named parameters (unit, default, meaning, range),
// overridable by name (`voidscan simulate --preset flip-chip --param die_cols=3`); defects are
// drawn from the seed, so (preset, parameters, seed) determine the phantom. Sizes are
// physical micrometres; the package is centred on the origin (its bounding box's centre).
// Layouts and materials: docs/simulator.md. Test: tests/sim/test_presets.cpp.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/package.hpp"

namespace voidscan::sim {

struct PresetParam {
  std::string name;     ///< e.g. "bump_pitch_um"
  double value = 0;     ///< the default
  double min = 0, max = 0;  ///< accepted range, inclusive
  std::string meaning;  ///< one line, with the unit
};

/// The preset names, in documentation order.
[[nodiscard]] const std::vector<std::string>& preset_names();

/// The parameter table of a preset (defaults). Throws InputError for an unknown preset.
[[nodiscard]] const std::vector<PresetParam>& preset_params(const std::string& preset);

/// Builds the preset. `overrides` maps parameter names to values; an unknown name or a value
/// out of range throws InputError naming the parameter. Deterministic for a given seed.
[[nodiscard]] PackagePhantom make_preset(const std::string& preset, uint64_t seed,
                                         const std::map<std::string, double>& overrides = {});

}  // namespace voidscan::sim
