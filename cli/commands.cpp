#include "cli/commands.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numbers>
#include <set>

#include "cli/progress.hpp"
#include "detect/analyze.hpp"
#include "detect/metal_model.hpp"
#include "detect/output_folder.hpp"
#include "detect/recipe.hpp"
#include "detect/report.hpp"
#include "recon/error.hpp"
#include "recon/fdk.hpp"
#include "recon/metal_streaks.hpp"
#include "recon/scan.hpp"
#include "recon/scan_input.hpp"
#include "recon/image_io.hpp"
#include "recon/tiff_io.hpp"
#include "recon/txrm.hpp"
#include "recon/volume_formats.hpp"
#include "recon/volume_io.hpp"
#include "recon/volume_writer.hpp"

namespace voidscan::cli {
namespace fs = std::filesystem;
namespace {

std::string mib(size_t bytes) { return fmt::format("{:.0f} MiB", double(bytes) / (1 << 20)); }

/// The manifest's grid (or the default one) with the command line's overrides.
VolumeGrid choose_grid(const Scan& scan, const ReconstructOptions& o) {
  VolumeGrid g = scan_grid(scan);
  if (o.voxel_mm) {
    if (!(*o.voxel_mm > 0)) throw InputError("", "--voxel", "must be positive");
    // keep the extent, change the sampling
    g.nx = std::max(1, int(std::ceil(g.nx * g.sx / *o.voxel_mm - 1e-9)));
    g.ny = std::max(1, int(std::ceil(g.ny * g.sy / *o.voxel_mm - 1e-9)));
    g.nz = std::max(1, int(std::ceil(g.nz * g.sz / *o.voxel_mm - 1e-9)));
    g.sx = g.sy = g.sz = *o.voxel_mm;
  }
  if (o.grid) {
    const auto& n = *o.grid;
    if (n[0] < 1 || n[1] < 1 || n[2] < 1) throw InputError("", "--grid", "every size must be at least 1");
    g.nx = n[0];
    g.ny = n[1];
    g.nz = n[2];
  }
  if (o.center_mm) g.center = {(*o.center_mm)[0], (*o.center_mm)[1], (*o.center_mm)[2]};
  return g;
}

/// Fails early (before any computation) on projection files that cannot be read as expected.
void check_projection_files(const Scan& scan) {
  std::map<fs::path, int> max_page;
  for (const auto& p : scan.projections) max_page[p.file] = std::max(max_page[p.file], p.page);
  const auto& d = scan.geometry.detector;
  for (const auto& [file, page] : max_page) {
    const ImageInfo t = image_info(file);
    if (t.cols != d.cols || t.rows != d.rows)
      throw InputError(file.string(), "",
                       fmt::format("image is {} x {} but the scan's detector is {} x {} ({})", t.cols, t.rows,
                                   d.cols, d.rows, scan.manifest.string()));
    if (page >= t.pages)
      throw InputError(file.string(), "",
                       fmt::format("has {} pages but the scan uses page {} ({})", t.pages, page, scan.manifest.string()));
  }
}

void print_scan_info(const Scan& scan) {
  const auto& d = scan.geometry.detector;
  const GeometrySummary s = summarize(scan.geometry);
  const VolumeGrid g = scan_grid(scan);
  const FdkPlan plan = plan_fdk(scan.geometry, FilterWindow::ram_lak);
  const char* mode[] = {"full scan", "short scan (Parker weights)", "offset detector (displaced-detector weights)"};
  fmt::print("scan            {}\n", scan.manifest.string());
  if (!scan.format.empty()) fmt::print("format          {}\n", scan.format);
  if (!scan.name.empty()) fmt::print("name            {}\n", scan.name);
  fmt::print("detector        {} x {} pixels of {:.4g} x {:.4g} mm\n", d.cols, d.rows, d.du_mm, d.dv_mm);
  fmt::print("projections     {} ({})\n", scan.geometry.views.size(),
             is_parallel(scan.geometry) ? "parallel beam" : "cone beam");
  fmt::print("coverage        {:.2f} deg ({}), largest gap {:.3f} deg\n", s.coverage_deg, mode[int(plan.redundancy)],
             s.largest_gap_deg);
  fmt::print("source-axis     {:.3f} mm (mean)\n", s.mean_sod_mm);
  fmt::print("source-detector {:.3f} mm (mean)\n", s.mean_sdd_mm);
  fmt::print("magnification   {:.4f}\n", s.magnification);
  fmt::print("voxel at mag.   {:.3f} um\n", 1000 * d.du_mm / s.magnification);
  fmt::print("field of view   {:.3f} mm across, {:.3f} mm high\n", 2 * s.fov_radius_mm, 2 * s.fov_half_height_mm);
  fmt::print("grid            {} x {} x {} voxels of {:.3f} x {:.3f} x {:.3f} um, centre ({:.4g}, {:.4g}, {:.4g}) mm{}\n",
             g.nx, g.ny, g.nz, 1000 * g.sx, 1000 * g.sy, 1000 * g.sz, g.center.x, g.center.y, g.center.z,
             scan.volume ? "" : " (derived)");
  const auto& in = scan.intensity;
  if (in.already_log) fmt::print("intensity       line integrals (already -log)\n");
  else if (!in.flat_files.empty())
    fmt::print("intensity       raw counts, {} flat and {} dark files\n", in.flat_files.size(), in.dark_files.size());
  else fmt::print("intensity       raw counts, white level {}, dark level {}\n", *in.white_level, in.dark_level);
  if (!scan.fields_used.empty()) fmt::print("fields used     {}\n", fmt::join(scan.fields_used, ", "));
  if (!scan.fields_ignored.empty()) fmt::print("fields ignored  {}\n", fmt::join(scan.fields_ignored, ", "));
  for (const auto& w : plan.warnings) fmt::print("warning         {}\n", w);
}

void print_volume_info(const fs::path& file, const VolumeHeader& h) {
  fmt::print("volume          {}\n", file.string());
  fmt::print("size            {} x {} x {} voxels ({})\n", h.nx, h.ny, h.nz, h.dtype);
  fmt::print("voxel           {:.4f} x {:.4f} x {:.4f} um{}\n", 1000 * h.sx, 1000 * h.sy, 1000 * h.sz,
             h.spacing_given ? "" : " (not stated in the file: 1 mm assumed; give --voxel MM)");
  fmt::print("origin          ({:.6g}, {:.6g}, {:.6g}) mm (centre of voxel 0)\n", h.origin.x, h.origin.y, h.origin.z);
  fmt::print("extent          {:.4f} x {:.4f} x {:.4f} mm\n", h.nx * h.sx, h.ny * h.sy, h.nz * h.sz);
  if (h.scale != 1 || h.offset != 0) fmt::print("scaling         value = stored * {:.6g} + {:.6g} (1/mm)\n", h.scale, h.offset);
}

void print_txrm_info(const fs::path& file) {
  const TxrmInfo t = read_txrm_info(file);
  fmt::print("ZEISS Xradia    {}\n", file.string());
  fmt::print("images          {} of {} x {} ({})\n", t.images, t.width, t.height, t.data_type);
  if (!t.angles_deg.empty())
    fmt::print("angles          {:.4f} .. {:.4f} deg ({} views)\n", t.angles_deg.front(), t.angles_deg.back(),
               t.angles_deg.size());
  fmt::print("pixel size      {:.6g} um\n", t.pixel_size_um);
  if (!t.source_to_axis_mm.empty())
    fmt::print("source-axis     {:.6g} mm, detector-axis {:.6g} mm (first view, as stored)\n",
               t.source_to_axis_mm.front(), t.detector_to_axis_mm.front());
  fmt::print("x-ray geometry  code {} (as stored)\n", t.xray_geometry);
  fmt::print("reference image {}\n", t.has_reference ? "present" : "absent");
  fmt::print("fields used     {}\n", fmt::join(t.fields_used, ", "));
  if (!t.fields_missing.empty()) fmt::print("fields missing  {}\n", fmt::join(t.fields_missing, ", "));
}

/// The FDK parameters of the reconstruct options (filter, device, batch, memory caps, precision,
/// reading threads). Throws InputError naming the option for a value out of range.
FdkParams fdk_params_of(const ReconstructOptions& o) {
  FdkParams params;
  params.window = parse_filter_window(o.filter);
  params.device = parse_device(o.device);
  params.backend.batch_views = o.batch;
  if (!(o.gpu_memory_limit_mib >= 0)) throw InputError("", "--gpu-memory-limit", "must be >= 0");
  if (!(o.memory_limit_mib >= 0)) throw InputError("", "--memory-limit", "must be >= 0");
  params.backend.gpu_memory_limit_bytes = size_t(o.gpu_memory_limit_mib * (1 << 20));
  params.backend.host_memory_limit_bytes = size_t(o.memory_limit_mib * (1 << 20));
  params.backend.precision = parse_precision(o.precision);
  params.read_threads = o.read_threads;
  return params;
}

void log_start(const Scan& scan, const VolumeGrid& grid) {
  spdlog::info("reconstructing {} views of {} x {} onto {} x {} x {} voxels of {:.3f} um", scan.geometry.views.size(),
               scan.geometry.detector.cols, scan.geometry.detector.rows, grid.nx, grid.ny, grid.nz, 1000 * grid.sx);
}

void log_warnings(const FdkReport& report) {
  for (const auto& w : report.warnings) spdlog::warn("{}", w);
  if (report.clamped_pixels)
    spdlog::warn("{} pixels had non-positive transmission and were clamped", report.clamped_pixels);
  if (report.dead_pixels) spdlog::warn("{} dead pixels (flat <= dark) interpolated", report.dead_pixels);
}

/// Reconstructs `scan` in memory with the options of `o` (grid, device, filter, batch, memory
/// caps), logging warnings and the run's figures. For `voidscan run`: detection needs the whole
/// volume in memory anyway.
Volume reconstruct(const Scan& scan, const ReconstructOptions& o, const GlobalOptions& g) {
  const FdkParams params = fdk_params_of(o);
  const VolumeGrid grid = choose_grid(scan, o);
  log_start(scan, grid);
  FdkReport report;
  Volume vol;
  {
    ProgressBar bar("reconstruct", !g.quiet);
    vol = reconstruct_scan(scan, grid, params, &report, [&](double f) { bar.update(f); });
  }
  log_warnings(report);
  spdlog::info("{} x {} x {} in {:.2f} s on {} ({} slab{}), {:.3f} GUPS; backprojection {:.3f} s, {:.3f} GUPS; "
               "peak memory: host {}, device {}",
               grid.nx, grid.ny, grid.nz, report.seconds, report.backend, report.slabs, report.slabs == 1 ? "" : "s",
               report.gups, report.backprojection_seconds, report.backprojection_gups, mib(report.peak_host_bytes),
               mib(report.peak_device_bytes));
  return vol;
}

detect::Recipe recipe_of(const DetectOptions& o) {
  if (o.recipe.empty()) return {};
  detect::Recipe r = detect::load_recipe(o.recipe);
  spdlog::info("recipe {}", o.recipe);
  return r;
}

/// Analyses `vol`, judges the dies, writes every output into the staging folder, moves it into
/// place and prints the summary. Returns 0 when every die passes, 1 otherwise.
int detect_and_write(Volume&& vol, const detect::Recipe& recipe, const std::string& volume_file,
                     detect::StagedFolder& out, const detect::ReportInfo& info, const GlobalOptions& g) {
  // A constant volume (all zero, say) shows nothing: refuse it rather than report a clean pass.
  if (!vol.data.empty()) {
    const auto [lo, hi] = std::minmax_element(vol.data.begin(), vol.data.end());
    if (*lo == *hi)
      throw InputError(volume_file, "data",
                       fmt::format("every voxel holds the same value ({}): the volume is empty, nothing to inspect", *lo));
  }
  spdlog::info("detecting defects in {} x {} x {} voxels of {:.3f} um", vol.grid.nx, vol.grid.ny, vol.grid.nz,
               1000 * vol.grid.sx);
  detect::Analysis a;
  {
    ProgressBar bar("detect", !g.quiet);
    a = detect::analyze(vol, recipe, volume_file, [&](double f) { bar.update(f); });
  }
  vol = Volume{};  // the outputs need the analysis only
  detect::apply_verdicts(a, recipe.criteria);
  detect::write_report_files(out.path(), a, recipe, info);
  out.commit();
  fmt::print("{}", detect::terminal_summary(a, info));
  fmt::print("outputs in {}\n", out.target().string());
  std::fflush(stdout);
  return detect::all_pass(a) ? 0 : 1;
}

}  // namespace

int run_reconstruct(const ReconstructOptions& o, const GlobalOptions& g) {
  // Check everything about the output before any work.
  const fs::path out(o.output);
  const VolumeFormat format = volume_format_from_path(out);
  (void)format;
  VolumeDtype dtype;
  try {
    dtype = parse_volume_dtype(o.dtype);
  } catch (const InputError& e) {
    throw InputError("", "--dtype", "unknown data type '" + o.dtype + "' (use float32 or uint16)");
  }
  const fs::path out_dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  if (!fs::is_directory(out_dir)) throw InputError(o.output, "-o", "the output folder does not exist");

  const Scan scan = load_any_scan(o.scan);
  for (const auto& w : scan.warnings) spdlog::warn("{}", w);
  check_projection_files(scan);

  const FdkParams params = fdk_params_of(o);
  VolumeFileOptions output;
  output.file = out;
  output.dtype = dtype;
  if (o.uint16_range) {
    if (dtype != VolumeDtype::uint16) throw InputError("", "--uint16-range", "applies to --dtype uint16 only");
    const auto [lo, hi] = *o.uint16_range;
    if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo))
      throw InputError("", "--uint16-range", fmt::format("needs finite LO < HI, found {} {}", lo, hi));
    output.uint16_range = {lo, hi};
  }
  const VolumeGrid grid = choose_grid(scan, o);
  log_start(scan, grid);
  FdkReport report;
  {
    ProgressBar bar("reconstruct", !g.quiet);
    reconstruct_scan_to_file(scan, grid, params, output, &report, [&](double f) { bar.update(f); });
  }
  log_warnings(report);
  spdlog::info("{} x {} x {} in {:.2f} s on {} ({} slab{}), {:.3f} GUPS; backprojection {:.3f} s, {:.3f} GUPS; "
               "peak memory: host {}, device {}; wrote {} ({:.2f} s writing)",
               grid.nx, grid.ny, grid.nz, report.seconds, report.backend, report.slabs, report.slabs == 1 ? "" : "s",
               report.gups, report.backprojection_seconds, report.backprojection_gups, mib(report.peak_host_bytes),
               mib(report.peak_device_bytes), out.string(), report.output_seconds);
  return 0;
}

int run_convert(const std::string& input, const std::string& output, const GlobalOptions&) {
  const fs::path out(output);
  if (out.extension() != ".json") throw InputError(output, "-o", "the converted scan is a scan.json: use a .json name");
  const fs::path out_dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  if (!fs::is_directory(out_dir)) throw InputError(output, "-o", "the output folder does not exist");
  Scan scan = load_any_scan(input);
  for (const auto& w : scan.warnings) spdlog::warn("{}", w);
  check_projection_files(scan);
  if (scan.source.empty()) scan.source = fs::path(input).filename().string();
  save_scan(scan, out);
  spdlog::info("{} ({}, {} views, {}) -> {}", input, scan.format, scan.geometry.views.size(),
               is_parallel(scan.geometry) ? "parallel beam" : "cone beam", out.string());
  if (!scan.fields_used.empty()) spdlog::info("fields used: {}", fmt::join(scan.fields_used, ", "));
  if (!scan.fields_ignored.empty()) spdlog::info("fields ignored: {}", fmt::join(scan.fields_ignored, ", "));
  return 0;
}

namespace {

/// Where a volume's samples come from: the header (voxel size resolved) and, for a headerless
/// raw file, its layout. Raw files take --raw-size and need --voxel; vendor volumes (.vgi, .txm,
/// a folder of TIFF slices) and voidscan's own formats (.mha/.mhd, .nrrd, .tif) state theirs,
/// which --voxel replaces (keeping the position of voxel 0).
struct VolumeSource {
  VolumeHeader header;
  std::optional<RawVolumeSpec> raw;
};

VolumeSource volume_source(const std::string& file, const VolumeReadOptions& o) {
  const fs::path input(file);
  if (o.voxel_mm && !(*o.voxel_mm > 0 && std::isfinite(*o.voxel_mm)))
    throw InputError(file, "--voxel", fmt::format("voxel size must be positive, got {}", *o.voxel_mm));
  VolumeSource src;
  VolumeHeader& h = src.header;
  if (!o.raw_size.empty()) {
    if (o.raw_size.size() != 3) throw InputError(file, "--raw-size", "expected NX NY NZ");
    if (!o.voxel_mm) throw InputError(file, "--voxel", "a raw file states no voxel size: give --voxel MM");
    RawVolumeSpec spec;
    spec.nx = o.raw_size[0], spec.ny = o.raw_size[1], spec.nz = o.raw_size[2];
    spec.dtype = o.raw_dtype;
    spec.sx = spec.sy = spec.sz = *o.voxel_mm;
    spec.header_bytes = o.raw_header_bytes;
    spec.big_endian = o.raw_big_endian;
    spec.origin = {-0.5 * (spec.nx - 1) * spec.sx, -0.5 * (spec.ny - 1) * spec.sy, -0.5 * (spec.nz - 1) * spec.sz};
    h = raw_volume_header(input, spec);
    h.origin = spec.origin;
    src.raw = spec;
    return src;
  }
  h = is_vendor_volume(input) ? read_vendor_volume_header(input, o.voxel_mm) : read_volume_header(input);
  if (o.voxel_mm) {
    h.sx = h.sy = h.sz = *o.voxel_mm;
    h.spacing_given = true;
  }
  return src;
}

/// The volume `detect` analyses (volume_source() says from where). Throws InputError naming
/// the file (and --voxel) when the voxel size is unknown or not positive.
Volume load_detect_volume(const std::string& file, const VolumeReadOptions& o) {
  const fs::path input(file);
  const VolumeSource src = volume_source(file, o);
  const VolumeHeader& h = src.header;
  if (!h.spacing_given)
    throw InputError(file, "spacing",
                     "the file states no voxel spacing; detection measures in mm and needs it: give --voxel MM "
                     "(or MHA ElementSpacing, NRRD spacings, TIFF resolution tags)");
  for (double s : {h.sx, h.sy, h.sz})
    if (!(s > 0) || !std::isfinite(s))
      throw InputError(file, "spacing", fmt::format("voxel spacing must be positive, found {} {} {}", h.sx, h.sy, h.sz));

  Volume vol;
  if (src.raw) {
    vol.grid.nx = h.nx, vol.grid.ny = h.ny, vol.grid.nz = h.nz;
    vol.grid.sx = h.sx, vol.grid.sy = h.sy, vol.grid.sz = h.sz;
    vol.grid.center = {0, 0, 0};
    vol.data.resize(vol.grid.voxel_count());
    read_raw_volume_slab(input, *src.raw, 0, h.nz, vol.data.data());
  } else if (is_vendor_volume(input)) {
    vol = read_vendor_volume(input, o.voxel_mm);
  } else {
    vol = read_volume(input);
    if (o.voxel_mm) {
      VolumeGrid& g = vol.grid;
      const Vec3 origin = g.origin();
      g.sx = g.sy = g.sz = *o.voxel_mm;
      g.center = {origin.x + 0.5 * (g.nx - 1) * g.sx, origin.y + 0.5 * (g.ny - 1) * g.sy,
                  origin.z + 0.5 * (g.nz - 1) * g.sz};
    }
  }
  return vol;
}

}  // namespace

int run_detect(const DetectOptions& o, const GlobalOptions& g) {
  const fs::path input(o.input);
  std::error_code ec;
  if (!fs::exists(input, ec)) throw InputError(o.input, "", "volume file not found");
  const detect::Recipe recipe = recipe_of(o);
  Volume vol = load_detect_volume(o.input, o.read);  // header checks first: nothing is staged for a bad volume
  detect::StagedFolder out(o.output, o.force);
  out.protect(input);
  if (!o.recipe.empty()) out.protect(o.recipe);
  return detect_and_write(std::move(vol), recipe, o.input, out, {o.input, o.input}, g);
}

int run_run(const DetectOptions& o, const ReconstructOptions& rec, const GlobalOptions& g) {
  const Scan scan = load_any_scan(o.input);
  for (const auto& w : scan.warnings) spdlog::warn("{}", w);
  check_projection_files(scan);
  const detect::Recipe recipe = recipe_of(o);
  detect::StagedFolder out(o.output, o.force);
  out.protect(o.input);
  if (!o.recipe.empty()) out.protect(o.recipe);
  std::set<fs::path> files;
  for (const auto& p : scan.projections) files.insert(p.file);
  for (const auto& f : scan.intensity.flat_files) files.insert(f);
  for (const auto& f : scan.intensity.dark_files) files.insert(f);
  for (const auto& f : files) out.protect(f);

  Volume vol = reconstruct(scan, rec, g);
  // The streak model (vertical columns of discs: bumps, pillars, TSVs) fits a flip chip's bumps
  // and a stack's bump-and-TSV columns (docs/accuracy.md): tried on those kinds unless
  // --no-metal-correction; other kinds are skipped (with a warning when --metal-correction
  // asked for it).
  std::optional<MetalStreakReport> corrected;
  if (rec.metal_correction != "off") {
    if (const detect::SampleKind kind = detect::structure_kind(vol, recipe, o.input);
        kind != detect::SampleKind::flip_chip && kind != detect::SampleKind::stack) {
      if (rec.metal_correction == "on")
        spdlog::warn("--metal-correction: not applied: it models the bumps of a flip chip or a stack, and this volume "
                     "reads as kind '{}'",
                     detect::to_string(kind));
    } else {
      const detect::MetalModel model = detect::fit_metal_model(vol);
      corrected = subtract_metal_streaks(scan.geometry, fdk_params_of(rec), model.columns, vol);
      if (!corrected->applied)
        spdlog::warn("metal correction: not applied: the model's reconstruction is {:.1f} % off the volume's metal "
                     "(above {:.0f} %; seen with many bumps on a ray, docs/accuracy.md): detecting on the plain volume",
                     100 * corrected->content_error, 100 * kMaxMetalContentError);
      // The fill level is what the columns' content is measured against: the median around
      // them in the uncorrected volume, not the underfill's own mu (flip-chip seed 13 of the
      // simulator: 0.168 /mm around the bumps for an underfill of 0.14).
      spdlog::info("metal streaks: {} metal columns modelled ({} voids in them; the fill around them reads {:.3f} /mm "
                   "before the correction), largest correction {:.3f} /mm, model within {:.1f} % of the volume's "
                   "metal, {:.1f} s",
                   corrected->columns, corrected->voids, model.fill_level, corrected->max_change,
                   100 * corrected->content_error, corrected->seconds);
    }
  }
  const fs::path volume_file = out.path() / "volume.mha";
  write_volume(volume_file, vol, VolumeDtype::float32);
  const std::string kept = (out.target() / "volume.mha").string();
  return detect_and_write(std::move(vol), recipe, kept, out, {o.input, kept, corrected}, g);
}

int run_info(const std::string& file, const VolumeReadOptions& read, const GlobalOptions&) {
  const fs::path p(file);
  if (!fs::exists(p)) throw InputError(file, "", "file not found");
  const bool volume_options = read.voxel_mm || !read.raw_size.empty();
  const ScanInputKind kind = volume_options ? ScanInputKind::unknown : scan_input_kind(p);
  if (kind == ScanInputKind::txrm) {
    // the file as stored, then (when its geometry can be established) the scan it converts to
    print_txrm_info(p);
    try {
      const Scan scan = load_txrm_scan(p);
      fmt::print("\n");
      print_scan_info(scan);
    } catch (const InputError& e) {
      fmt::print("as a scan       not convertible: {}\n", e.what());
    }
    return 0;
  }
  if (kind != ScanInputKind::unknown) {
    const Scan scan = load_any_scan(p);
    for (const auto& w : scan.warnings) spdlog::warn("{}", w);
    print_scan_info(scan);
    return 0;
  }
  print_volume_info(p, volume_source(file, read).header);
  return 0;
}

}  // namespace voidscan::cli
