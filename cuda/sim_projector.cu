// The simulator's CUDA projector (issue 3): the same function as sim::transmission_view (CPU).
//  - transmission_kernel: one thread per detector pixel; it runs sim::flat::pixel_transmission
//    (sim/flat_scene.hpp, the code the CPU tests also run on the host): s x s sub-pixel rays,
//    each from every focal-spot source point, through the phantom's own BVH (flattened, in
//    global memory), exact closed-form intervals and the list-order overlap rule, all in double
//    precision; T summed in double in the CPU's order and rounded to float once.
//  - Per thread, kGpuMaxHits hits and spans live in local memory; a ray meeting more objects
//    sets error[0] (atomicMax of the count) and the host throws: never a silent truncation.
//  - SimProjector uploads the scene once and, per view, launches, copies the image and the
//    error flags back, and synchronises. Blur and Poisson noise stay on the CPU (sim/simulate.cpp):
//    cheap, and seed-deterministic whatever the device.
// Agreement with the CPU: identical formulas and order; nvcc's FMA contraction and device exp()
// change each integral by a few 1e-16 relative, so the float transmissions agree to about one
// float rounding (~1e-7 relative). Test: tests/sim/test_projector.cpp.
#include <string>

#include "cuda/check.hpp"
#include "cuda/device_buffer.hpp"
#include "cuda/sim_projector.cuh"
#include "cuda/sim_projector.hpp"
#include "recon/error.hpp"

namespace voidscan::cuda {
namespace {

__global__ void __launch_bounds__(kSimBlock)
    transmission_kernel(sim::flat::Scene scene, sim::flat::ViewRays rays, float* __restrict__ out, int* error) {
  const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  const long long n = (long long)rays.cols * rays.rows;
  if (idx >= n) return;
  const int r = int(idx / rays.cols), c = int(idx - (long long)r * rays.cols);
  sim::flat::Hit hits[sim::flat::kGpuMaxHits];
  sim::flat::Span spans[sim::flat::kGpuMaxHits];
  int e = 0;
  const double t = sim::flat::pixel_transmission(scene, rays, c, r, hits, spans, sim::flat::kGpuMaxHits, &e);
  if (e > 0) atomicMax(&error[0], e);
  if (e < 0) atomicExch(&error[1], 1);
  out[idx] = e == 0 ? __double2float_rn(t) : 0.f;  // explicit: no flush to zero (-ftz)
}

template <class T>
DeviceBuffer<T> upload(const T* host, size_t n) {
  DeviceBuffer<T> d(n);
  if (n > 0) VS_CUDA_CHECK(cudaMemcpy(d.data(), host, n * sizeof(T), cudaMemcpyHostToDevice));
  return d;
}

}  // namespace

void launch_transmissions(const sim::flat::Scene& device_scene, const sim::flat::ViewRays& rays, float* out,
                          int* error, cudaStream_t stream) {
  const long long n = (long long)rays.cols * rays.rows;
  if (n <= 0) return;
  const unsigned blocks = unsigned((n + kSimBlock - 1) / kSimBlock);
  transmission_kernel<<<blocks, kSimBlock, 0, stream>>>(device_scene, rays, out, error);
  VS_CUDA_CHECK_LAUNCH();
}

void check_sim_kernel_loadable() {
  detail::check_kernel_image(reinterpret_cast<const void*>(&transmission_kernel));
}

struct SimProjector::Impl {
  int cols = 0, rows = 0;
  DeviceBuffer<sim::flat::Object> objects;
  DeviceBuffer<double> boxes;
  DeviceBuffer<std::uint32_t> order;
  DeviceBuffer<sim::flat::Node> nodes;
  DeviceBuffer<float> image;
  DeviceBuffer<int> error;
  sim::flat::Scene scene;  ///< device pointers into the buffers above
  Stream stream;
};

SimProjector::SimProjector(const sim::flat::Scene& host, int cols, int rows) : impl_(std::make_unique<Impl>()) {
  if (cols < 1 || rows < 1) throw InputError("", "detector.cols/rows", "detector size must be at least 1 x 1");
  check_sim_kernel_loadable();
  Impl& m = *impl_;
  m.cols = cols;
  m.rows = rows;
  m.objects = upload(host.objects, host.object_count);
  m.boxes = upload(host.boxes, size_t(6) * host.object_count);
  m.order = upload(host.order, host.order_count);
  m.nodes = upload(host.nodes, host.node_count);
  m.image = DeviceBuffer<float>(size_t(cols) * size_t(rows));
  m.error = DeviceBuffer<int>(2);
  m.scene.objects = m.objects.data();
  m.scene.boxes = m.boxes.data();
  m.scene.order = m.order.data();
  m.scene.nodes = m.nodes.data();
  m.scene.object_count = host.object_count;
  m.scene.order_count = host.order_count;
  m.scene.node_count = host.node_count;
  m.stream = make_stream();
}

SimProjector::~SimProjector() = default;

void SimProjector::transmissions(const sim::flat::ViewRays& rays, float* out) {
  Impl& m = *impl_;
  if (rays.cols != m.cols || rays.rows != m.rows)
    throw RuntimeFailure("CUDA projector: view of " + std::to_string(rays.cols) + " x " + std::to_string(rays.rows) +
                         " pixels, but it was made for " + std::to_string(m.cols) + " x " + std::to_string(m.rows));
  if (rays.supersample < 1 || rays.sources < 1 || rays.sources > sim::flat::kMaxSources)
    throw RuntimeFailure("CUDA projector: invalid rays (supersample " + std::to_string(rays.supersample) +
                         ", sources " + std::to_string(rays.sources) + ")");
  const cudaStream_t s = m.stream.get();
  VS_CUDA_CHECK(cudaMemsetAsync(m.error.data(), 0, 2 * sizeof(int), s));
  launch_transmissions(m.scene, rays, m.image.data(), m.error.data(), s);
  int error[2] = {0, 0};
  VS_CUDA_CHECK(cudaMemcpyAsync(error, m.error.data(), sizeof error, cudaMemcpyDeviceToHost, s));
  VS_CUDA_CHECK(cudaMemcpyAsync(out, m.image.data(), m.image.bytes(), cudaMemcpyDeviceToHost, s));
  VS_CUDA_CHECK(cudaStreamSynchronize(s));
  if (error[1] != 0)
    throw RuntimeFailure("CUDA projector: a ray overflowed the BVH traversal stack (" +
                             std::to_string(sim::flat::kStackDepth) + " entries)",
                         "use --device cpu");
  if (error[0] != 0)
    throw RuntimeFailure("CUDA projector: a ray meets " + std::to_string(error[0]) + " objects, more than the " +
                             std::to_string(sim::flat::kGpuMaxHits) + " one GPU thread can hold (sim/flat_scene.hpp)",
                         "use --device cpu for this phantom");
}

}  // namespace voidscan::cuda
