// The subcommands of the voidscan program. Each returns the process exit code:
// 0 success, 2 bad usage or bad input, 3 runtime failure (the mapping is in main.cpp);
// detect and run return 1 when the analysis judged any die a failure.
#pragma once
#include <array>
#include <optional>
#include <cstdint>
#include <string>
#include <vector>

namespace voidscan::cli {

struct GlobalOptions {
  bool quiet = false;             ///< no progress bar, warnings and errors only
  std::string log_level = "info"; ///< trace, debug, info, warn, error, off
};

struct ReconstructOptions {
  std::string scan;                      ///< scan.json
  std::string output;                    ///< .mha (default), .nrrd or .tif
  std::string device = "auto";           ///< auto | cpu | cuda
  std::string filter = "ram-lak";        ///< ramp window (`run`: kRunFilter)
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
  /// run only: subtract the metal's own reconstruction streaks (recon/metal_streaks.hpp) before
  /// detection. "auto" (default): where the volume reads as a flip chip or a stack (the kinds
  /// its model fits), skipped quietly otherwise; "on" (--metal-correction): the same, with a
  /// warning when skipped; "off" (--no-metal-correction): never.
  std::string metal_correction = "auto";
};

/// `voidscan detect` and the detection half of `voidscan run`.
/// How `detect` and `info` read a volume that does not state its layout or voxel size.
struct VolumeReadOptions {
  std::optional<double> voxel_mm;    ///< isotropic voxel size, mm (> 0); overrides the file's, keeps voxel 0's position
  std::vector<int> raw_size;         ///< NX NY NZ of a headerless raw file; empty = not raw
  std::string raw_dtype = "uint16";  ///< raw sample type: uint8, uint16, int16, float32
  uint64_t raw_header_bytes = 0;     ///< bytes to skip at the start of a raw file
  bool raw_big_endian = false;       ///< raw samples stored big-endian
};

/// The ramp window `run` reconstructs with unless --filter says otherwise: Hann, the window the
/// detection stage is tuned and measured on (docs/accuracy.md); its lower noise and weaker
/// ringing at metal edges matter more to detection than the resolution ram-lak keeps.
inline constexpr const char* kRunFilter = "hann";

struct DetectOptions {
  std::string input;      ///< detect: the volume (.mha, .nrrd, .tif); run: the scan manifest
  std::string recipe;     ///< recipe.yaml; "" = every default
  std::string output;     ///< OUTDIR: created complete at the end, or not at all
  bool force = false;     ///< replace a non-empty OUTDIR
  VolumeReadOptions read;  ///< detect only: how to read the volume
};

int run_reconstruct(const ReconstructOptions& o, const GlobalOptions& g);
/// Detects defects in a volume file; 0 when every die passes, 1 when any fails.
int run_detect(const DetectOptions& o, const GlobalOptions& g);
/// Reconstructs `o.input` with `rec`'s options (its scan and output fields are ignored), keeps
/// the volume as OUTDIR/volume.mha, then detects as run_detect does.
int run_run(const DetectOptions& o, const ReconstructOptions& rec, const GlobalOptions& g);

struct SimulateOptions {
  std::string phantom;                   ///< phantom.json, or empty with a preset
  std::string preset;                    ///< flip-chip | hybrid-bond | hbm-stack
  std::vector<std::string> params;       ///< preset overrides NAME=VALUE
  bool list_params = false;              ///< print the preset's parameters and stop
  std::string output;                    ///< scan folder
  std::string geometry;                  ///< scan.json whose views, detector and grid to reuse
  std::optional<int> views;
  std::optional<double> i0, voxel_mm, blur_px, focal_spot_mm;
  std::optional<uint64_t> seed;
  std::optional<int> supersample, frames;
  std::string device = "auto";           ///< projector: auto | cpu | cuda
  bool truth_volume = false;
  bool force = false;
};
int run_simulate(const SimulateOptions& o, const GlobalOptions& g);
/// `voidscan convert INPUT -o scan.json`: any scan load_any_scan reads -> a native manifest
/// with per-view vectors (written atomically), projection paths relative to it.
int run_convert(const std::string& input, const std::string& output, const GlobalOptions& g);
/// Describes a scan or a volume; `read` as for detect (volumes only).
int run_info(const std::string& file, const VolumeReadOptions& read, const GlobalOptions& g);

}  // namespace voidscan::cli
