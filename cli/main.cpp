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
  r->add_option("scan", rec.scan, "Scan: scan.json, Nikon .xtekct, ZEISS .txrm or SkyScan .log (or their folder)")
      ->required();
  r->add_option("-o,--output", rec.output, "Output volume: .mha, .nrrd or .tif")->required();
  r->add_option("--device", rec.device, "auto (GPU when present), cpu or cuda")->capture_default_str();
  r->add_option("--filter", rec.filter, "ram-lak, shepp-logan, cosine, hamming or hann")->capture_default_str();
  r->add_option("--grid", rec.grid, "Grid size NX NY NZ (voxels)");
  r->add_option("--voxel", rec.voxel_mm, "Isotropic voxel size, mm");
  r->add_option("--center", rec.center_mm, "Grid centre X Y Z, mm");
  r->add_option("--dtype", rec.dtype, "float32 or uint16 (scale and offset in the header)")->capture_default_str();
  r->add_option("--batch", rec.batch, "Views per batch (1..1024)")->capture_default_str();
  r->add_option("--gpu-memory-limit", rec.gpu_memory_limit_mib, "Device memory cap, MiB (0: 90 % of free)");
  r->add_option("--memory-limit", rec.memory_limit_mib,
                "Host memory cap for the slab and batch buffers, MiB (0: 3/4 of physical memory); the volume is "
                "reconstructed and written in z-slabs that fit");
  r->add_option("--precision", rec.precision, "fp32 or fp16 (filtered projections and slab stored as half floats)")
      ->capture_default_str();
  r->add_option("--read-threads", rec.read_threads, "Threads reading TIFFs (0: one per core, at most 8)")
      ->capture_default_str();
  r->add_option("--uint16-range", rec.uint16_range,
                "uint16 only: attenuation LO HI (1/mm) mapped onto 0..65535 (default: the volume's own range, "
                "found through a float32 temporary file beside the output)");

  std::string convert_in, convert_out;
  auto* c = app.add_subcommand("convert", "Convert a vendor scan (Nikon, ZEISS, Bruker) into scan.json");
  c->add_option("input", convert_in, "Nikon .xtekct, ZEISS .txrm or SkyScan .log (or their folder), or scan.json")
      ->required();
  c->add_option("-o,--output", convert_out, "The scan.json to write")->required();

  auto add_detect_options = [](CLI::App* c, cli::DetectOptions& d) {
    c->add_option("--recipe", d.recipe, "recipe.yaml: sample kind, layout, detection parameters, criteria");
    c->add_option("-o,--output", d.output, "Output folder (report.json, defects.csv, labels.mha, maps/)")->required();
    c->add_flag("--force", d.force, "Replace an existing non-empty output folder");
  };
  auto add_volume_read_options = [](CLI::App* c, cli::VolumeReadOptions& r) {
    c->add_option("--voxel", r.voxel_mm, "Isotropic voxel size, mm: for volumes that state none (or to override)");
    c->add_option("--raw-size", r.raw_size, "Read the volume as headerless raw data of NX NY NZ voxels (x fastest)")
        ->expected(3);
    c->add_option("--raw-dtype", r.raw_dtype, "Raw sample type: uint8, uint16, int16 or float32")->capture_default_str();
    c->add_option("--raw-header-bytes", r.raw_header_bytes, "Raw: bytes to skip before the samples")
        ->capture_default_str();
    c->add_flag("--raw-big-endian", r.raw_big_endian, "Raw: samples are big-endian");
  };
  cli::DetectOptions det;
  auto* d = app.add_subcommand("detect", "Find voids and bond gaps in a volume; per-die verdicts and maps");
  d->add_option("volume", det.input,
                "Volume: .mha/.mhd, .nrrd, .tif stack, folder of TIFF slices, ZEISS .txm, VGSTUDIO .vgi, or raw "
                "with --raw-size")
      ->required();
  add_detect_options(d, det);
  add_volume_read_options(d, det.read);

  cli::DetectOptions run;
  cli::ReconstructOptions run_rec;
  run_rec.filter = cli::kRunFilter;
  auto* rn = app.add_subcommand("run", "Reconstruct a scan (FDK) and detect defects in it");
  rn->add_option("scan", run.input, "scan.json, Nikon .xtekct, ZEISS .txrm or SkyScan .log (or their folder)")->required();
  add_detect_options(rn, run);
  rn->add_option("--device", run_rec.device, "auto (GPU when present), cpu or cuda")->capture_default_str();
  rn->add_option("--filter", run_rec.filter, "ram-lak, shepp-logan, cosine, hamming or hann")->capture_default_str();
  auto* mc_on = rn->add_flag_callback(
      "--metal-correction", [&run_rec] { run_rec.metal_correction = "on"; },
      "Subtract the streaks the bumps' (and TSVs') metal leaves in the reconstruction before detection "
      "(model-based; the default where the volume reads as a flip chip or a stack): warn when it does not");
  rn->add_flag_callback("--no-metal-correction", [&run_rec] { run_rec.metal_correction = "off"; },
                        "Detect on the plain reconstruction, streaks and all")
      ->excludes(mc_on);
  rn->add_option("--grid", run_rec.grid, "Grid size NX NY NZ (voxels)");
  rn->add_option("--voxel", run_rec.voxel_mm, "Isotropic voxel size, mm");
  rn->add_option("--center", run_rec.center_mm, "Grid centre X Y Z, mm");
  rn->add_option("--batch", run_rec.batch, "Views per batch (1..1024)")->capture_default_str();
  rn->add_option("--gpu-memory-limit", run_rec.gpu_memory_limit_mib, "Device memory cap, MiB (0: 90 % of free)");
  rn->add_option("--memory-limit", run_rec.memory_limit_mib,
                 "Host memory cap for the reconstruction's slab and batch buffers, MiB (0: 3/4 of physical memory)");
  rn->add_option("--precision", run_rec.precision, "fp32 or fp16 (filtered projections and slab stored as half floats)")
      ->capture_default_str();
  rn->add_option("--read-threads", run_rec.read_threads, "Threads reading TIFFs (0: one per core, at most 8)")
      ->capture_default_str();

  std::string info_file;
  auto* i = app.add_subcommand("info", "Describe a scan manifest or a volume file");
  i->add_option("file", info_file, "a scan (scan.json, .xtekct, .txrm, SkyScan .log, or a folder) or a volume")
      ->required();
  cli::VolumeReadOptions info_read;
  add_volume_read_options(i, info_read);

  cli::SimulateOptions sim;
  auto* s = app.add_subcommand("simulate", "Simulate a lab CT scan of a package phantom with planted defects");
  s->add_option("phantom", sim.phantom, "Phantom file (phantom.json); or use --preset");
  s->add_option("--preset", sim.preset, "flip-chip, hybrid-bond or hbm-stack");
  s->add_option("--param", sim.params, "Preset parameter override NAME=VALUE (repeatable; see --list-params)");
  s->add_flag("--list-params", sim.list_params, "Print the preset's parameters, defaults and ranges, then stop");
  s->add_option("-o,--output", sim.output, "Output scan folder (scan.json, proj/, phantom.json, truth.json)");
  s->add_option("--geometry", sim.geometry, "Reuse the views, detector and grid of this scan.json");
  s->add_option("--views", sim.views, "Views over 360 degrees (default 720)");
  s->add_option("--i0", sim.i0, "Unattenuated counts per pixel (default 20000; 0: noise-free line integrals)");
  s->add_option("--frames", sim.frames, "Exposures averaged per view (default 10)");
  s->add_option("--seed", sim.seed, "Seed of the defects and the noise (default 1)");
  s->add_option("--voxel", sim.voxel_mm, "Voxel size the magnification is set for, mm (default 0.001)");
  s->add_option("--blur-px", sim.blur_px, "Detector blur, Gaussian sigma in pixels (default 0)");
  s->add_option("--focal-spot-mm", sim.focal_spot_mm, "Focal spot FWHM at the source, mm (default 0)");
  s->add_option("--supersample", sim.supersample, "Rays per pixel along each axis, 1..8 (default 2)");
  s->add_option("--device", sim.device, "Projector: auto (GPU when present), cpu or cuda")->capture_default_str();
  s->add_flag("--truth-volume", sim.truth_volume, "Also write truth_mu.mha and truth_labels.mha on the scan's grid");
  s->add_flag("--force", sim.force, "Replace an existing non-empty output folder");

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
    if (*i) return cli::run_info(info_file, info_read, global);
    if (*d) return cli::run_detect(det, global);
    if (*rn) return cli::run_run(run, run_rec, global);
    if (*s) {
      if (sim.output.empty() && !sim.list_params) throw InputError("", "--output", "required: the scan folder to write");
      return cli::run_simulate(sim, global);
    }
    if (*c) return cli::run_convert(convert_in, convert_out, global);
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
