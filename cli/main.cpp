// voidscan: GPU-accelerated X-ray CT for semiconductor advanced packaging.
// Parses the command line (CLI11), maps errors to exit codes: 2 bad usage or input,
// 3 runtime failure; detect and run return 1 when a die fails. The subcommands live in
// cli/commands.cpp.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "recon/error.hpp"

int main(int argc, char** argv) {
  using namespace voidscan;
  CLI::App app{"voidscan: X-ray CT reconstruction and defect detection for advanced packaging"};
  app.set_version_flag("--version", std::string("voidscan ") + VOIDSCAN_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // --quiet and --log-level also after the subcommand
  cli::GlobalOptions global;
  app.add_flag("-q,--quiet", global.quiet, "No progress bar; only warnings and errors");
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

  cli::ReconstructOptions rec;
  auto* r = app.add_subcommand("reconstruct", "Reconstruct a volume from a scan with FDK");
  r->add_option("scan", rec.scan, "Scan manifest (scan.json)")->required();
  r->add_option("-o,--output", rec.output, "Output volume: .mha, .nrrd or .tif")->required();
  r->add_option("--device", rec.device, "auto (GPU when present), cpu or cuda")->capture_default_str();
  r->add_option("--filter", rec.filter, "ram-lak, shepp-logan, cosine, hamming or hann")->capture_default_str();
  r->add_option("--grid", rec.grid, "Grid size NX NY NZ (voxels)");
  r->add_option("--voxel", rec.voxel_mm, "Isotropic voxel size, mm");
  r->add_option("--center", rec.center_mm, "Grid centre X Y Z, mm");
  r->add_option("--dtype", rec.dtype, "float32 or uint16 (scale and offset in the header)")->capture_default_str();
  r->add_option("--batch", rec.batch, "Views per batch (1..1024)")->capture_default_str();
  r->add_option("--gpu-memory-limit", rec.gpu_memory_limit_mib, "Device memory cap, MiB (0: 90 % of free)");

  auto add_detect_options = [](CLI::App* c, cli::DetectOptions& d) {
    c->add_option("--recipe", d.recipe, "recipe.yaml: sample kind, layout, detection parameters, criteria");
    c->add_option("-o,--output", d.output, "Output folder (report.json, defects.csv, labels.mha, maps/)")->required();
    c->add_flag("--force", d.force, "Replace an existing non-empty output folder");
  };
  cli::DetectOptions det;
  auto* d = app.add_subcommand("detect", "Find voids and bond gaps in a volume; per-die verdicts and maps");
  d->add_option("volume", det.input, "Volume: .mha, .nrrd or .tif")->required();
  add_detect_options(d, det);

  cli::DetectOptions run;
  cli::ReconstructOptions run_rec;
  auto* rn = app.add_subcommand("run", "Reconstruct a scan (FDK) and detect defects in it");
  rn->add_option("scan", run.input, "Scan manifest (scan.json)")->required();
  add_detect_options(rn, run);
  rn->add_option("--device", run_rec.device, "auto (GPU when present), cpu or cuda")->capture_default_str();
  rn->add_option("--filter", run_rec.filter, "ram-lak, shepp-logan, cosine, hamming or hann")->capture_default_str();
  rn->add_option("--grid", run_rec.grid, "Grid size NX NY NZ (voxels)");
  rn->add_option("--voxel", run_rec.voxel_mm, "Isotropic voxel size, mm");
  rn->add_option("--center", run_rec.center_mm, "Grid centre X Y Z, mm");
  rn->add_option("--batch", run_rec.batch, "Views per batch (1..1024)")->capture_default_str();
  rn->add_option("--gpu-memory-limit", run_rec.gpu_memory_limit_mib, "Device memory cap, MiB (0: 90 % of free)");

  std::string info_file;
  auto* i = app.add_subcommand("info", "Describe a scan manifest or a volume file");
  i->add_option("file", info_file, "scan.json, .mha, .nrrd or .tif")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  spdlog::set_default_logger(spdlog::stderr_color_mt("voidscan"));  // stdout stays for results
  spdlog::set_pattern("%^%l%$: %v");
  spdlog::set_level(spdlog::level::from_str(global.log_level));
  if (global.quiet && spdlog::get_level() < spdlog::level::warn) spdlog::set_level(spdlog::level::warn);
  try {
    if (*r) return cli::run_reconstruct(rec, global);
    if (*i) return cli::run_info(info_file, global);
    if (*d) return cli::run_detect(det, global);
    if (*rn) return cli::run_run(run, run_rec, global);
  } catch (const InputError& e) {
    spdlog::error("{}", e.what());
    return 2;
  } catch (const RuntimeFailure& e) {
    spdlog::error("{}", e.what());
    if (!e.hint().empty()) spdlog::error("hint: {}", e.hint());
    return 3;
  } catch (const std::bad_alloc&) {
    spdlog::error("out of host memory");
    return 3;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 3;
  }
  return 2;
}
