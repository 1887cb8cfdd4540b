// Streaming volume writer: a volume file (MHA, NRRD or TIFF stack; volume_io.hpp describes the
// formats) written slab by slab, so a volume larger than memory goes straight to disk.
//
// Steps:
//  1. the constructor opens the output under a temporary name beside it (".NAME.partPID") and
//     writes the header (MHA/NRRD; a TIFF stack's first page carries its description);
//  2. append() takes the next slices in z order: z is the slowest axis of every format, so each
//     slab is a contiguous run appended to the file (one TIFF page per slice);
//  3. commit() checks every slice arrived, flushes, and renames the file to its final name.
//     A writer destroyed without commit() (an exception on the way) removes its temporaries.
// uint16 output needs its scale before the first sample is stored. Two ways:
//  - a range given by the caller ([lo, hi] in 1/mm onto 0..65535, values outside clamped):
//    samples are quantised as they arrive, nothing else is held;
//  - no range (the default): slabs are spooled as float32 to a second temporary file beside
//    the output while their finite minimum and maximum are tracked; commit() then converts the
//    spool into the uint16 file chunk by chunk and removes it. This costs disk (4 bytes a voxel,
//    transiently) and a second pass over it, not memory, and gives exactly the file
//    write_volume() writes for the same data (the same range rule: uint16_quantization()).
// write_volume() (volume_io.hpp) is this writer given the whole volume in one append.
// Test: tests/recon/test_volume_writer.cpp.
#pragma once
#include <filesystem>
#include <memory>
#include <optional>
#include <utility>

#include "recon/volume_io.hpp"

namespace voidscan {

class VolumeWriter {
 public:
  /// Opens `file` (format from its extension; InputError when unknown or not creatable).
  /// `uint16_range`: see above; ignored for float32.
  VolumeWriter(const std::filesystem::path& file, const VolumeGrid& grid, VolumeDtype dtype,
               std::optional<std::pair<double, double>> uint16_range = std::nullopt);
  ~VolumeWriter();
  VolumeWriter(const VolumeWriter&) = delete;
  VolumeWriter& operator=(const VolumeWriter&) = delete;

  /// Appends `slices` z-slices (nx * ny * slices floats, x fastest, 1/mm).
  void append(const float* data, int slices);
  /// All grid.nz slices appended: finishes the file and renames it into place.
  void commit();
  [[nodiscard]] int slices_written() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace voidscan
