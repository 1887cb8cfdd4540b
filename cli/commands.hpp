// The subcommands of the voidscan program. Each returns the process exit code:
// 0 success, 2 bad usage or bad input, 3 runtime failure (the mapping is in main.cpp).
#pragma once
#include <array>
#include <optional>
#include <string>

namespace voidscan::cli {

struct GlobalOptions {
  bool quiet = false;             ///< no progress bar, warnings and errors only
  std::string log_level = "info"; ///< trace, debug, info, warn, error, off
};

struct ReconstructOptions {
  std::string scan;                      ///< scan.json
  std::string output;                    ///< .mha (default), .nrrd or .tif
  std::string device = "auto";           ///< auto | cpu | cuda
  std::string filter = "ram-lak";        ///< ramp window
  std::optional<std::array<int, 3>> grid;       ///< voxels along x, y, z
  std::optional<double> voxel_mm;                ///< isotropic voxel size, mm
  std::optional<std::array<double, 3>> center_mm;  ///< grid centre, mm
  std::string dtype = "float32";         ///< float32 | uint16
  int batch = 32;                        ///< views per batch
  double gpu_memory_limit_mib = 0;       ///< 0 = 90 % of free device memory
  double memory_limit_mib = 0;           ///< host slab + batch buffers; 0 = 3/4 of physical memory
  std::string precision = "fp32";        ///< fp32 | fp16
  int read_threads = 0;                  ///< TIFF reading threads; 0 = one per core, at most 8
  std::optional<std::array<double, 2>> uint16_range;  ///< uint16 output: LO HI in 1/mm
};

int run_reconstruct(const ReconstructOptions& o, const GlobalOptions& g);
int run_info(const std::string& file, const GlobalOptions& g);

}  // namespace voidscan::cli
