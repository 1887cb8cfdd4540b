// Defect maps as PNG, drawn with cairo (issue 4).
//
// maps/die_<id>.png: one die seen from above (x to the right, y up): its outline, its pads or
// bumps faint (Die::features_mm), each of its defects as an ellipse at its centroid with the
// aspect of its bounding box and the area of its projected footprint (area_mm2; at least a
// few pixels across so that small ones stay visible), coloured by type, its id beside it;
// a legend (types and counts, verdict, failed criteria) and a scale bar in micrometres.
// maps/overview.png: every die at its place, filled green (pass) or red (fail), one panel per
// layer, with the die ids and defect counts.
// The pixel frames are public so tests can find a defect's pixel. Test: tests/detect/test_maps.cpp.
#pragma once
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "detect/model.hpp"

namespace voidscan::detect {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  friend bool operator==(const Rgb&, const Rgb&) = default;
};

/// Fill colour of a defect type on the maps (Okabe-Ito palette, told apart by colour-blind readers).
[[nodiscard]] Rgb defect_colour(DefectType t);
inline constexpr Rgb kMapBackground{255, 255, 255};
inline constexpr Rgb kDieFill{236, 236, 236};      ///< die area on a die map
inline constexpr Rgb kFeatureFill{212, 212, 212};  ///< pads / bumps, faint
inline constexpr Rgb kPassFill{60, 170, 80};       ///< overview: die passes
inline constexpr Rgb kFailFill{220, 50, 40};       ///< overview: die fails

/// Image layout of the maps, pixels.
inline constexpr int kDieMapWidth = 1000, kDieMapHeight = 800;
inline constexpr int kDieMapPlot = 700;        ///< square plot area, left, below the title
inline constexpr int kOverviewPanel = 480;     ///< square panel per layer
inline constexpr int kOverviewColumns = 4;     ///< panels per row

/// World (x, y) in mm -> pixel (column, row) of a map image, y up; pixel centres at +0.5.
struct MapFrame {
  double scale_px_per_mm = 0;
  double x_mm0 = 0, y_mm0 = 0;  ///< world point at pixel (px0, py0)
  double px0 = 0, py0 = 0;
  [[nodiscard]] std::array<double, 2> to_pixel(double x_mm, double y_mm) const {
    return {px0 + (x_mm - x_mm0) * scale_px_per_mm, py0 - (y_mm - y_mm0) * scale_px_per_mm};
  }
};

/// The frame of a die's map: its bounding box (x, y), padded by 6 % each side, centred in
/// the plot area.
[[nodiscard]] MapFrame die_map_frame(const Die& d);

/// The overview: one panel per layer (layers sorted by Die::index[2]), kOverviewColumns per
/// row; every panel shows the union of all dies' boxes in the same frame shifted.
struct OverviewLayout {
  int width = 0, height = 0;
  std::vector<int> layers;        ///< layer index of each panel
  std::vector<MapFrame> panels;   ///< frame of each panel
};
[[nodiscard]] OverviewLayout overview_layout(const Analysis& a);

/// File name of a die's map: "die_<id>.png", characters other than [A-Za-z0-9_-] as '_'.
[[nodiscard]] std::string die_map_name(const Die& d);

void write_die_map(const std::filesystem::path& file, const Analysis& a, const Die& d);
void write_overview_map(const std::filesystem::path& file, const Analysis& a);
/// Creates `folder` and writes die_<id>.png for every die and overview.png, each atomically.
void write_maps(const std::filesystem::path& folder, const Analysis& a);

/// An RGB image read back from a PNG (through cairo), for tests and tools.
struct RgbImage {
  int width = 0, height = 0;
  std::vector<Rgb> pixels;  ///< row-major, row 0 at the top
  [[nodiscard]] Rgb at(int x, int y) const { return pixels[size_t(y) * size_t(width) + size_t(x)]; }
};
/// Throws InputError naming the file when it is not a readable PNG.
[[nodiscard]] RgbImage read_png(const std::filesystem::path& file);

}  // namespace voidscan::detect
