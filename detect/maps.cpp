// Per-die defect maps and the overview, drawn with cairo. See maps.hpp.
// Test: tests/detect/test_maps.cpp.
#include "detect/maps.hpp"

#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <numbers>
#include <set>
#include <stdexcept>

#include "recon/error.hpp"
#include "recon/volume_io.hpp"

namespace voidscan::detect {
namespace fs = std::filesystem;
namespace {

// ---- cairo ownership and helpers ---------------------------------------------------------------

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ContextDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};
using Surface = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using Context = std::unique_ptr<cairo_t, ContextDeleter>;

constexpr int kDieMapLeft = 30, kDieMapTop = 60;   ///< top-left corner of the die map's plot area
constexpr int kLegendLeft = kDieMapLeft + kDieMapPlot + 30;
constexpr int kOverviewMargin = 30, kOverviewTitle = 50, kOverviewLabel = 24, kOverviewLegend = 40;
constexpr double kPad = 1.12;                       ///< plot extent = box extent * kPad (6 % each side)
constexpr double kMinDefectRadiusPx = 3.0;          ///< smaller defects are drawn this big

void set_colour(cairo_t* cr, Rgb c, double shade = 1.0) {
  cairo_set_source_rgb(cr, shade * c.r / 255.0, shade * c.g / 255.0, shade * c.b / 255.0);
}

void text(cairo_t* cr, double x, double y, const std::string& s, double size, bool bold = false, Rgb c = {30, 30, 30}) {
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  set_colour(cr, c);
  cairo_move_to(cr, x, y);
  cairo_show_text(cr, s.c_str());
}

double text_width(cairo_t* cr, const std::string& s, double size) {
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  return e.x_advance;
}

void ellipse_path(cairo_t* cr, double cx, double cy, double rx, double ry) {
  cairo_new_path(cr);
  cairo_save(cr);
  cairo_translate(cr, cx, cy);
  cairo_scale(cr, rx, ry);
  cairo_arc(cr, 0, 0, 1, 0, 2 * std::numbers::pi);
  cairo_restore(cr);
}

std::pair<Surface, Context> canvas(int width, int height) {
  Surface s(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height));
  if (cairo_surface_status(s.get()) != CAIRO_STATUS_SUCCESS)
    throw RuntimeFailure(fmt::format("cannot create a {} x {} image: {}", width, height,
                                     cairo_status_to_string(cairo_surface_status(s.get()))));
  Context c(cairo_create(s.get()));
  set_colour(c.get(), kMapBackground);
  cairo_paint(c.get());
  return {std::move(s), std::move(c)};
}

void save_png(const fs::path& file, cairo_surface_t* s) {
  cairo_surface_flush(s);
  write_atomically(file, [&](const fs::path& tmp) {
    const cairo_status_t st = cairo_surface_write_to_png(s, tmp.c_str());
    if (st != CAIRO_STATUS_SUCCESS)
      throw RuntimeFailure("cannot write " + file.string() + ": " + cairo_status_to_string(st),
                           "check free disk space and permissions");
  });
}

/// Largest 1, 2 or 5 x 10^k not above v (v > 0).
double nice_floor(double v) {
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {5.0, 2.0, 1.0})
    if (m * p <= v) return m * p;
  return p;
}

/// Semi-axes (mm) of the ellipse drawn for a defect: the aspect of its bounding box in x-y,
/// the area of its projected footprint.
std::array<double, 2> footprint_semi_axes(const Defect& f) {
  const double wx = std::max(0.0, f.bbox_mm.max.x - f.bbox_mm.min.x);
  const double wy = std::max(0.0, f.bbox_mm.max.y - f.bbox_mm.min.y);
  if (f.area_mm2 > 0) {
    if (wx > 0 && wy > 0) {
      const double k = std::sqrt(f.area_mm2 / (std::numbers::pi * wx * wy / 4));
      return {k * wx / 2, k * wy / 2};
    }
    const double r = std::sqrt(f.area_mm2 / std::numbers::pi);
    return {r, r};
  }
  return {wx / 2, wy / 2};
}

/// Drawing order: gaps (large, planar) under the voids; within a type the larger first.
int draw_rank(DefectType t) {
  switch (t) {
    case DefectType::bond_gap: return 0;
    case DefectType::underfill_void: return 1;
    case DefectType::void_: return 2;
    case DefectType::bump_void: return 3;
  }
  return 4;
}

const char* type_label(DefectType t) {
  switch (t) {
    case DefectType::underfill_void: return "underfill void";
    case DefectType::bump_void: return "bump void";
    case DefectType::bond_gap: return "bond gap";
    case DefectType::void_: return "void";
  }
  return "?";
}

/// Box of a die in x-y, or a 1 mm square about the origin when it is degenerate.
std::array<double, 4> xy_box(const Die& d) {
  const BoxMm& b = d.bbox_mm;
  if (b.max.x > b.min.x && b.max.y > b.min.y && std::isfinite(b.min.x + b.max.x + b.min.y + b.max.y))
    return {b.min.x, b.min.y, b.max.x, b.max.y};
  return {-0.5, -0.5, 0.5, 0.5};
}

MapFrame square_frame(const std::array<double, 4>& box, double plot_px, double left_px, double top_px) {
  MapFrame f;
  const double extent = std::max(box[2] - box[0], box[3] - box[1]) * kPad;
  f.scale_px_per_mm = plot_px / extent;
  f.x_mm0 = 0.5 * (box[0] + box[2]);
  f.y_mm0 = 0.5 * (box[1] + box[3]);
  f.px0 = left_px + 0.5 * plot_px;
  f.py0 = top_px + 0.5 * plot_px;
  return f;
}

void rect_mm(cairo_t* cr, const MapFrame& f, const std::array<double, 4>& box) {
  const auto a = f.to_pixel(box[0], box[3]);  // top-left in the image
  const auto b = f.to_pixel(box[2], box[1]);
  cairo_rectangle(cr, a[0], a[1], b[0] - a[0], b[1] - a[1]);
}

}  // namespace

Rgb defect_colour(DefectType t) {
  switch (t) {
    case DefectType::underfill_void: return {230, 159, 0};   // orange
    case DefectType::bump_void: return {0, 114, 178};        // blue
    case DefectType::bond_gap: return {204, 121, 167};       // reddish purple
    case DefectType::void_: return {213, 94, 0};             // vermilion
  }
  return {0, 0, 0};
}

MapFrame die_map_frame(const Die& d) { return square_frame(xy_box(d), kDieMapPlot, kDieMapLeft, kDieMapTop); }

OverviewLayout overview_layout(const Analysis& a) {
  OverviewLayout o;
  std::set<int> layers;
  std::array<double, 4> all{std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(),
                            -std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
  for (const Die& d : a.dies) {
    layers.insert(d.index[2]);
    const auto b = xy_box(d);
    all = {std::min(all[0], b[0]), std::min(all[1], b[1]), std::max(all[2], b[2]), std::max(all[3], b[3])};
  }
  if (layers.empty()) {
    layers.insert(0);
    all = {-0.5, -0.5, 0.5, 0.5};
  }
  o.layers.assign(layers.begin(), layers.end());
  const int n = int(o.layers.size());
  const int cols = std::min(n, kOverviewColumns), rows = (n + kOverviewColumns - 1) / kOverviewColumns;
  o.width = kOverviewMargin + cols * (kOverviewPanel + kOverviewMargin);
  o.height = kOverviewTitle + rows * (kOverviewLabel + kOverviewPanel + kOverviewMargin) + kOverviewLegend;
  for (int i = 0; i < n; ++i) {
    const double left = kOverviewMargin + (i % kOverviewColumns) * (kOverviewPanel + kOverviewMargin);
    const double top = kOverviewTitle + (i / kOverviewColumns) * (kOverviewLabel + kOverviewPanel + kOverviewMargin) +
                       kOverviewLabel;
    o.panels.push_back(square_frame(all, kOverviewPanel, left, top));
  }
  return o;
}

std::string die_map_name(const Die& d) {
  std::string s = d.id;
  for (char& c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) c = '_';
  return "die_" + s + ".png";
}

void write_die_map(const fs::path& file, const Analysis& a, const Die& d) {
  auto [surface, context] = canvas(kDieMapWidth, kDieMapHeight);
  cairo_t* cr = context.get();
  const MapFrame f = die_map_frame(d);
  const double s = f.scale_px_per_mm;

  // title
  text(cr, kDieMapLeft, 36,
       fmt::format("die {}  [col {}, row {}, layer {}]", d.id, d.index[0], d.index[1], d.index[2]), 20, true);
  text(cr, kLegendLeft, 36, d.pass ? "PASS" : "FAIL", 22, true, d.pass ? kPassFill : kFailFill);

  // plot: die, features, defects; clipped to the plot area
  cairo_save(cr);
  cairo_rectangle(cr, kDieMapLeft, kDieMapTop, kDieMapPlot, kDieMapPlot);
  cairo_clip(cr);
  rect_mm(cr, f, xy_box(d));
  set_colour(cr, kDieFill);
  cairo_fill_preserve(cr);
  cairo_set_line_width(cr, 2);
  set_colour(cr, {70, 70, 70});
  cairo_stroke(cr);
  for (const auto& ft : d.features_mm) {
    const auto p = f.to_pixel(ft[0], ft[1]);
    const double r = std::max(1.0, ft[2] * s);
    ellipse_path(cr, p[0], p[1], r, r);
    set_colour(cr, kFeatureFill);
    cairo_fill(cr);
  }
  std::vector<const Defect*> mine;
  for (const Defect& x : a.defects)
    if (x.die == d.id) mine.push_back(&x);
  std::stable_sort(mine.begin(), mine.end(), [](const Defect* x, const Defect* y) {
    if (draw_rank(x->type) != draw_rank(y->type)) return draw_rank(x->type) < draw_rank(y->type);
    return x->area_mm2 > y->area_mm2;
  });
  cairo_set_line_width(cr, 1);
  for (const Defect* x : mine) {
    const auto p = f.to_pixel(x->centroid_mm.x, x->centroid_mm.y);
    const auto ax = footprint_semi_axes(*x);
    const double rx = std::max(kMinDefectRadiusPx, ax[0] * s), ry = std::max(kMinDefectRadiusPx, ax[1] * s);
    ellipse_path(cr, p[0], p[1], rx, ry);
    set_colour(cr, defect_colour(x->type));
    cairo_fill_preserve(cr);
    set_colour(cr, defect_colour(x->type), 0.55);
    cairo_stroke(cr);
  }
  if (mine.size() <= 150)
    for (const Defect* x : mine) {
      const auto p = f.to_pixel(x->centroid_mm.x, x->centroid_mm.y);
      const double rx = std::max(kMinDefectRadiusPx, footprint_semi_axes(*x)[0] * s);
      text(cr, p[0] + rx + 3, p[1] + 4, std::to_string(x->id), 11, false, {40, 40, 40});
    }
  cairo_restore(cr);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, kDieMapLeft + 0.5, kDieMapTop + 0.5, kDieMapPlot - 1, kDieMapPlot - 1);
  set_colour(cr, {190, 190, 190});
  cairo_stroke(cr);

  // legend
  double y = kDieMapTop + 10;
  text(cr, kLegendLeft, y, "defects (x-y footprint)", 14, true);
  y += 12;
  std::array<int, 4> n{};
  for (const Defect* x : mine) ++n[size_t(x->type)];
  for (DefectType t : {DefectType::underfill_void, DefectType::bump_void, DefectType::bond_gap, DefectType::void_}) {
    cairo_rectangle(cr, kLegendLeft, y + 6, 18, 18);
    set_colour(cr, defect_colour(t));
    cairo_fill(cr);
    text(cr, kLegendLeft + 26, y + 20, fmt::format("{} ({})", type_label(t), n[size_t(t)]), 13);
    y += 28;
  }
  cairo_rectangle(cr, kLegendLeft, y + 6, 18, 18);
  set_colour(cr, kFeatureFill);
  cairo_fill(cr);
  text(cr, kLegendLeft + 26, y + 20, fmt::format("pads / bumps ({})", d.features_mm.size()), 13);
  y += 48;
  if (d.interface_area_mm2 > 0) {
    text(cr, kLegendLeft, y, fmt::format("void area {:.3g} %", 100 * d.void_area_fraction), 13);
    y += 20;
  }
  if (!d.failed_criteria.empty()) {
    text(cr, kLegendLeft, y, "failed:", 13, true, kFailFill);
    y += 18;
    for (const auto& c : d.failed_criteria) {
      // wrap at the legend's width
      std::string line;
      size_t pos = 0;
      while (pos < c.size() && y < kDieMapHeight - 110) {
        size_t next = c.find(' ', pos + 1);
        if (next == std::string::npos) next = c.size();
        const std::string word = c.substr(pos, next - pos);
        if (!line.empty() && text_width(cr, line + word, 11) > kDieMapWidth - kLegendLeft - 10) {
          text(cr, kLegendLeft, y, line, 11);
          y += 15;
          line = word.substr(word.front() == ' ' ? 1 : 0);
        } else {
          line += word;
        }
        pos = next;
      }
      if (!line.empty() && y < kDieMapHeight - 110) {
        text(cr, kLegendLeft, y, line, 11);
        y += 19;
      }
    }
  }

  // scale bar, micrometres
  const double bar_um = nice_floor(150.0 / s * 1000.0);
  const double bar_px = bar_um / 1000.0 * s;
  const double by = kDieMapTop + kDieMapPlot - 20;
  cairo_rectangle(cr, kLegendLeft, by, bar_px, 6);
  set_colour(cr, {20, 20, 20});
  cairo_fill(cr);
  text(cr, kLegendLeft, by - 8, fmt::format("{:g} \u00b5m", bar_um), 13);
  text(cr, kLegendLeft, by + 26, "seen from above: x right, y up", 10, false, {110, 110, 110});

  save_png(file, surface.get());
}

void write_overview_map(const fs::path& file, const Analysis& a) {
  const OverviewLayout o = overview_layout(a);
  auto [surface, context] = canvas(o.width, o.height);
  cairo_t* cr = context.get();
  const auto failed = std::count_if(a.dies.begin(), a.dies.end(), [](const Die& d) { return !d.pass; });
  text(cr, kOverviewMargin, 34,
       fmt::format("{} die{}, {} fail{}, {} defect{}", a.dies.size(), a.dies.size() == 1 ? "" : "s", failed,
                   failed == 1 ? "s" : "", a.defects.size(), a.defects.size() == 1 ? "" : "s"),
       20, true);
  std::map<std::string, int> defects_per_die;
  for (const Defect& x : a.defects) ++defects_per_die[x.die];
  for (size_t i = 0; i < o.panels.size(); ++i) {
    const MapFrame& f = o.panels[i];
    const double left = f.px0 - 0.5 * kOverviewPanel, top = f.py0 - 0.5 * kOverviewPanel;
    text(cr, left, top - 7, fmt::format("layer {}", o.layers[i]), 14, true);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, left + 0.5, top + 0.5, kOverviewPanel - 1, kOverviewPanel - 1);
    set_colour(cr, {190, 190, 190});
    cairo_stroke(cr);
    for (const Die& d : a.dies) {
      if (d.index[2] != o.layers[i]) continue;
      const auto box = xy_box(d);
      rect_mm(cr, f, box);
      set_colour(cr, d.pass ? kPassFill : kFailFill);
      cairo_fill_preserve(cr);
      cairo_set_line_width(cr, 1.5);
      set_colour(cr, {40, 40, 40});
      cairo_stroke(cr);
      const double w = (box[2] - box[0]) * f.scale_px_per_mm;
      const auto c = f.to_pixel(0.5 * (box[0] + box[2]), 0.5 * (box[1] + box[3]));
      const double size = std::min(14.0, w / 7);
      if (size >= 6) {
        const std::string l1 = d.id, l2 = fmt::format("{} defect{}", defects_per_die[d.id],
                                                      defects_per_die[d.id] == 1 ? "" : "s");
        text(cr, c[0] - 0.5 * text_width(cr, l1, size), c[1] - 2, l1, size, false, {255, 255, 255});
        text(cr, c[0] - 0.5 * text_width(cr, l2, size), c[1] + size + 2, l2, size, false, {255, 255, 255});
      }
    }
  }
  const double ly = o.height - kOverviewLegend + 10;
  cairo_rectangle(cr, kOverviewMargin, ly, 18, 18);
  set_colour(cr, kPassFill);
  cairo_fill(cr);
  text(cr, kOverviewMargin + 26, ly + 14, "pass", 13);
  cairo_rectangle(cr, kOverviewMargin + 90, ly, 18, 18);
  set_colour(cr, kFailFill);
  cairo_fill(cr);
  text(cr, kOverviewMargin + 116, ly + 14, "fail", 13);
  save_png(file, surface.get());
}

void write_maps(const fs::path& folder, const Analysis& a) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) throw RuntimeFailure("cannot create " + folder.string() + " (" + ec.message() + ")");
  std::set<std::string> names;
  for (const Die& d : a.dies) {
    const std::string name = die_map_name(d);
    if (!names.insert(name).second)
      throw std::logic_error("two dies map to the same file name " + name + " (die '" + d.id + "')");
    write_die_map(folder / name, a, d);
  }
  write_overview_map(folder / "overview.png", a);
}

RgbImage read_png(const fs::path& file) {
  Surface s(cairo_image_surface_create_from_png(file.c_str()));
  if (cairo_surface_status(s.get()) != CAIRO_STATUS_SUCCESS)
    throw InputError(file.string(), "", std::string("cannot read as PNG: ") +
                                            cairo_status_to_string(cairo_surface_status(s.get())));
  cairo_surface_flush(s.get());
  RgbImage img;
  img.width = cairo_image_surface_get_width(s.get());
  img.height = cairo_image_surface_get_height(s.get());
  const int stride = cairo_image_surface_get_stride(s.get());
  const cairo_format_t format = cairo_image_surface_get_format(s.get());
  const unsigned char* data = cairo_image_surface_get_data(s.get());
  if (format != CAIRO_FORMAT_RGB24 && format != CAIRO_FORMAT_ARGB32)
    throw InputError(file.string(), "", "unsupported PNG pixel format");
  img.pixels.resize(size_t(img.width) * size_t(img.height));
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      uint32_t p;
      std::memcpy(&p, data + size_t(y) * size_t(stride) + 4 * size_t(x), 4);
      uint32_t a = format == CAIRO_FORMAT_ARGB32 ? p >> 24 : 255;
      auto ch = [&](int shift) {
        const uint32_t v = (p >> shift) & 0xff;
        return uint8_t(a == 0 ? 0 : std::min<uint32_t>(255, (v * 255 + a / 2) / a));  // un-premultiply
      };
      img.pixels[size_t(y) * size_t(img.width) + size_t(x)] = {ch(16), ch(8), ch(0)};
    }
  return img;
}

}  // namespace voidscan::detect
