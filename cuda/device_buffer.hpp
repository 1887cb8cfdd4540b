// RAII owners for everything the CUDA backend allocates, so that no error path frees anything
// by hand:
//   DeviceBuffer<T>  device memory (cudaMalloc / cudaFree), n elements of T
//   PinnedBuffer<T>  page-locked host memory (cudaMallocHost / cudaFreeHost), for async copies
//   Stream, Event    cudaStream_t (non-blocking) / cudaEvent_t (no timing)
//   FftPlan          cufftHandle (cufftCreate / cufftDestroy)
//   LayeredArray     a float or half cudaArray with cudaArrayLayered (cudaMalloc3DArray / cudaFreeArray)
//   TextureObject    cudaTextureObject_t (cudaCreateTextureObject / cudaDestroyTextureObject)
//   SurfaceObject    cudaSurfaceObject_t (cudaCreateSurfaceObject / cudaDestroySurfaceObject)
// All are move-only. Constructors throw through check.hpp; destructors never throw (errors
// there are ignored: there is nothing useful to do with them while unwinding).
// Test: tests/recon/test_fdk.cpp (parameterised over backends; the CUDA cases run where a GPU is).
#pragma once
#include <cuda_runtime.h>
#include <cufft.h>

#include <cstddef>
#include <utility>

#include "cuda/check.hpp"

namespace voidscan::cuda {

/// Move-only owner of n elements of T in the memory `Memory` allocates (device or pinned host).
template <class T, class Memory>
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(size_t n) {
    if (n == 0) return;
    ptr_ = static_cast<T*>(Memory::allocate(n * sizeof(T)));
    size_ = n;
  }
  ~Buffer() { reset(); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      reset();
      ptr_ = std::exchange(o.ptr_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  [[nodiscard]] T* data() const noexcept { return ptr_; }
  [[nodiscard]] size_t size() const noexcept { return size_; }
  [[nodiscard]] size_t bytes() const noexcept { return size_ * sizeof(T); }
  void reset() noexcept {
    if (ptr_) Memory::release(ptr_);
    ptr_ = nullptr;
    size_ = 0;
  }

 private:
  T* ptr_ = nullptr;
  size_t size_ = 0;
};

struct DeviceMemory {
  static void* allocate(size_t bytes) {
    void* p = nullptr;
    VS_CUDA_CHECK(cudaMalloc(&p, bytes));
    return p;
  }
  static void release(void* p) noexcept { detail::ignore(cudaFree(p)); }
};

struct PinnedHostMemory {
  static void* allocate(size_t bytes) {
    void* p = nullptr;
    VS_CUDA_CHECK(cudaMallocHost(&p, bytes));
    return p;
  }
  static void release(void* p) noexcept { detail::ignore(cudaFreeHost(p)); }
};

/// Owns n elements of T in device memory.
template <class T>
using DeviceBuffer = Buffer<T, DeviceMemory>;
/// Owns n elements of T in page-locked host memory.
template <class T>
using PinnedBuffer = Buffer<T, PinnedHostMemory>;

/// Move-only owner of an opaque handle; Traits::destroy(handle) releases it (noexcept).
template <class Traits>
class UniqueHandle {
 public:
  using handle_type = typename Traits::handle_type;
  UniqueHandle() = default;
  explicit UniqueHandle(handle_type h) noexcept : h_(h), owns_(true) {}
  ~UniqueHandle() { reset(); }
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;
  UniqueHandle(UniqueHandle&& o) noexcept : h_(o.h_), owns_(std::exchange(o.owns_, false)) {}
  UniqueHandle& operator=(UniqueHandle&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = o.h_;
      owns_ = std::exchange(o.owns_, false);
    }
    return *this;
  }
  [[nodiscard]] handle_type get() const noexcept { return h_; }
  [[nodiscard]] explicit operator bool() const noexcept { return owns_; }
  void reset() noexcept {
    if (owns_) Traits::destroy(h_);
    owns_ = false;
    h_ = handle_type{};
  }

 private:
  handle_type h_{};
  bool owns_ = false;
};

struct StreamTraits {
  using handle_type = cudaStream_t;
  static void destroy(cudaStream_t s) noexcept { detail::ignore(cudaStreamDestroy(s)); }
};
struct EventTraits {
  using handle_type = cudaEvent_t;
  static void destroy(cudaEvent_t e) noexcept { detail::ignore(cudaEventDestroy(e)); }
};
struct FftPlanTraits {
  using handle_type = cufftHandle;
  static void destroy(cufftHandle p) noexcept {
    if (cufftDestroy(p) != CUFFT_SUCCESS) (void)cudaGetLastError();
  }
};
struct ArrayTraits {
  using handle_type = cudaArray_t;
  static void destroy(cudaArray_t a) noexcept { detail::ignore(cudaFreeArray(a)); }
};
struct TextureTraits {
  using handle_type = cudaTextureObject_t;
  static void destroy(cudaTextureObject_t t) noexcept { detail::ignore(cudaDestroyTextureObject(t)); }
};

using Stream = UniqueHandle<StreamTraits>;
using Event = UniqueHandle<EventTraits>;
using FftPlan = UniqueHandle<FftPlanTraits>;
struct SurfaceTraits {
  using handle_type = cudaSurfaceObject_t;
  static void destroy(cudaSurfaceObject_t t) noexcept { detail::ignore(cudaDestroySurfaceObject(t)); }
};
using LayeredArray = UniqueHandle<ArrayTraits>;
using TextureObject = UniqueHandle<TextureTraits>;
using SurfaceObject = UniqueHandle<SurfaceTraits>;

/// A stream that does not synchronise with the legacy default stream.
[[nodiscard]] inline Stream make_stream() {
  cudaStream_t s = nullptr;
  VS_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  return Stream(s);
}

/// An event for ordering only (no timestamps, cheaper).
[[nodiscard]] inline Event make_event() {
  cudaEvent_t e = nullptr;
  VS_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  return Event(e);
}

/// An event that records timestamps (for cudaEventElapsedTime).
[[nodiscard]] inline Event make_timing_event() {
  cudaEvent_t e = nullptr;
  VS_CUDA_CHECK(cudaEventCreate(&e));
  return Event(e);
}

/// An empty cuFFT plan handle, to be configured with cufftMakePlan*.
[[nodiscard]] inline FftPlan make_fft_plan() {
  cufftHandle p = 0;
  VS_CUFFT_CHECK(cufftCreate(&p));
  return FftPlan(p);
}

/// A layered 2D float array: `layers` images of width x height.
[[nodiscard]] inline LayeredArray make_layered_float_array(size_t width, size_t height, size_t layers) {
  const cudaChannelFormatDesc desc = cudaCreateChannelDesc<float>();
  cudaArray_t a = nullptr;
  VS_CUDA_CHECK(cudaMalloc3DArray(&a, &desc, make_cudaExtent(width, height, layers), cudaArrayLayered));
  return LayeredArray(a);
}

/// A layered 2D array of IEEE half floats (cudaCreateChannelDescHalf), writable through a
/// surface (kernels store converted values into it) and read through a texture, which returns
/// float (half textures are promoted, and bilinear filtering then runs on the half values).
[[nodiscard]] inline LayeredArray make_layered_half_array(size_t width, size_t height, size_t layers) {
  const cudaChannelFormatDesc desc = cudaCreateChannelDescHalf();
  cudaArray_t a = nullptr;
  VS_CUDA_CHECK(cudaMalloc3DArray(&a, &desc, make_cudaExtent(width, height, layers),
                                  cudaArrayLayered | cudaArraySurfaceLoadStore));
  return LayeredArray(a);
}

/// A surface over all of `array` (which must have cudaArraySurfaceLoadStore).
[[nodiscard]] inline SurfaceObject make_surface(cudaArray_t array) {
  cudaResourceDesc res{};
  res.resType = cudaResourceTypeArray;
  res.res.array.array = array;
  cudaSurfaceObject_t s = 0;
  VS_CUDA_CHECK(cudaCreateSurfaceObject(&s, &res));
  return SurfaceObject(s);
}

/// A texture over all of `array`: bilinear filtering, border addressing with border value 0,
/// unnormalised coordinates (texel centres at i + 0.5), float results.
[[nodiscard]] inline TextureObject make_border_linear_texture(cudaArray_t array) {
  cudaResourceDesc res{};
  res.resType = cudaResourceTypeArray;
  res.res.array.array = array;
  cudaTextureDesc tex{};
  tex.addressMode[0] = cudaAddressModeBorder;
  tex.addressMode[1] = cudaAddressModeBorder;
  tex.addressMode[2] = cudaAddressModeBorder;
  tex.borderColor[0] = tex.borderColor[1] = tex.borderColor[2] = tex.borderColor[3] = 0.f;
  tex.filterMode = cudaFilterModeLinear;
  tex.readMode = cudaReadModeElementType;
  tex.normalizedCoords = 0;
  cudaTextureObject_t t = 0;
  VS_CUDA_CHECK(cudaCreateTextureObject(&t, &res, &tex, nullptr));
  return TextureObject(t);
}

}  // namespace voidscan::cuda
