// Defect detection, end to end, on one reconstructed volume (issue 4): structure (materials,
// dies, interfaces, bumps, underfill) -> defects (underfill voids, bump voids, bond gaps,
// generic voids) -> measures (partial-volume sizes, areas, thickness, CNR) -> labels.
// The steps, their references and their tests are listed in detect/analyze.cpp.
// Verdicts against the criteria are not made here: detect/report.* does that.
#pragma once
#include <functional>

#include "detect/model.hpp"
#include "recon/volume_io.hpp"

namespace voidscan::detect {

/// Progress callback: fraction done in [0, 1].
using AnalyzeProgress = std::function<void(double)>;

/// Analyses `volume` (linear attenuation, 1/mm) as `recipe` says. Throws InputError for a
/// volume it cannot analyse (empty, no spacing) or a recipe the volume contradicts (a kind
/// the volume does not show), naming `volume_file` when given.
[[nodiscard]] Analysis analyze(const Volume& volume, const Recipe& recipe, const std::string& volume_file = {},
                               const AnalyzeProgress& progress = {});

/// The kind analyze() would find (or take from the recipe) in `volume`: its materials and
/// structure only, no defects. Throws as analyze() does.
[[nodiscard]] SampleKind structure_kind(const Volume& volume, const Recipe& recipe,
                                        const std::string& volume_file = {});

}  // namespace voidscan::detect
