// Generator mode of voidscan_bench: see bench/make_scan.hpp.
#include "bench/make_scan.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/scene.hpp"
#include "recon/scan.hpp"
#include "recon/tiff_io.hpp"

namespace voidscan::bench {
namespace fs = std::filesystem;
namespace {

constexpr const char* kUsage =
    "usage: voidscan_bench --make-scan DIR --size N --views V [--detector D] [--white W]\n";

struct MakeScanArgs {
  fs::path dir;
  int size = 0;
  int views = 0;
  int detector = 0;  ///< 0: same as size
  double white = 60000;
};

/// Parses argv; std::nullopt (after printing why) when the arguments are wrong.
std::optional<MakeScanArgs> parse(int argc, char** argv) {
  MakeScanArgs a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view key = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%.*s needs a value\n%s", int(key.size()), key.data(), kUsage);
      return std::nullopt;
    }
    const char* value = argv[++i];
    if (key == "--make-scan") a.dir = value;
    else if (key == "--size") a.size = std::atoi(value);
    else if (key == "--views") a.views = std::atoi(value);
    else if (key == "--detector") a.detector = std::atoi(value);
    else if (key == "--white") a.white = std::atof(value);
    else {
      std::fprintf(stderr, "unknown option %.*s\n%s", int(key.size()), key.data(), kUsage);
      return std::nullopt;
    }
  }
  if (a.detector == 0) a.detector = a.size;
  if (a.dir.empty() || a.size < 1 || a.views < 1 || a.detector < 1 || !(a.white >= 1 && a.white <= 65535)) {
    std::fprintf(stderr, "need a folder, --size >= 1, --views >= 1, --detector >= 1, 1 <= --white <= 65535\n%s",
                 kUsage);
    return std::nullopt;
  }
  return a;
}

/// Projects views [first, first + count) of `g` and writes them as uint16 counts to `file`.
void write_chunk(const Phantom& phantom, const Geometry& g, int first, int count, double white,
                 const fs::path& file) {
  Geometry part{g.detector, {g.views.begin() + first, g.views.begin() + first + count}};
  const std::vector<float> line_integrals = project(phantom, part, 1);
  std::vector<uint16_t> counts(line_integrals.size());
  std::transform(line_integrals.begin(), line_integrals.end(), counts.begin(), [white](float p) {
    return uint16_t(std::clamp(std::lround(white * std::exp(-double(p))), 0L, 65535L));
  });
  write_tiff_uint16(file, g.detector.cols, g.detector.rows, count, counts.data());
}

}  // namespace

bool is_make_scan(int argc, char** argv) { return argc > 1 && std::string_view(argv[1]) == "--make-scan"; }

int make_scan_main(int argc, char** argv) {
  const auto args = parse(argc, argv);
  if (!args) return 2;
  try {
    const auto t0 = std::chrono::steady_clock::now();
    const fs::path dir = fs::absolute(args->dir);
    fs::create_directories(dir);
    Scan scan;
    scan.name = "voidscan bench scene " + std::to_string(args->size) + "^3";
    scan.geometry = scene_geometry(args->size, args->views, args->detector);
    scan.volume = scene_grid(args->size);
    scan.intensity.white_level = args->white;
    const Phantom phantom = scene_phantom();
    // Files of about 64 MiB (32 Mi uint16 pixels), so no file nears the 4 GiB of classic TIFF
    // and only one chunk of line integrals is in memory at a time.
    const size_t image = size_t(args->detector) * size_t(args->detector);
    const int chunk = int(std::clamp<size_t>((size_t(32) << 20) / image, 1, size_t(args->views)));
    for (int first = 0; first < args->views; first += chunk) {
      const int count = std::min(chunk, args->views - first);
      char name[32];
      std::snprintf(name, sizeof name, "proj_%05d.tif", first);
      write_chunk(phantom, scan.geometry, first, count, args->white, dir / name);
      for (int page = 0; page < count; ++page) scan.projections.push_back({dir / name, page});
    }
    save_scan(scan, dir / "scan.json");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("wrote %s: %d views of %d x %d uint16 onto a %d^3 grid of %.4f mm voxels in %.1f s\n",
                (dir / "scan.json").c_str(), args->views, args->detector, args->detector, args->size,
                scan.volume->sx, seconds);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make-scan failed: %s\n", e.what());
    return 3;
  }
}

}  // namespace voidscan::bench
