// `voidscan simulate (PHANTOM.json | --preset NAME) -o SCANDIR [...]`: a package phantom,
// projected as a lab CT would see it, into a scan folder with its ground truth (sim/).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "recon/backend.hpp"
#include "recon/error.hpp"
#include "recon/scan.hpp"
#include "sim/presets.hpp"
#include "sim/simulate.hpp"
#include "sim/truth.hpp"

namespace voidscan::cli {

int run_simulate(const SimulateOptions& o, const GlobalOptions& g) {
  if (o.phantom.empty() == o.preset.empty())
    throw InputError("", "phantom", "give either a phantom file or --preset NAME (" + fmt::format("{}", fmt::join(sim::preset_names(), ", ")) + ")");
  if (o.list_params) {
    for (const auto& p : sim::preset_params(o.preset))
      fmt::print("{:<24} {:>8g}  [{:g}, {:g}]  {}\n", p.name, p.value, p.min, p.max, p.meaning);
    return 0;
  }
  sim::SimulateParams params;
  if (o.views) params.views = *o.views;
  if (o.i0) params.i0 = *o.i0;
  if (o.seed) params.seed = *o.seed;
  if (o.voxel_mm) params.voxel_mm = *o.voxel_mm;
  if (o.blur_px) params.blur_px = *o.blur_px;
  if (o.focal_spot_mm) params.focal_spot_mm = *o.focal_spot_mm;
  if (o.supersample) params.supersample = *o.supersample;
  if (o.frames) params.frames = *o.frames;
  params.device = parse_device(o.device);
  params.truth_volume = o.truth_volume;
  params.force = o.force;
  sim::validate(params);

  sim::PackagePhantom phantom;
  if (!o.preset.empty()) {
    std::map<std::string, double> over;
    for (const auto& kv : o.params) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos) throw InputError("", "--param " + kv, "expected NAME=VALUE");
      try {
        size_t used = 0;
        const double v = std::stod(kv.substr(eq + 1), &used);
        if (used != kv.size() - eq - 1) throw std::invalid_argument("trailing text");
        over[kv.substr(0, eq)] = v;
      } catch (const std::exception&) {
        throw InputError("", "--param " + kv, "the value is not a number");
      }
    }
    phantom = sim::make_preset(o.preset, params.seed, over);
  } else {
    if (!o.params.empty()) throw InputError("", "--param", "preset parameters need --preset");
    phantom = sim::load_phantom(o.phantom);
  }
  std::vector<std::string> warnings;
  (void)sim::truth_defects(phantom, &warnings);
  for (const auto& w : warnings) spdlog::warn("{}", w);

  std::optional<Scan> existing;
  if (!o.geometry.empty()) {
    existing = load_scan(o.geometry);
    for (const auto& w : existing->warnings) spdlog::warn("{}", w);
    if (o.views || o.voxel_mm) spdlog::warn("--views and --voxel are ignored: the views come from {}", o.geometry);
  }
  ProgressBar bar("simulate", !g.quiet);
  const auto r = sim::simulate(phantom, params, o.output, existing, [&](double f) { bar.update(f); });
  bar.finish();
  spdlog::info("{}: {} views of {} x {} pixels, {} planted defects, {:.2f} s per view ({:.1f} s in all, projector {})",
               r.scan_json.string(), r.views, r.cols, r.rows, r.defects, r.seconds_per_view, r.seconds, r.projector);
  spdlog::info("grid {} x {} x {} voxels of {:.3g} um", r.grid.nx, r.grid.ny, r.grid.nz, r.grid.sx * 1000);
  return 0;
}

}  // namespace voidscan::cli
