// Tests for recon/volume_writer: a volume appended slab by slab is the same file, byte for
// byte, as one written in one go (float32 in every format, uint16 through the float32 spool);
// uint16 with a given range; failures leave no file, temporary or final.
#include "recon/volume_writer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "recon/error.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace voidscan;
using voidscan::test::TempDir;

namespace {

/// nx x ny x nz voxels of smooth values of both signs, with anisotropic spacing off centre.
Volume test_volume(int nx, int ny, int nz) {
  Volume v;
  v.grid = {nx, ny, nz, 0.5, 0.25, 2.0, {1.5, -2.25, 10.0}};
  v.data.resize(v.grid.voxel_count());
  for (size_t i = 0; i < v.data.size(); ++i) v.data[i] = float(std::sin(0.37 * double(i)) * 0.02 + 0.005);
  return v;
}

std::string file_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Appends `vol` to a VolumeWriter in slabs of `slab` slices (the last one shorter).
void write_in_slabs(const fs::path& file, const Volume& vol, VolumeDtype dtype, int slab,
                    std::optional<std::pair<double, double>> range = std::nullopt) {
  VolumeWriter w(file, vol.grid, dtype, range);
  const size_t slice = size_t(vol.grid.nx) * vol.grid.ny;
  for (int z = 0; z < vol.grid.nz; z += slab) w.append(vol.data.data() + slice * z, std::min(slab, vol.grid.nz - z));
  EXPECT_EQ(w.slices_written(), vol.grid.nz);
  w.commit();
}

size_t entries_in(const fs::path& dir) {
  return size_t(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

const char* const kExtensions[] = {".mha", ".nrrd", ".tif"};

}  // namespace

TEST(VolumeWriter, SlabsGiveTheSameFileAsOneWriteInEveryFormat) {
  TempDir dir;
  // 11 slices, 300 x 7 voxels: 1 slab, 3 slabs (4 + 4 + 3), 5-slice slabs (5 + 5 + 1), single slices;
  // a slab of 2100 voxels crosses no chunk, so also a large volume crossing the 4 MiB chunks below
  const Volume vol = test_volume(300, 7, 11);
  for (const char* ext : kExtensions) {
    for (VolumeDtype dtype : {VolumeDtype::float32, VolumeDtype::uint16}) {
      const fs::path ref = dir / (std::string("ref") + ext);
      write_volume(ref, vol, dtype);
      const std::string expected = file_bytes(ref);
      ASSERT_GT(expected.size(), vol.data.size() * (dtype == VolumeDtype::float32 ? 4 : 2));
      for (int slab : {11, 4, 5, 1}) {
        const fs::path f = dir / ("slabs" + std::to_string(slab) + ext);
        write_in_slabs(f, vol, dtype, slab);
        EXPECT_TRUE(file_bytes(f) == expected) << ext << " dtype " << int(dtype) << " slab " << slab;
        fs::remove(f);
      }
      fs::remove(ref);
    }
  }
  EXPECT_EQ(entries_in(dir.path()), 0u);  // no temporary left behind
}

TEST(VolumeWriter, Float32DataIsTheSamplesVerbatim) {
  // Independent of write_volume: the file ends with the raw little-endian floats.
  TempDir dir;
  const Volume vol = test_volume(1100, 1000, 3);  // 3.3 M voxels: crosses the 1 M-voxel write chunks
  write_in_slabs(dir / "v.mha", vol, VolumeDtype::float32, 2);
  const std::string bytes = file_bytes(dir / "v.mha");
  const size_t n = vol.data.size() * sizeof(float);
  ASSERT_GT(bytes.size(), n);
  EXPECT_EQ(0, std::memcmp(bytes.data() + bytes.size() - n, vol.data.data(), n));
  const Volume back = read_volume(dir / "v.mha");
  EXPECT_EQ(back.data, vol.data);
}

TEST(VolumeWriter, Uint16SpoolUsesTheWholeVolumesRange) {
  // The range is only known after the last slab: the first slab alone spans a fraction of it.
  TempDir dir;
  Volume vol = test_volume(16, 8, 6);
  for (size_t i = 0; i < vol.data.size(); ++i) vol.data[i] *= float(1 + i / 128);  // grows with z
  vol.data[5] = NAN;  // non-finite values are ignored by the range and stored as the offset
  write_in_slabs(dir / "v.nrrd", vol, VolumeDtype::uint16, 1);
  const VolumeHeader h = read_volume_header(dir / "v.nrrd");
  double lo = 1e9, hi = -1e9;
  for (float v : vol.data)
    if (std::isfinite(v)) lo = std::min(lo, double(v)), hi = std::max(hi, double(v));
  EXPECT_DOUBLE_EQ(h.offset, lo);
  EXPECT_DOUBLE_EQ(h.scale, (hi - lo) / 65535.0);
  const Volume back = read_volume(dir / "v.nrrd");
  for (size_t i = 0; i < vol.data.size(); ++i) {
    if (!std::isfinite(vol.data[i])) continue;
    ASSERT_NEAR(back.data[i], vol.data[i], 0.5 * h.scale * 1.0001) << i;
  }
  EXPECT_EQ(entries_in(dir.path()), 1u);  // the spool is gone
}

TEST(VolumeWriter, Uint16WithAGivenRangeClampsOutside) {
  TempDir dir;
  const Volume vol = test_volume(10, 10, 4);  // values in [-0.015, 0.025]
  const double lo = -0.01, hi = 0.02;
  for (const char* ext : kExtensions) {
    const fs::path f = dir / (std::string("r") + ext);
    write_in_slabs(f, vol, VolumeDtype::uint16, 3, std::pair{lo, hi});
    const VolumeHeader h = read_volume_header(f);
    EXPECT_DOUBLE_EQ(h.offset, lo);
    EXPECT_DOUBLE_EQ(h.scale, (hi - lo) / 65535.0);
    const Volume back = read_volume(f);
    for (size_t i = 0; i < vol.data.size(); ++i) {
      const double expect = std::clamp(double(vol.data[i]), lo, hi);
      ASSERT_NEAR(back.data[i], expect, 0.5 * h.scale * 1.0001) << ext << " " << i;
    }
  }
  EXPECT_THROW(VolumeWriter(dir / "bad.mha", vol.grid, VolumeDtype::uint16, std::pair{1.0, NAN}), InputError);
}

TEST(VolumeWriter, AbandonedOrIncompleteWritesLeaveNothing) {
  TempDir dir;
  const Volume vol = test_volume(8, 8, 5);
  for (const char* ext : kExtensions) {
    for (VolumeDtype dtype : {VolumeDtype::float32, VolumeDtype::uint16}) {
      {
        VolumeWriter w(dir / (std::string("a") + ext), vol.grid, dtype);
        w.append(vol.data.data(), 2);
        EXPECT_GE(entries_in(dir.path()), 1u);  // the temporary exists while writing
        EXPECT_THROW(w.commit(), std::logic_error);  // 2 of 5 slices
        EXPECT_THROW(w.append(vol.data.data(), 4), std::invalid_argument);  // past nz
      }  // destroyed without a commit: as if an exception had unwound the reconstruction
      EXPECT_EQ(entries_in(dir.path()), 0u) << ext;
    }
  }
  EXPECT_THROW(VolumeWriter(dir / "x.raw", vol.grid, VolumeDtype::float32), InputError);
  EXPECT_THROW(VolumeWriter(dir / "no-such-folder" / "x.mha", vol.grid, VolumeDtype::float32), InputError);
  EXPECT_EQ(entries_in(dir.path()), 0u);
}
