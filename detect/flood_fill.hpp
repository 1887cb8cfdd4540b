// Outside air: the set voxels of a mask connected to the volume's x or y faces. A scanline
// flood fill (runs along x; one seed per run of set voxels in each of the four neighbouring
// rows): one pass over the reached voxels, a stack of run seeds, no image-sized temporaries.
// It replaced itk::ConnectedThresholdImageFilter, which spent ~8 s of the 12 s detection
// benchmark (512 x 512 x 256, docs/benchmarks.md) on this one fill.
// Test: tests/detect/test_flood_fill.cpp (against ITK's connected components).
#pragma once
#include <cstdint>

namespace voidscan::detect {

/// Sets out[q] = 1 for the voxels of `mask` (non-zero = set; x fastest, dims nx, ny, nz)
/// connected to the x or y faces of the box through set voxels (face connectivity), 0
/// elsewhere. The z faces are not a border: a hole running through a thin volume from bottom
/// to top is not connected to the outside.
void connected_to_lateral_faces(const std::uint8_t* mask, int nx, int ny, int nz, std::uint8_t* out);

}  // namespace voidscan::detect
