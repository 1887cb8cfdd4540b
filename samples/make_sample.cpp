// Makes the bundled demo scan samples/package_demo/: a small flip-chip-like package (organic
// substrate, underfill with solder bumps, silicon die) with two planted voids (one in the
// underfill, one inside a bump), projected exactly (recon/phantom.hpp) into uint16 counts with
// Poisson noise (fixed seed, so the files are reproducible) and a dark offset.
// Usage: voidscan_make_sample OUTDIR. The planted defects are listed in OUTDIR/README.md.
// (The simulator, `voidscan simulate`, will replace this once it exists.)
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "recon/phantom.hpp"
#include "recon/scan.hpp"
#include "recon/tiff_io.hpp"

using namespace voidscan;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out);

  // Linear attenuation, 1/mm, at roughly 30 keV effective energy (lab CT of packages runs at
  // low kV). Solder is lowered from its real value (tens per mm) to keep this demo free of
  // metal streaks.
  constexpr double kSubstrate = 0.20, kUnderfill = 0.25, kSilicon = 0.35, kSolder = 2.0, kAir = 0.0;
  std::vector<Object> o;
  o.push_back({Box{{-0.45, -0.45, -0.25}, {0.45, 0.45, -0.10}}, kSubstrate});
  o.push_back({Box{{-0.40, -0.40, -0.10}, {0.40, 0.40, 0.00}}, kUnderfill});
  for (int i = -1; i <= 1; ++i)
    for (int j = -1; j <= 1; ++j) o.push_back({Cylinder{0.2 * i, 0.2 * j, 0.035, -0.10, 0.00}, kSolder});
  o.push_back({Box{{-0.35, -0.35, 0.00}, {0.35, 0.35, 0.15}}, kSilicon});
  o.push_back({Sphere{{0.10, -0.10, -0.05}, 0.030}, kAir, 1});  // underfill void, 60 um
  o.push_back({Sphere{{0.20, 0.20, -0.05}, 0.015}, kAir, 2});   // void inside the bump at (0.2, 0.2)
  const Phantom phantom(o);

  CircularSpec spec;
  spec.sod_mm = 20;
  spec.sdd_mm = 200;  // magnification 10: 10 um voxels from 0.1 mm pixels
  for (int i = 0; i < 160; ++i) spec.angles_deg.push_back(i * 360.0 / 160);
  const Geometry g = expand_circular({128, 96, 0.1, 0.1}, spec);

  const std::vector<float> p = project(phantom, g, 2);
  constexpr double kI0 = 20000, kDark = 100;
  std::mt19937 rng(2026);
  std::vector<uint16_t> counts(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    std::poisson_distribution<int> poisson(kI0 * std::exp(-double(p[i])));
    counts[i] = uint16_t(std::min(65535.0, poisson(rng) + kDark));
  }
  write_tiff_uint16(out / "proj.tif", 128, 96, int(g.views.size()), counts.data(), "voidscan demo package");

  Scan scan;
  scan.name = "package_demo";
  scan.geometry = g;
  for (int i = 0; i < int(g.views.size()); ++i) scan.projections.push_back({out / "proj.tif", i});
  scan.intensity.white_level = kI0 + kDark;
  scan.intensity.dark_level = kDark;
  VolumeGrid grid;
  grid.nx = grid.ny = 96;
  grid.nz = 48;
  grid.sx = grid.sy = grid.sz = 0.01;
  grid.center = {0, 0, -0.04};
  scan.volume = grid;
  save_scan(scan, out / "scan.json");
  std::printf("wrote %s (%zu views of 128 x 96)\n", (out / "scan.json").c_str(), g.views.size());
  return 0;
}
