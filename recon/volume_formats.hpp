// Reconstructed volumes made by vendor software, for detection: VGSTUDIO .vgi (+ raw .vol),
// ZEISS .txm (OLE2, one image per z slice, read with recon/txrm), folders of TIFF slices, and
// raw files described by the caller (a header given on the command line). 8/16-bit integer
// and 32-bit float samples. Every reader can read z-slabs [z0, z1) so a volume larger than
// memory is processed slab by slab. read_volume / read_volume_header (recon/volume_io.hpp)
// hand these formats to this file. Field mapping: docs/formats.md ("Vendor volumes").
// Test: tests/recon/test_volume_formats.cpp.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "recon/volume_io.hpp"

namespace voidscan {

/// A raw volume's layout, from the command line or a vendor header. x fastest, then y, z.
struct RawVolumeSpec {
  int nx = 0, ny = 0, nz = 0;       ///< voxels, >= 1 each
  std::string dtype = "uint16";     ///< "uint8", "uint16", "int16", "float32"
  double sx = 1, sy = 1, sz = 1;    ///< voxel size, mm, > 0
  Vec3 origin;                      ///< centre of voxel 0, mm
  uint64_t header_bytes = 0;        ///< bytes to skip before the samples
  bool big_endian = false;
};

/// True for the formats this file reads: .vgi, .txm, a folder (TIFF slices), .raw/.vol.
[[nodiscard]] bool is_vendor_volume(const std::filesystem::path& file);

/// Header of a vendor volume. `voxel_mm`, when given, overrides the voxel size (TIFF slices
/// without resolution tags have 1 mm otherwise). Throws InputError naming file and field.
[[nodiscard]] VolumeHeader read_vendor_volume_header(const std::filesystem::path& file,
                                                     std::optional<double> voxel_mm = std::nullopt);

/// Slices [z0, z1) as float into out ((z1 - z0) * nx * ny values, x fastest). Also reads
/// .mha/.mhd/.nrrd/.tif volumes (read_own_volume_slab: only the slab's bytes are read).
void read_volume_slab(const std::filesystem::path& file, int z0, int z1, float* out,
                      std::optional<double> voxel_mm = std::nullopt);

/// The whole vendor volume (read_volume_slab over all slices).
[[nodiscard]] Volume read_vendor_volume(const std::filesystem::path& file, std::optional<double> voxel_mm = std::nullopt);

/// A raw file with a caller-given layout: header (checks the file size) and slabs.
[[nodiscard]] VolumeHeader raw_volume_header(const std::filesystem::path& file, const RawVolumeSpec& spec);
void read_raw_volume_slab(const std::filesystem::path& file, const RawVolumeSpec& spec, int z0, int z1, float* out);

/// The layout a .vgi header gives (its .vol file resolved next to it).
[[nodiscard]] RawVolumeSpec parse_vgi(const std::filesystem::path& vgi, std::filesystem::path* data_file);

}  // namespace voidscan
