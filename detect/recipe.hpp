// The inspection recipe, `recipe.yaml` (issue 4): sample kind, expected layers, a die-grid
// layout override, detection parameters and pass/fail criteria. Every key is optional; a key
// left out keeps the default of detect/model.hpp (the only place defaults live).
//
// Steps: parse the YAML (yaml-cpp) -> walk the mapping, rejecting any key the schema does not
// know (InputError naming the file and the key path, e.g. `criteria.max_void_diamter_mm`, with
// the nearest known key as a hint) -> convert each value, rejecting a wrong type or an
// impossible value (negative size, fraction > 1, NaN) with the file and the field.
// The keys, units, ranges and defaults are listed in docs/detection.md.
// Test: tests/detect/test_recipe.cpp.
#pragma once
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "detect/model.hpp"

namespace voidscan::detect {

/// Reads `file` (YAML). Throws InputError naming the file and the key path on a missing or
/// unreadable file, a YAML syntax error, an unknown key, a wrong type or an impossible value.
/// The result's `source` is `file`.
[[nodiscard]] Recipe load_recipe(const std::filesystem::path& file);

/// Same from text; `source` names it in errors and becomes the result's `source`.
[[nodiscard]] Recipe parse_recipe(const std::string& yaml_text, const std::string& source);

/// Checks ranges of a recipe built in code (load_recipe calls it too). Throws InputError
/// naming `r.source` and the field.
void validate(const Recipe& r);

/// The recipe as used, every field (defaults included), for report.json's `recipe` echo.
/// Keys are the YAML keys; `void_threshold` is null when it comes from the histogram and
/// `layout` null when the dies come from the volume.
[[nodiscard]] nlohmann::json recipe_to_json(const Recipe& r);

}  // namespace voidscan::detect
