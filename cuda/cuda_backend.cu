// The CUDA backend of FDK (entry points in cuda/cuda_backend.hpp). It computes the same function
// as the CPU backend (recon/backend_cpu.cpp), per batch of views:
//  1. the host projections are copied into a pinned staging buffer (two, used alternately, so
//     add_views returns as soon as its input is copied) and uploaded on a copy stream, as a
//     pitched 2D copy, straight into the rows of the padded in-place FFT buffer;
//  2. pre-weight (preweight() of recon/fdk_math.hpp) and zero padding, in place;
//  3. ramp filter: batched in-place cuFFT R2C over all rows of the batch, bin k *= response[k],
//     C2R; the first `cols` samples of each row are copied into a layered cudaArray (one layer
//     per view) read through a bilinear, border-0 texture;
//  4. backprojection into the device z-slab, in passes of kViewsPerPass views whose parameters
//     (built here in double, relative to the slab's first voxel) go to __constant__ memory.
// Overlap: the upload of batch n+1 waits only until batch n's FFT buffer has been copied into
// the texture array, so it runs while batch n backprojects; the host copy into staging slot s
// waits until the batch that last used slot s has finished on the device.
// The slab accumulates on the device; end_slab copies it into the caller's `out` and
// synchronises both streams.
// Precision::fp16 (recon/backend.hpp states the function): the layered array holds half floats
// (step 3 rounds through a surface instead of copying), the slab is half (step 4 adds each pass
// rounded to half), and end_slab widens it to float on the device a chunk at a time (through the
// FFT buffer) and copies each chunk into the caller's slab. Both
// halve their memory, so a slab can be twice as deep. Memory: fixed batch buffers (FFT buffer, cuFFT work area, layered
// array, views, response) plus the slab; max_slab_slices fits the slab into the budget.
// Test: tests/recon/test_fdk.cpp (parameterised over backends; the CUDA cases run where a GPU is).
#include "cuda/cuda_backend.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cuda/check.hpp"
#include "cuda/device_buffer.hpp"
#include "cuda/fdk_kernels.cuh"
#include "recon/error.hpp"
#include "recon/fdk_plan.hpp"

namespace voidscan::cuda {
namespace {

static_assert(kViewsPerPass == kHalfPassViews, "the fp16 rounding pass is one backprojection launch");

/// Halves per chunk of the fp16 slab read-back (16 MiB of pinned memory).

std::string mib(size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1024.0 * 1024.0));
  return buf;
}

class CudaBackend final : public FdkBackend {
 public:
  CudaBackend(const FdkPlan& plan, const BackendOptions& options);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  std::string name() const override { return "cuda"; }
  int max_slab_slices(const VolumeGrid& grid) const override;
  void begin_slab(const VolumeGrid& grid, int z0, int z1, float* out) override;
  void add_views(const float* log_projections, int first, int count) override;
  void end_slab() override;
  DeviceMemoryStats device_memory() const override { return {peak_bytes_}; }
  double backprojection_seconds() const override { return bp_seconds_; }

 private:
  void add_batch(const float* src, int first, int count);
  void fill_pass_params(BpView* out, int first, int count) const;
  void note_held_bytes() { peak_bytes_ = std::max(peak_bytes_, fixed_bytes_ + slab_bytes()); }
  size_t slab_bytes() const { return slab_.bytes() + slab_half_.bytes(); }
  size_t voxel_bytes() const { return half_ ? sizeof(__half) : sizeof(float); }

  FdkPlan plan_;
  BackendOptions options_;
  int device_ = 0;
  int cols_ = 0, rows_ = 0;
  int out_cols_ = 0;  ///< width of the filtered images (FdkPlan::filtered_cols)
  int shift_ = 0;     ///< FdkPlan::col_shift
  int fft_n_ = 0;        ///< FFT length N
  int bins_ = 0;         ///< N / 2 + 1 complex bins per row
  int pitch_ = 0;        ///< floats per row of the in-place FFT buffer, 2 * bins_
  int batch_ = 0;        ///< views per batch (layers of the array)
  bool half_ = false;    ///< Precision::fp16: half array and half slab
  size_t fixed_bytes_ = 0;
  size_t peak_bytes_ = 0;

  // slab state
  VolumeGrid grid_;
  int z0_ = 0, z1_ = 0;
  float* out_ = nullptr;
  bool active_ = false;
  int slot_ = 0;  ///< staging slot for the next batch
  double bp_seconds_ = 0;  ///< backprojection kernel time of the finished slabs
  size_t bp_used_ = 0;     ///< bp_events_ recorded in this slab

  // Declared so that users are destroyed before what they use (reverse order).
  Stream compute_;
  Stream copy_;
  Event uploaded_;   ///< copy_: batch uploaded into fft_
  Event fft_free_;   ///< compute_: fft_ copied into the array, may be overwritten
  Event slot_free_[2];  ///< compute_: the batch that used staging slot s has finished
  DeviceBuffer<float> fft_;
  DeviceBuffer<char> fft_work_;
  FftPlan r2c_;
  FftPlan c2r_;
  DeviceBuffer<FdkView> views_;
  DeviceBuffer<float> response_;
  LayeredArray array_;
  TextureObject texture_;
  SurfaceObject surface_;  ///< fp16: writes into array_
  PinnedBuffer<float> staging_[2];
  PinnedBuffer<BpView> params_[2];
  std::vector<std::pair<Event, Event>> bp_events_;  ///< timing events around each batch's backprojection
  DeviceBuffer<float> slab_;        ///< fp32 slab
  DeviceBuffer<__half> slab_half_;  ///< fp16 slab
};

CudaBackend::CudaBackend(const FdkPlan& plan, const BackendOptions& options) : plan_(plan), options_(options) {
  cols_ = plan_.detector.cols;
  rows_ = plan_.detector.rows;
  out_cols_ = plan_.filtered_cols > 0 ? plan_.filtered_cols : cols_;
  shift_ = plan_.col_shift;
  fft_n_ = plan_.filter.padded;
  bins_ = fft_n_ / 2 + 1;
  pitch_ = 2 * bins_;
  const size_t nviews = plan_.views.size();
  if (cols_ < 1 || rows_ < 1 || nviews == 0 || fft_n_ < out_cols_ || shift_ < 0 || shift_ + cols_ > out_cols_ || plan_.filter.response.size() != size_t(bins_) ||
      (!plan_.matrices.empty() && plan_.matrices.size() != nviews) || nviews > size_t(INT_MAX))
    throw RuntimeFailure("CUDA backend: inconsistent FDK plan (detector " + std::to_string(cols_) + " x " +
                         std::to_string(rows_) + ", " + std::to_string(nviews) + " views, FFT length " +
                         std::to_string(fft_n_) + ", " + std::to_string(plan_.filter.response.size()) +
                         " filter bins)");

  half_ = options_.precision == Precision::fp16;
  VS_CUDA_CHECK(cudaGetDevice(&device_));
  check_kernels_loadable();

  batch_ = std::clamp(options_.batch_views, 1, 1024);
  batch_ = int(std::min<size_t>(size_t(batch_), nviews));
  int max_w = 0, max_h = 0, max_layers = 0;
  VS_CUDA_CHECK(cudaDeviceGetAttribute(&max_w, cudaDevAttrMaxTexture2DLayeredWidth, device_));
  VS_CUDA_CHECK(cudaDeviceGetAttribute(&max_h, cudaDevAttrMaxTexture2DLayeredHeight, device_));
  VS_CUDA_CHECK(cudaDeviceGetAttribute(&max_layers, cudaDevAttrMaxTexture2DLayeredLayers, device_));
  if (out_cols_ > max_w || rows_ > max_h)
    throw RuntimeFailure("CUDA backend: a detector of " + std::to_string(out_cols_) + " x " + std::to_string(rows_) +
                             " pixels exceeds the GPU's layered texture limit of " + std::to_string(max_w) + " x " +
                             std::to_string(max_h),
                         "bin the projections or use --device cpu");
  batch_ = std::min(batch_, std::max(max_layers, 1));
  const long long total_rows = (long long)batch_ * rows_;
  if (total_rows > INT_MAX)
    throw RuntimeFailure("CUDA backend: a batch of " + std::to_string(batch_) + " views has too many rows",
                         "lower --batch or use --device cpu");

  compute_ = make_stream();
  copy_ = make_stream();
  uploaded_ = make_event();
  fft_free_ = make_event();
  slot_free_[0] = make_event();
  slot_free_[1] = make_event();

  // cuFFT plans: in place, FFTW layout (rows of pitch_ reals = bins_ complex), work area ours.
  size_t work_r2c = 0, work_c2r = 0;
  {
    long long n[1] = {fft_n_};
    long long real_embed[1] = {pitch_};
    long long complex_embed[1] = {bins_};
    r2c_ = make_fft_plan();
    VS_CUFFT_CHECK(cufftSetAutoAllocation(r2c_.get(), 0));
    VS_CUFFT_CHECK(cufftMakePlanMany64(r2c_.get(), 1, n, real_embed, 1, pitch_, complex_embed, 1, bins_, CUFFT_R2C,
                                       total_rows, &work_r2c));
    c2r_ = make_fft_plan();
    VS_CUFFT_CHECK(cufftSetAutoAllocation(c2r_.get(), 0));
    VS_CUFFT_CHECK(cufftMakePlanMany64(c2r_.get(), 1, n, complex_embed, 1, bins_, real_embed, 1, pitch_, CUFFT_C2R,
                                       total_rows, &work_c2r));
  }
  const size_t fft_floats = size_t(total_rows) * size_t(pitch_);
  const size_t work_bytes = std::max(work_r2c, work_c2r);
  const size_t array_bytes = size_t(out_cols_) * size_t(rows_) * size_t(batch_) * voxel_bytes();
  fixed_bytes_ = fft_floats * sizeof(float) + work_bytes + array_bytes + nviews * sizeof(FdkView) +
                 size_t(bins_) * sizeof(float);
  if (options_.gpu_memory_limit_bytes != 0 && fixed_bytes_ > options_.gpu_memory_limit_bytes)
    throw RuntimeFailure("CUDA backend: the buffers for a batch of " + std::to_string(batch_) + " views need " +
                             mib(fixed_bytes_) + ", more than the GPU memory limit of " +
                             mib(options_.gpu_memory_limit_bytes),
                         "lower --batch, raise --gpu-memory-limit or use --device cpu");

  fft_ = DeviceBuffer<float>(fft_floats);
  if (work_bytes != 0) {
    fft_work_ = DeviceBuffer<char>(work_bytes);
    VS_CUFFT_CHECK(cufftSetWorkArea(r2c_.get(), fft_work_.data()));
    VS_CUFFT_CHECK(cufftSetWorkArea(c2r_.get(), fft_work_.data()));
  }
  VS_CUFFT_CHECK(cufftSetStream(r2c_.get(), compute_.get()));
  VS_CUFFT_CHECK(cufftSetStream(c2r_.get(), compute_.get()));
  views_ = DeviceBuffer<FdkView>(nviews);
  response_ = DeviceBuffer<float>(size_t(bins_));
  if (half_) {
    array_ = make_layered_half_array(size_t(out_cols_), size_t(rows_), size_t(batch_));
    surface_ = make_surface(array_.get());
  } else {
    array_ = make_layered_float_array(size_t(out_cols_), size_t(rows_), size_t(batch_));
  }
  texture_ = make_border_linear_texture(array_.get());
  for (int s = 0; s < 2; ++s) {
    staging_[s] = PinnedBuffer<float>(size_t(cols_) * size_t(rows_) * size_t(batch_));
    params_[s] = PinnedBuffer<BpView>(size_t(batch_));
  }
  note_held_bytes();

  // Everything allocated: initialise on the compute stream (the streams do not synchronise with
  // the legacy default stream) and wait, so set-up errors surface here.
  VS_CUDA_CHECK(cudaMemcpyAsync(views_.data(), plan_.views.data(), views_.bytes(), cudaMemcpyHostToDevice,
                                compute_.get()));
  VS_CUDA_CHECK(cudaMemcpyAsync(response_.data(), plan_.filter.response.data(), response_.bytes(),
                                cudaMemcpyHostToDevice, compute_.get()));
  // Every event starts recorded, so the first waits on them are trivially satisfied.
  VS_CUDA_CHECK(cudaEventRecord(fft_free_.get(), compute_.get()));
  VS_CUDA_CHECK(cudaEventRecord(slot_free_[0].get(), compute_.get()));
  VS_CUDA_CHECK(cudaEventRecord(slot_free_[1].get(), compute_.get()));
  VS_CUDA_CHECK(cudaEventRecord(uploaded_.get(), copy_.get()));
  VS_CUDA_CHECK(cudaStreamSynchronize(compute_.get()));
  VS_CUDA_CHECK(cudaStreamSynchronize(copy_.get()));
}

CudaBackend::~CudaBackend() {
  // Nothing may be freed while the device still uses it.
  detail::ignore(cudaSetDevice(device_));
  if (copy_) detail::ignore(cudaStreamSynchronize(copy_.get()));
  if (compute_) detail::ignore(cudaStreamSynchronize(compute_.get()));
}

int CudaBackend::max_slab_slices(const VolumeGrid& grid) const {
  if (grid.nx < 1 || grid.ny < 1 || grid.nz < 1) return std::max(grid.nz, 1);
  VS_CUDA_CHECK(cudaSetDevice(device_));
  size_t free_bytes = 0, total_bytes = 0;
  VS_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  // The slab we hold is released before a larger one is allocated, so it counts as free.
  size_t budget = (free_bytes + slab_bytes()) / 10 * 9;
  if (options_.gpu_memory_limit_bytes != 0) {
    const size_t limit = options_.gpu_memory_limit_bytes;
    budget = std::min(budget, limit > fixed_bytes_ ? limit - fixed_bytes_ : size_t(0));
  }
  const size_t slice_bytes = size_t(grid.nx) * size_t(grid.ny) * voxel_bytes();
  const size_t slices = budget / slice_bytes;
  if (slices < 1)
    throw RuntimeFailure("CUDA backend: one z slice of " + std::to_string(grid.nx) + " x " +
                             std::to_string(grid.ny) + " voxels needs " + mib(slice_bytes) + " but only " +
                             mib(budget) + " of GPU memory are left after the batch buffers (" +
                             mib(fixed_bytes_) + ")",
                         "lower --batch, raise --gpu-memory-limit or use --device cpu");
  return int(std::min(slices, size_t(grid.nz)));
}

void CudaBackend::begin_slab(const VolumeGrid& grid, int z0, int z1, float* out) {
  if (out == nullptr || grid.nx < 1 || grid.ny < 1 || z0 < 0 || z1 <= z0 || z1 > grid.nz)
    throw std::invalid_argument("CudaBackend::begin_slab: bad slab [" + std::to_string(z0) + ", " +
                                std::to_string(z1) + ") of a grid with nz = " + std::to_string(grid.nz));
  VS_CUDA_CHECK(cudaSetDevice(device_));
  VS_CUDA_CHECK(cudaStreamSynchronize(compute_.get()));  // no kernel may still use the old slab
  const size_t voxels = size_t(grid.nx) * size_t(grid.ny) * size_t(z1 - z0);
  if (half_) {
    if (slab_half_.size() < voxels) {
      slab_half_.reset();
      slab_half_ = DeviceBuffer<__half>(voxels);
      note_held_bytes();
    }
    VS_CUDA_CHECK(cudaMemsetAsync(slab_half_.data(), 0, voxels * sizeof(__half), compute_.get()));  // +0.0
  } else {
    if (slab_.size() < voxels) {
      slab_.reset();
      slab_ = DeviceBuffer<float>(voxels);
      note_held_bytes();
    }
    VS_CUDA_CHECK(cudaMemsetAsync(slab_.data(), 0, voxels * sizeof(float), compute_.get()));
  }
  grid_ = grid;
  z0_ = z0;
  z1_ = z1;
  out_ = out;
  active_ = true;
}

void CudaBackend::add_views(const float* log_projections, int first, int count) {
  if (!active_) throw std::logic_error("CudaBackend::add_views called outside begin_slab/end_slab");
  if (count <= 0) return;
  if (log_projections == nullptr || first < 0 || size_t(first) + size_t(count) > plan_.views.size())
    throw std::invalid_argument("CudaBackend::add_views: views [" + std::to_string(first) + ", " +
                                std::to_string(first + count) + ") out of range (" +
                                std::to_string(plan_.views.size()) + " views)");
  VS_CUDA_CHECK(cudaSetDevice(device_));
  const size_t image = size_t(cols_) * size_t(rows_);
  for (int done = 0; done < count; done += batch_)
    add_batch(log_projections + size_t(done) * image, first + done, std::min(batch_, count - done));
}

void CudaBackend::fill_pass_params(BpView* out, int first, int count) const {
  // Homogeneous coordinates of the slab's voxel (0, 0, 0) and their steps per voxel index, in
  // double; only these (small, grid-relative) numbers are rounded to float.
  const Vec3 x0 = grid_.voxel_center(0, 0, z0_);
  for (int v = 0; v < count; ++v) {
    const int view = first + v;
    double m[12];
    if (!plan_.matrices.empty()) {
      for (int e = 0; e < 12; ++e) m[e] = plan_.matrices[size_t(view)].m[size_t(e)];
    } else {
      for (int e = 0; e < 12; ++e) m[e] = double(plan_.views[size_t(view)].P[e]);
    }
    BpView& p = out[v];
    for (int row = 0; row < 3; ++row) {
      const double* r = m + 4 * row;
      p.h0[row] = float(r[0] * x0.x + r[1] * x0.y + r[2] * x0.z + r[3]);
      p.di[row] = float(r[0] * grid_.sx);
      p.dj[row] = float(r[1] * grid_.sy);
      p.dk[row] = float(r[2] * grid_.sz);
    }
    p.scale = plan_.views[size_t(view)].bp_scale;
    p.pad[0] = p.pad[1] = p.pad[2] = 0.f;
  }
}

void CudaBackend::add_batch(const float* src, int first, int count) {
  const int s = slot_;
  slot_ ^= 1;
  const size_t image = size_t(cols_) * size_t(rows_);
  const int rows_in_batch = count * rows_;

  // 1. host -> pinned staging (once the batch that last used this slot has finished), then
  //    upload on the copy stream once the FFT buffer is free again.
  VS_CUDA_CHECK(cudaEventSynchronize(slot_free_[s].get()));
  std::memcpy(staging_[s].data(), src, image * size_t(count) * sizeof(float));
  fill_pass_params(params_[s].data(), first, count);
  VS_CUDA_CHECK(cudaStreamWaitEvent(copy_.get(), fft_free_.get(), 0));
  VS_CUDA_CHECK(cudaMemcpy2DAsync(fft_.data() + shift_, size_t(pitch_) * sizeof(float), staging_[s].data(),
                                  size_t(cols_) * sizeof(float), size_t(cols_) * sizeof(float),
                                  size_t(rows_in_batch), cudaMemcpyHostToDevice, copy_.get()));
  VS_CUDA_CHECK(cudaEventRecord(uploaded_.get(), copy_.get()));
  VS_CUDA_CHECK(cudaStreamWaitEvent(compute_.get(), uploaded_.get(), 0));

  // 2. pre-weight and zero padding, in place.
  //    Rows past this batch (a short last batch) are zeroed: the FFT plans cover a full batch.
  launch_preweight(fft_.data(), pitch_, cols_, shift_, rows_, rows_in_batch, batch_ * rows_, views_.data() + first,
                   compute_.get());

  // 3. ramp filter.
  auto* spectrum = reinterpret_cast<cufftComplex*>(fft_.data());
  VS_CUFFT_CHECK(cufftExecR2C(r2c_.get(), fft_.data(), spectrum));
  launch_ramp_gain(spectrum, bins_, rows_in_batch, response_.data(), compute_.get());
  VS_CUFFT_CHECK(cufftExecC2R(c2r_.get(), spectrum, fft_.data()));
  if (half_) {
    launch_store_half(fft_.data(), pitch_, out_cols_, rows_, count, surface_.get(), compute_.get());
  } else {
    cudaMemcpy3DParms copy{};
    copy.srcPtr = make_cudaPitchedPtr(fft_.data(), size_t(pitch_) * sizeof(float), size_t(out_cols_), size_t(rows_));
    copy.dstArray = array_.get();
    copy.extent = make_cudaExtent(size_t(out_cols_), size_t(rows_), size_t(count));
    copy.kind = cudaMemcpyDeviceToDevice;
    VS_CUDA_CHECK(cudaMemcpy3DAsync(&copy, compute_.get()));
  }
  VS_CUDA_CHECK(cudaEventRecord(fft_free_.get(), compute_.get()));

  // 4. backprojection into the slab, timed with events (read back at end_slab).
  if (bp_used_ == bp_events_.size()) bp_events_.emplace_back(make_timing_event(), make_timing_event());
  const auto& timing = bp_events_[bp_used_++];
  VS_CUDA_CHECK(cudaEventRecord(timing.first.get(), compute_.get()));
  if (half_) {
    launch_backproject_half(params_[s].data(), count, 0, texture_.get(), slab_half_.data(), grid_.nx, grid_.ny,
                            z1_ - z0_, compute_.get());
  } else {
    launch_backproject(params_[s].data(), count, 0, texture_.get(), slab_.data(), grid_.nx, grid_.ny, z1_ - z0_,
                       compute_.get());
  }
  VS_CUDA_CHECK(cudaEventRecord(timing.second.get(), compute_.get()));
  VS_CUDA_CHECK(cudaEventRecord(slot_free_[s].get(), compute_.get()));
}

void CudaBackend::end_slab() {
  if (!active_) throw std::logic_error("CudaBackend::end_slab called without begin_slab");
  VS_CUDA_CHECK(cudaSetDevice(device_));
  const size_t voxels = size_t(grid_.nx) * size_t(grid_.ny) * size_t(z1_ - z0_);
  if (half_) {
    // half -> float on the device, a chunk at a time through the FFT buffer (idle once every
    // upload is done), each chunk then copied into the caller's float slab: the float slab never
    // exists on the device, and the host only copies.
    VS_CUDA_CHECK(cudaStreamSynchronize(copy_.get()));
    const size_t chunk = fft_.size();
    for (size_t at = 0; at < voxels; at += chunk) {
      const size_t n = std::min(chunk, voxels - at);
      launch_half_to_float(slab_half_.data() + at, fft_.data(), n, compute_.get());
      VS_CUDA_CHECK(cudaMemcpyAsync(out_ + at, fft_.data(), n * sizeof(float), cudaMemcpyDeviceToHost, compute_.get()));
    }
  } else {
    VS_CUDA_CHECK(cudaMemcpyAsync(out_, slab_.data(), voxels * sizeof(float), cudaMemcpyDeviceToHost, compute_.get()));
  }
  VS_CUDA_CHECK(cudaStreamSynchronize(compute_.get()));
  VS_CUDA_CHECK(cudaStreamSynchronize(copy_.get()));
  for (size_t i = 0; i < bp_used_; ++i) {
    float ms = 0;
    VS_CUDA_CHECK(cudaEventElapsedTime(&ms, bp_events_[i].first.get(), bp_events_[i].second.get()));
    bp_seconds_ += double(ms) / 1e3;
  }
  bp_used_ = 0;
  active_ = false;
  out_ = nullptr;
}

}  // namespace

int device_count(std::string* why) {
  try {
    int n = 0;
    const cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      if (why) *why = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(err);
      return 0;
    }
    if (n <= 0) {
      if (why) *why = "cudaGetDeviceCount: no CUDA device";
      return 0;
    }
    return n;
  } catch (...) {  // only std::string can throw here (bad_alloc); never let it escape
    return 0;
  }
}

std::unique_ptr<FdkBackend> make_backend(const FdkPlan& plan, const BackendOptions& options) {
  std::string why;
  if (device_count(&why) <= 0) throw RuntimeFailure("no CUDA device available: " + why, "use --device cpu");
  return std::make_unique<CudaBackend>(plan, options);
}

}  // namespace voidscan::cuda
