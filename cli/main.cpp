// voidscan: GPU-accelerated X-ray CT for semiconductor advanced packaging.
// Parses the command line (CLI11), maps errors to exit codes: 2 bad usage or input,
// 3 runtime failure. The subcommands live in cli/commands.cpp.
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
