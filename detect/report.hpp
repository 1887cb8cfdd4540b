// Verdicts and the written results of a detection (issue 4).
//
// Steps: apply_verdicts() fills each Die's void area fraction, largest defect, counts per type,
// pass flag and failed criteria from the defects and the recipe's Criteria (rules in
// docs/detection.md, "Verdicts"); report_json() / defects_csv() / terminal_summary() render
// the analysis; write_labels_mha() writes the label volume with exact integer labels;
// write_report_files() writes all of them (and the maps, detect/maps.hpp) into one folder,
// each file through write_atomically.
// Formats: docs/detection.md ("Outputs"). Test: tests/detect/test_report.cpp.
#pragma once
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "detect/model.hpp"
#include "recon/metal_streaks.hpp"

namespace voidscan::detect {

inline constexpr const char* kReportSchema = "voidscan.report/1";

/// Fills the verdict fields of every die of `a` (see model.hpp's Die) from its defects and
/// `c`. Throws std::logic_error when the analysis is inconsistent (no die, a defect naming a
/// die that does not exist, defect ids not unique and positive): a defect of the analysis,
/// not of the input.
void apply_verdicts(Analysis& a, const Criteria& c);

/// True when every die passes (after apply_verdicts).
[[nodiscard]] bool all_pass(const Analysis& a);

/// What produced the analysis, for the report's `sample` section and the terminal.
struct ReportInfo {
  std::string input;    ///< the volume (detect) or scan manifest (run) analysed
  std::string volume;   ///< the volume file analysed; "volume.mha" inside OUTDIR for run
  /// run --metal-correction, when it was applied: what it did (report.json's
  /// sample.metal_correction; null otherwise).
  std::optional<MetalStreakReport> metal_correction;
};

/// report.json's document (schema voidscan.report/1).
[[nodiscard]] nlohmann::json report_json(const Analysis& a, const Recipe& r, const ReportInfo& info);

/// defects.csv: a header line and one row per defect; empty cells for absent values.
[[nodiscard]] std::string defects_csv(const Analysis& a);

/// The one-screen summary: per die its counts per type, void area, largest defect (um) and
/// verdict; at most `max_die_rows` die rows (failing dies first), then the overall verdict.
[[nodiscard]] std::string terminal_summary(const Analysis& a, const ReportInfo& info, int max_die_rows = 16);

/// The label volume (a.labels on a.grid; 0 = background, else the defect id) as MetaImage
/// with integer voxels: MET_USHORT when every id fits 16 bits, else MET_UINT; no scale or
/// offset, so every viewer reads the ids exactly. Written atomically. Empty labels are
/// accepted (all zero) only when there is no defect. Throws std::logic_error when the labels
/// do not match the grid or name an unknown defect.
void write_labels_mha(const std::filesystem::path& file, const Analysis& a);

/// Writes report.json, defects.csv, labels.mha, maps/die_<id>.png and maps/overview.png into
/// `folder` (which must exist). Call apply_verdicts first.
void write_report_files(const std::filesystem::path& folder, const Analysis& a, const Recipe& r,
                        const ReportInfo& info);

}  // namespace voidscan::detect
