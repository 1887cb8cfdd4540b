// Volume files: MHA (MetaImage, one file), NRRD (attached data), TIFF stack (one multi-page
// file). Written under a temporary name and renamed. Spacing and origin (the centre of voxel
// 0) in mm, identity direction. uint16 output maps v -> round((v - offset) / scale), with
// scale and offset recorded in the header (MHA: "VoidscanScale"/"VoidscanOffset" fields,
// NRRD: "voidscan_scale:=" key/values, TIFF: JSON in ImageDescription) so readers recover
// attenuation in 1/mm. Test: tests/recon/test_volume_io.cpp.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "recon/geometry.hpp"

namespace voidscan {

struct Volume {
  VolumeGrid grid;
  std::vector<float> data;  ///< nx * ny * nz, x fastest; linear attenuation, 1/mm
};

enum class VolumeFormat { mha, nrrd, tiff };
enum class VolumeDtype { float32, uint16 };

/// From the file extension: .mha, .nrrd, .tif/.tiff. Throws InputError for anything else.
[[nodiscard]] VolumeFormat volume_format_from_path(const std::filesystem::path& p);
[[nodiscard]] VolumeDtype parse_volume_dtype(const std::string& s);  ///< "float32" | "uint16"

void write_volume(const std::filesystem::path& file, const Volume& vol, VolumeDtype dtype);

struct VolumeHeader {
  int nx = 0, ny = 0, nz = 0;
  double sx = 0, sy = 0, sz = 0;    ///< spacing, mm
  Vec3 origin;                      ///< centre of voxel 0, mm
  std::string dtype;                ///< "float32", "uint16", "uint8", "int16"
  double scale = 1, offset = 0;     ///< stored value s -> s * scale + offset
  bool spacing_given = true;        ///< false: the file states no spacing, 1 mm was assumed
};

/// Reads the header of an MHA or NRRD file (data attached, raw encoding) or a TIFF stack.
[[nodiscard]] VolumeHeader read_volume_header(const std::filesystem::path& file);
/// Reads the whole volume as float (scale and offset applied). Throws InputError on a
/// truncated file or a header it cannot use.
[[nodiscard]] Volume read_volume(const std::filesystem::path& file);

/// Slices [z0, z1) of an .mha/.mhd, .nrrd or .tif volume as floats into out ((z1 - z0) * nx * ny
/// values, x fastest, scale and offset applied), reading only those slices from the file.
/// Throws InputError naming the file for a slab outside the volume or a short file.
void read_own_volume_slab(const std::filesystem::path& file, int z0, int z1, float* out);

namespace detail {
/// Throws InputError naming `file` unless 0 <= z0 < z1 <= nz.
void check_slab(const std::filesystem::path& file, int nz, int z0, int z1);
/// Slices [z0, z1) of raw samples of h.dtype (h.nx x h.ny each, byte-swapped when `swap`) that
/// start at byte `offset` of `data_file`, decoded into out (scale and offset applied).
void read_raw_slices(const std::filesystem::path& data_file, uint64_t offset, const VolumeHeader& h, bool swap, int z0,
                     int z1, float* out);
/// Bytes per stored sample of `dtype` ("float32" 4, "uint16"/"int16" 2, "uint8" 1).
[[nodiscard]] size_t dtype_bytes(const std::string& dtype);
/// n stored samples of h.dtype (byte-swapped when `swap`) -> floats, h.scale and h.offset applied.
void decode(const unsigned char* src, size_t n, bool swap, const VolumeHeader& h, float* dst);
}  // namespace detail

/// Writes to `file` atomically: calls write(tmp) then renames tmp to file; removes tmp
/// if write throws. Every writer of the project goes through it.
template <class WriteFn>
void write_atomically(const std::filesystem::path& file, WriteFn&& write);

}  // namespace voidscan

#include "recon/atomic_write.inl"
