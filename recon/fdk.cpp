#include "recon/fdk.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <future>

#include "recon/error.hpp"
#include "recon/volume_writer.hpp"

namespace voidscan {

size_t peak_host_memory() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return size_t(u.ru_maxrss) * 1024;  // Linux reports kilobytes
}

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

/// Where each slab's voxels live and what happens to them once finished.
struct SlabTarget {
  /// Slab size cap (slices) besides the backend's own; 0 = none.
  int max_slices = 0;
  /// Host memory for slices [z0, z1).
  std::function<float*(int z0, int z1)> buffer;
  /// Called after end_slab() with the finished slab (may be empty).
  SlabSink done;
};

/// The pipeline shared by reconstruct_fdk() and reconstruct_fdk_slabs().
void run_fdk(const Geometry& geometry, ProjectionProvider& projections, const VolumeGrid& grid,
             const FdkParams& params, const SlabTarget& target, FdkReport* report, const Progress& progress) {
  const auto t0 = clock_type::now();
  if (params.backend.batch_views < 1 || params.backend.batch_views > 1024)
    throw InputError("", "--batch", "batch size must be in 1..1024");
  if (grid.nx < 1 || grid.ny < 1 || grid.nz < 1) throw InputError("", "--grid", "every grid size must be at least 1");
  const FdkPlan plan = plan_fdk(geometry, params.window);
  auto backend = make_backend(params.device, plan, params.backend);

  const int views = int(geometry.views.size());
  const int batch = std::min(params.backend.batch_views, views);
  const size_t image = size_t(geometry.detector.cols) * geometry.detector.rows;
  int slab = std::clamp(backend->max_slab_slices(grid), 1, grid.nz);
  if (target.max_slices > 0) slab = std::min(slab, target.max_slices);
  const int slabs = (grid.nz + slab - 1) / slab;

  std::vector<float> buffers[2] = {std::vector<float>(image * batch), std::vector<float>(image * batch)};
  double backend_seconds = 0, output_seconds = 0;
  const long total_steps = long(slabs) * ((views + batch - 1) / batch);
  long step = 0;
  for (int s = 0; s < slabs; ++s) {
    const int z0 = s * slab, z1 = std::min(grid.nz, z0 + slab);
    float* out = target.buffer(z0, z1);
    backend->begin_slab(grid, z0, z1, out);
    // Read batch b+1 on a second thread while the backend works on batch b.
    auto read = [&](int first, int which) {
      const int count = std::min(batch, views - first);
      projections.read(first, count, buffers[which].data());
    };
    std::future<void> next = std::async(std::launch::async, read, 0, 0);
    for (int first = 0, which = 0; first < views; first += batch, which ^= 1) {
      next.get();
      if (first + batch < views) next = std::async(std::launch::async, read, first + batch, which ^ 1);
      const auto tb = clock_type::now();
      backend->add_views(buffers[which].data(), first, std::min(batch, views - first));
      backend_seconds += seconds_since(tb);
      if (progress) progress(double(++step) / double(total_steps));
    }
    const auto tb = clock_type::now();
    backend->end_slab();
    backend_seconds += seconds_since(tb);
    if (target.done) {
      const auto to = clock_type::now();
      target.done(z0, z1, out);
      output_seconds += seconds_since(to);
    }
  }
  if (report) {
    report->backend = backend->name();
    report->slabs = slabs;
    report->seconds = seconds_since(t0);
    report->backend_seconds = backend_seconds;
    report->output_seconds = output_seconds;
    report->gups = double(views) * double(grid.voxel_count()) / std::max(backend_seconds, 1e-9) / 1e9;
    report->backprojection_seconds = backend->backprojection_seconds();
    report->backprojection_gups =
        double(views) * double(grid.voxel_count()) / std::max(report->backprojection_seconds, 1e-9) / 1e9;
    report->peak_host_bytes = peak_host_memory();
    report->peak_device_bytes = backend->device_memory().peak_bytes;
    report->clamped_pixels = projections.clamped_pixels();
    report->dead_pixels = projections.dead_pixels();
    report->warnings.insert(report->warnings.end(), plan.warnings.begin(), plan.warnings.end());
  }
}

}  // namespace

void reconstruct_fdk(const Geometry& geometry, ProjectionProvider& projections, const VolumeGrid& grid,
                     const FdkParams& params, float* out, FdkReport* report, const Progress& progress) {
  const size_t slice = size_t(std::max(grid.nx, 0)) * size_t(std::max(grid.ny, 0));
  SlabTarget target;
  target.buffer = [&](int z0, int) { return out + slice * size_t(z0); };
  run_fdk(geometry, projections, grid, params, target, report, progress);
}

void reconstruct_fdk_slabs(const Geometry& geometry, ProjectionProvider& projections, const VolumeGrid& grid,
                           const FdkParams& params, const SlabSink& sink, FdkReport* report,
                           const Progress& progress) {
  if (grid.nx < 1 || grid.ny < 1 || grid.nz < 1) throw InputError("", "--grid", "every grid size must be at least 1");
  const FdkPlan plan = plan_fdk(geometry, params.window);  // cheap next to the reconstruction
  SlabTarget target;
  target.max_slices = host_slab_slices(plan, params.backend, grid);
  const size_t slice = size_t(grid.nx) * size_t(grid.ny);
  std::vector<float> slab;
  target.buffer = [&](int z0, int z1) {
    if (slab.empty()) {
      try {
        slab.resize(slice * size_t(z1 - z0));  // the first slab is the largest
      } catch (const std::bad_alloc&) {
        throw RuntimeFailure("out of host memory for a " + std::to_string(slice * size_t(z1 - z0) * 4 >> 20) +
                                 " MiB slab",
                             "lower --memory-limit");
      }
    }
    return slab.data();
  };
  target.done = sink;
  run_fdk(geometry, projections, grid, params, target, report, progress);
}

void reconstruct_scan_to_file(const Scan& scan, const VolumeGrid& grid, const FdkParams& params,
                              const VolumeFileOptions& output, FdkReport* report, const Progress& progress) {
  VolumeWriter writer(output.file, grid, output.dtype, output.uint16_range);
  ScanProjections projections(scan, params.read_threads);
  reconstruct_fdk_slabs(
      scan.geometry, projections, grid, params,
      [&](int z0, int z1, const float* slab) { writer.append(slab, z1 - z0); }, report, progress);
  const auto t = clock_type::now();
  writer.commit();
  if (report) {
    report->output_seconds += seconds_since(t);
    report->peak_host_bytes = peak_host_memory();
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
  ScanProjections projections(scan, params.read_threads);
  reconstruct_fdk(scan.geometry, projections, grid, params, vol.data.data(), report, progress);
  return vol;
}

}  // namespace voidscan
