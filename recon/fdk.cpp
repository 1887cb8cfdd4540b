#include "recon/fdk.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <future>

#include "recon/error.hpp"

namespace voidscan {

size_t peak_host_memory() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return size_t(u.ru_maxrss) * 1024;  // Linux reports kilobytes
}

void reconstruct_fdk(const Geometry& geometry, ProjectionProvider& projections, const VolumeGrid& grid,
                     const FdkParams& params, float* out, FdkReport* report, const Progress& progress) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  if (params.backend.batch_views < 1 || params.backend.batch_views > 1024)
    throw InputError("", "--batch", "batch size must be in 1..1024");
  if (grid.nx < 1 || grid.ny < 1 || grid.nz < 1) throw InputError("", "--grid", "every grid size must be at least 1");
  const FdkPlan plan = plan_fdk(geometry, params.window);
  auto backend = make_backend(params.device, plan, params.backend);

  const int views = int(geometry.views.size());
  const int batch = std::min(params.backend.batch_views, views);
  const size_t image = size_t(geometry.detector.cols) * geometry.detector.rows;
  const int slab = std::clamp(backend->max_slab_slices(grid), 1, grid.nz);
  const int slabs = (grid.nz + slab - 1) / slab;
  const size_t slice = size_t(grid.nx) * grid.ny;

  std::vector<float> buffers[2] = {std::vector<float>(image * batch), std::vector<float>(image * batch)};
  double backend_seconds = 0;
  const long total_steps = long(slabs) * ((views + batch - 1) / batch);
  long step = 0;
  for (int s = 0; s < slabs; ++s) {
    const int z0 = s * slab, z1 = std::min(grid.nz, z0 + slab);
    backend->begin_slab(grid, z0, z1, out + slice * z0);
    // Read batch b+1 on a second thread while the backend works on batch b.
    auto read = [&](int first, int which) {
      const int count = std::min(batch, views - first);
      projections.read(first, count, buffers[which].data());
    };
    std::future<void> next = std::async(std::launch::async, read, 0, 0);
    for (int first = 0, which = 0; first < views; first += batch, which ^= 1) {
      next.get();
      if (first + batch < views) next = std::async(std::launch::async, read, first + batch, which ^ 1);
      const auto tb = clock::now();
      backend->add_views(buffers[which].data(), first, std::min(batch, views - first));
      backend_seconds += std::chrono::duration<double>(clock::now() - tb).count();
      if (progress) progress(double(++step) / double(total_steps));
    }
    const auto tb = clock::now();
    backend->end_slab();
    backend_seconds += std::chrono::duration<double>(clock::now() - tb).count();
  }
  if (report) {
    report->backend = backend->name();
    report->slabs = slabs;
    report->seconds = std::chrono::duration<double>(clock::now() - t0).count();
    report->backend_seconds = backend_seconds;
    report->gups = double(views) * double(grid.voxel_count()) / std::max(backend_seconds, 1e-9) / 1e9;
    report->peak_host_bytes = peak_host_memory();
    report->peak_device_bytes = backend->device_memory().peak_bytes;
    report->clamped_pixels = projections.clamped_pixels();
    report->dead_pixels = projections.dead_pixels();
    report->warnings.insert(report->warnings.end(), plan.warnings.begin(), plan.warnings.end());
  }
}

Volume reconstruct_scan(const Scan& scan, const VolumeGrid& grid, const FdkParams& params, FdkReport* report,
                        const Progress& progress) {
  Volume vol;
  vol.grid = grid;
  try {
    vol.data.resize(grid.voxel_count());
  } catch (const std::bad_alloc&) {
    throw RuntimeFailure("out of host memory for a " + std::to_string(grid.voxel_count() * 4 / (1 << 20)) +
                             " MiB volume",
                         "reconstruct a smaller grid (--grid) or a region (--center)");
  }
  ScanProjections projections(scan);
  reconstruct_fdk(scan.geometry, projections, grid, params, vol.data.data(), report, progress);
  return vol;
}

}  // namespace voidscan
