// Host-side launchers of the FDK kernels (cuda/fdk_kernels.cu). They take raw device pointers
// and plain structs, enqueue on the given stream, check the launch (check.hpp) and return
// without synchronising. The backend (cuda/cuda_backend.cu) owns all memory.
//
// Steps of one batch, in the order the backend calls them:
//  1. launch_preweight:   rows of the padded FFT buffer *= preweight() (recon/fdk_math.hpp),
//                         columns outside the detector row and rows past the batch set to 0;
//  2. (cuFFT R2C, in place, by the backend)
//  3. launch_ramp_gain:   spectrum bin k *= response[k];
//  4. (cuFFT C2R, in place; copy of the first cols samples of each row into a layered array)
//  5. launch_backproject: the batch's views, in passes of <= kViewsPerPass, into the z-slab.
// Precision::fp16 (recon/backend.hpp): step 4's copy is launch_store_half instead (float rows
// rounded to half, written through a surface into a half layered array), and the slab is half:
// launch_backproject_half adds each pass's float sum to it, rounded to half.
// Test: tests/recon/test_fdk.cpp (parameterised over backends; the CUDA cases run where a GPU is).
#pragma once
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "recon/fdk_math.hpp"

namespace voidscan::cuda {

/// Views whose parameters sit in __constant__ memory for one backprojection launch: one pass,
/// which is also the fp16 rounding pass (kHalfPassViews of recon/backend.hpp; checked there).
inline constexpr int kViewsPerPass = 64;
/// Voxels along z accumulated by one backprojection thread.
inline constexpr int kVoxelsPerThread = 8;
/// Backprojection block: kBpBlockX x kBpBlockY threads over (i, j).
inline constexpr int kBpBlockX = 32;
inline constexpr int kBpBlockY = 8;

/// One view as the backprojector sees it: the homogeneous detector coordinates (c w, r w, w)
/// of voxel (0, 0, z0) of the slab, and their increments per voxel index along i, j and k.
/// Built on the host in double relative to the slab, so large world offsets cost no precision.
struct BpView {
  float h0[3];
  float di[3];
  float dj[3];
  float dk[3];
  float scale;  ///< bp_scale of the view
  float pad[3];
};

/// Throws RuntimeFailure when this build has no kernel image the current device can run.
void check_kernels_loadable();

/// rows_data: total_rows rows of `pitch` floats; floats [shift, shift + cols) of each of the
/// first valid_rows rows are a detector row (row r of view v is row v * rows + r; shift is
/// FdkPlan::col_shift); the rest of every row, and all rows from valid_rows on, are set to 0.
/// views: the batch's FdkViews on the device.
void launch_preweight(float* rows_data, int pitch, int cols, int shift, int rows, int valid_rows, int total_rows,
                      const FdkView* views, cudaStream_t stream);

/// spectrum: total_rows rows of `bins` complex values (float2); response: `bins` real gains.
void launch_ramp_gain(float2* spectrum, int bins, int total_rows, const float* response, cudaStream_t stream);

/// Adds views [0, nviews) into `slab` (nx * ny * nz floats, x fastest), in passes of at most
/// kViewsPerPass views (one constant-memory upload and one launch each). `params` (nviews
/// entries) must be pinned host memory left untouched until the stream has run these passes.
/// View v samples layer layer0 + v of `filtered` at (c + 0.5, r + 0.5).
void launch_backproject(const BpView* params, int nviews, int layer0, cudaTextureObject_t filtered,
                        float* slab, int nx, int ny, int nz, cudaStream_t stream);

/// fp16: rows of the filtered batch (`count` views x `rows` rows of `pitch` floats; the image of
/// view v, row r starts at rows_data[(v * rows + r) * pitch]) -> layers [0, count) of the half
/// array behind `surface`, columns [0, cols), each value rounded to nearest half.
void launch_store_half(const float* rows_data, int pitch, int cols, int rows, int count,
                       cudaSurfaceObject_t surface, cudaStream_t stream);

/// launch_backproject() for a half slab: each pass's contributions are summed in float from
/// zero and added to the voxel, the result rounded to half.
void launch_backproject_half(const BpView* params, int nviews, int layer0, cudaTextureObject_t filtered,
                             __half* slab, int nx, int ny, int nz, cudaStream_t stream);

/// out[i] = float(in[i]) for i in [0, n) (exact: every half is a float).
void launch_half_to_float(const __half* in, float* out, size_t n, cudaStream_t stream);

}  // namespace voidscan::cuda
