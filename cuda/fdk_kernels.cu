// The FDK kernels of the CUDA backend and their launchers (declared in cuda/fdk_kernels.cuh).
//  - preweight_kernel:   one thread per padded column, grid-stride over rows; multiplies by
//                        preweight() from recon/fdk_math.hpp (the CPU backend's function) and
//                        zeroes the padding and the rows past the batch, so the buffer is ready
//                        for an in-place R2C over a full batch.
//  - ramp_gain_kernel:   one thread per spectrum bin, grid-stride over rows; bin k *= response[k].
//  - backproject_kernel: one thread per (i, j) and kVoxelsPerThread consecutive k; for each view
//                        of the pass (parameters in __constant__ memory) the homogeneous
//                        coordinates are h0 + i di + j dj + k dk, c = cw / w, r = rw / w, and
//                        bp_scale / w^2 * tex(c + 0.5, r + 0.5, layer) is accumulated in
//                        registers; the slab is read-modified-written once per pass.
//  - store_half_kernel:  fp16 only: one thread per column, grid-stride over rows; rounds the
//                        filtered float rows to half into the half layered array (a surface).
//  - half_to_float_kernel: fp16 only: grid-stride widening of a chunk of the half slab to float,
//                        for end_slab's read-back.
// The texture (bilinear, border 0, unnormalised) computes sample_bilinear() of fdk_math.hpp
// with the hardware's 8-bit fractional weights. backproject_kernel is a template over the
// slab's storage: float (+=) or __half (float sum of the pass added, rounded to half).
// Test: tests/recon/test_fdk.cpp (parameterised over backends; the CUDA cases run where a GPU is).
#include <cstddef>
#include <string>

#include "cuda/check.hpp"
#include "cuda/fdk_kernels.cuh"

namespace voidscan::cuda {
namespace {

/// The views of the current backprojection pass; uploaded (stream-ordered) before each launch.
__constant__ BpView c_pass_views[kViewsPerPass];

constexpr int kRowBlock = 128;       ///< threads per block of the row kernels
constexpr int kMaxGridY = 65535;     ///< CUDA's limit on gridDim.y

__global__ void preweight_kernel(float* __restrict__ data, int pitch, int cols, int shift, int rows, int valid_rows,
                                 int total_rows, const FdkView* __restrict__ views) {
  const int pos = blockIdx.x * blockDim.x + threadIdx.x;  // position in the padded row
  if (pos >= pitch) return;
  const int c = pos - shift;                               // detector column held there
  for (int row = blockIdx.y; row < total_rows; row += gridDim.y) {
    float* p = data + size_t(row) * size_t(pitch);
    if (c >= 0 && c < cols && row < valid_rows) {
      const int v = row / rows;
      const int r = row - v * rows;
      p[pos] *= preweight(views[v], c, r, cols, rows);
    } else {
      p[pos] = 0.f;
    }
  }
}

__global__ void ramp_gain_kernel(float2* __restrict__ spectrum, int bins, int total_rows,
                                 const float* __restrict__ response) {
  const int k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= bins) return;
  const float g = response[k];
  for (int row = blockIdx.y; row < total_rows; row += gridDim.y) {
    float2& s = spectrum[size_t(row) * size_t(bins) + size_t(k)];
    s.x *= g;
    s.y *= g;
  }
}

/// The slab's storage: float adds the pass in float; __half adds it in float and rounds.
__device__ __forceinline__ void accumulate(float* p, float sum) { *p += sum; }
__device__ __forceinline__ void accumulate(__half* p, float sum) { *p = __float2half_rn(__half2float(*p) + sum); }

template <class Voxel>
__global__ void __launch_bounds__(kBpBlockX * kBpBlockY)
    backproject_kernel(cudaTextureObject_t filtered, int nviews, int layer0, Voxel* __restrict__ slab, int nx,
                       int ny, int nz) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  const int j = blockIdx.y * blockDim.y + threadIdx.y;
  const int k0 = blockIdx.z * kVoxelsPerThread;
  if (i >= nx || j >= ny || k0 >= nz) return;
  const int nk = min(kVoxelsPerThread, nz - k0);
  const float fi = float(i), fj = float(j), fk0 = float(k0);

  float acc[kVoxelsPerThread];
#pragma unroll
  for (int kk = 0; kk < kVoxelsPerThread; ++kk) acc[kk] = 0.f;

  for (int v = 0; v < nviews; ++v) {
    const BpView& p = c_pass_views[v];
    // coordinates of voxel (i, j, k0) relative to the slab's voxel (0, 0, 0)
    const float hc = fmaf(fk0, p.dk[0], fmaf(fj, p.dj[0], fmaf(fi, p.di[0], p.h0[0])));
    const float hr = fmaf(fk0, p.dk[1], fmaf(fj, p.dj[1], fmaf(fi, p.di[1], p.h0[1])));
    const float hw = fmaf(fk0, p.dk[2], fmaf(fj, p.dj[2], fmaf(fi, p.di[2], p.h0[2])));
    const int layer = layer0 + v;
#pragma unroll
    for (int kk = 0; kk < kVoxelsPerThread; ++kk) {
      if (kk < nk) {
        const float fk = float(kk);
        const float w = fmaf(fk, p.dk[2], hw);
        const float inv_w = __fdividef(1.f, w);
        const float c = fmaf(fk, p.dk[0], hc) * inv_w;
        const float r = fmaf(fk, p.dk[1], hr) * inv_w;
        const float value = tex2DLayered<float>(filtered, c + 0.5f, r + 0.5f, layer);
        acc[kk] = fmaf(p.scale * inv_w * inv_w, value, acc[kk]);
      }
    }
  }

  const size_t plane = size_t(nx) * size_t(ny);
  Voxel* out = slab + size_t(k0) * plane + size_t(j) * size_t(nx) + size_t(i);
#pragma unroll
  for (int kk = 0; kk < kVoxelsPerThread; ++kk) {
    if (kk < nk) accumulate(out + size_t(kk) * plane, acc[kk]);
  }
}

__global__ void half_to_float_kernel(const __half* __restrict__ in, float* __restrict__ out, size_t n) {
  const size_t stride = size_t(gridDim.x) * size_t(blockDim.x);
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) out[i] = __half2float(in[i]);
}

__global__ void store_half_kernel(const float* __restrict__ data, int pitch, int cols, int rows, int total_rows,
                                  cudaSurfaceObject_t surface) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= cols) return;
  for (int row = blockIdx.y; row < total_rows; row += gridDim.y) {
    const int v = row / rows, r = row - v * rows;
    const __half h = __float2half_rn(data[size_t(row) * size_t(pitch) + size_t(c)]);
    surf2DLayeredwrite(__half_as_ushort(h), surface, c * int(sizeof(unsigned short)), r, v);
  }
}

int rows_grid_y(int total_rows) { return total_rows < kMaxGridY ? total_rows : kMaxGridY; }

}  // namespace

void check_kernels_loadable() {
  detail::check_kernel_image(reinterpret_cast<const void*>(&backproject_kernel<float>));
}

void launch_preweight(float* rows_data, int pitch, int cols, int shift, int rows, int valid_rows, int total_rows,
                      const FdkView* views, cudaStream_t stream) {
  if (total_rows <= 0 || pitch <= 0) return;
  const dim3 block(kRowBlock);
  const dim3 grid((unsigned(pitch) + kRowBlock - 1) / kRowBlock, unsigned(rows_grid_y(total_rows)));
  preweight_kernel<<<grid, block, 0, stream>>>(rows_data, pitch, cols, shift, rows, valid_rows, total_rows, views);
  VS_CUDA_CHECK_LAUNCH();
}

void launch_ramp_gain(float2* spectrum, int bins, int total_rows, const float* response, cudaStream_t stream) {
  if (total_rows <= 0 || bins <= 0) return;
  const dim3 block(kRowBlock);
  const dim3 grid((unsigned(bins) + kRowBlock - 1) / kRowBlock, unsigned(rows_grid_y(total_rows)));
  ramp_gain_kernel<<<grid, block, 0, stream>>>(spectrum, bins, total_rows, response);
  VS_CUDA_CHECK_LAUNCH();
}

namespace {
template <class Voxel>
void backproject_passes(const BpView* params, int nviews, int layer0, cudaTextureObject_t filtered, Voxel* slab,
                        int nx, int ny, int nz, cudaStream_t stream) {
  if (nviews <= 0 || nx <= 0 || ny <= 0 || nz <= 0) return;
  const dim3 block(kBpBlockX, kBpBlockY);
  const dim3 grid((unsigned(nx) + kBpBlockX - 1) / kBpBlockX, (unsigned(ny) + kBpBlockY - 1) / kBpBlockY,
                  (unsigned(nz) + kVoxelsPerThread - 1) / kVoxelsPerThread);
  if (grid.y > unsigned(kMaxGridY) || grid.z > unsigned(kMaxGridY))
    throw RuntimeFailure("CUDA backprojection: grid of " + std::to_string(nx) + " x " + std::to_string(ny) + " x " +
                             std::to_string(nz) + " voxels exceeds the launch limits",
                         "use a smaller grid or --device cpu");
  // One pass per kViewsPerPass views: upload their parameters to constant memory (ordered on
  // the stream after the previous pass's kernel), then launch.
  for (int first = 0; first < nviews; first += kViewsPerPass) {
    const int n = nviews - first < kViewsPerPass ? nviews - first : kViewsPerPass;
    VS_CUDA_CHECK(cudaMemcpyToSymbolAsync(c_pass_views, params + first, sizeof(BpView) * size_t(n), 0,
                                          cudaMemcpyHostToDevice, stream));
    backproject_kernel<Voxel><<<grid, block, 0, stream>>>(filtered, n, layer0 + first, slab, nx, ny, nz);
    VS_CUDA_CHECK_LAUNCH();
  }
}
}  // namespace

void launch_backproject(const BpView* params, int nviews, int layer0, cudaTextureObject_t filtered, float* slab,
                        int nx, int ny, int nz, cudaStream_t stream) {
  backproject_passes(params, nviews, layer0, filtered, slab, nx, ny, nz, stream);
}

void launch_backproject_half(const BpView* params, int nviews, int layer0, cudaTextureObject_t filtered,
                             __half* slab, int nx, int ny, int nz, cudaStream_t stream) {
  backproject_passes(params, nviews, layer0, filtered, slab, nx, ny, nz, stream);
}

void launch_store_half(const float* rows_data, int pitch, int cols, int rows, int count,
                       cudaSurfaceObject_t surface, cudaStream_t stream) {
  const int total_rows = count * rows;
  if (total_rows <= 0 || cols <= 0) return;
  const dim3 block(kRowBlock);
  const dim3 grid((unsigned(cols) + kRowBlock - 1) / kRowBlock, unsigned(rows_grid_y(total_rows)));
  store_half_kernel<<<grid, block, 0, stream>>>(rows_data, pitch, cols, rows, total_rows, surface);
  VS_CUDA_CHECK_LAUNCH();
}

void launch_half_to_float(const __half* in, float* out, size_t n, cudaStream_t stream) {
  if (n == 0) return;
  constexpr unsigned kThreads = 256;
  const size_t wanted = (n + kThreads - 1) / kThreads;
  const unsigned blocks = unsigned(wanted < size_t(1) << 16 ? wanted : size_t(1) << 16);
  half_to_float_kernel<<<blocks, kThreads, 0, stream>>>(in, out, n);
  VS_CUDA_CHECK_LAUNCH();
}

}  // namespace voidscan::cuda
