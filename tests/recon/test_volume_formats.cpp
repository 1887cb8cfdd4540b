// Vendor volumes (recon/volume_formats): VGSTUDIO .vgi + .vol, ZEISS .txm, folders of TIFF
// slices, raw files with a caller-given layout; whole reads and z-slabs against the values
// written, through read_volume / read_volume_header too; malformed headers and truncated data.
#include <gtest/gtest.h>

#include <fstream>

#include "recon/error.hpp"
#include "recon/volume_formats.hpp"
#include "support/scan_files.hpp"
#include "support/temp_dir.hpp"
#include "support/vendor_writers.hpp"

namespace voidscan {
namespace {

namespace fs = std::filesystem;

std::vector<uint16_t> ramp(int nx, int ny, int nz) {
  std::vector<uint16_t> v(size_t(nx) * ny * nz);
  for (size_t i = 0; i < v.size(); ++i) v[i] = uint16_t((i * 37) % 65521);
  return v;
}

template <class T>
void write_raw(const fs::path& f, const std::vector<T>& v, size_t header = 0, bool big_endian = false) {
  std::ofstream out(f, std::ios::binary);
  std::string pad(header, 'H');
  out << pad;
  for (T x : v) {
    unsigned char b[sizeof(T)];
    std::memcpy(b, &x, sizeof(T));
    if (big_endian) std::reverse(b, b + sizeof(T));
    out.write(reinterpret_cast<const char*>(b), sizeof(T));
  }
}

void expect_input_error(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(VolumeFormats, VgiAndVolWholeAndSlab) {
  test::TempDir dir;
  const int nx = 12, ny = 10, nz = 9;
  const auto v = ramp(nx, ny, nz);
  write_raw(dir / "part.vol", v, 64);
  test::write_text(dir / "part.vgi",
                   "{volume1}\n[representation]\nsize = 12 10 9\ndatatype = unsigned integer\nbitsperelement = 16\n"
                   "[file1]\nSkipHeader = 64\nFileFormat = raw\nName = part.vol\n{scene}\n[geometry]\n"
                   "resolution = 25 25 30\nunit = um\n");
  const VolumeHeader h = read_volume_header(dir / "part.vgi");
  EXPECT_EQ(h.nx, nx);
  EXPECT_EQ(h.nz, nz);
  EXPECT_DOUBLE_EQ(h.sx, 0.025);
  EXPECT_DOUBLE_EQ(h.sz, 0.030);
  const Volume vol = read_volume(dir / "part.vgi");
  ASSERT_EQ(vol.data.size(), v.size());
  for (size_t i = 0; i < v.size(); ++i) ASSERT_EQ(vol.data[i], float(v[i])) << i;
  std::vector<float> slab(size_t(nx) * ny * 3);
  read_volume_slab(dir / "part.vgi", 4, 7, slab.data());
  for (size_t i = 0; i < slab.size(); ++i) ASSERT_EQ(slab[i], float(v[size_t(4) * nx * ny + i]));
  // truncated data and a missing field
  fs::resize_file(dir / "part.vol", 64 + v.size() * 2 - 10);
  expect_input_error([&] { (void)read_volume(dir / "part.vgi"); }, "truncated");
  test::write_text(dir / "part.vgi", "[representation]\nsize = 12 10 9\nbitsperelement = 16\nName = part.vol\n");
  expect_input_error([&] { (void)read_volume_header(dir / "part.vgi"); }, "field 'resolution'");
}

TEST(VolumeFormats, RawWithCommandLineLayoutBigEndianFloat) {
  test::TempDir dir;
  std::vector<float> v(6 * 5 * 4);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.001f * float(i) - 0.05f;
  write_raw(dir / "vol.raw", v, 100, true);
  RawVolumeSpec s;
  s.nx = 6, s.ny = 5, s.nz = 4;
  s.dtype = "float32";
  s.header_bytes = 100;
  s.big_endian = true;
  std::vector<float> out(6 * 5 * 2);
  read_raw_volume_slab(dir / "vol.raw", s, 2, 4, out.data());
  for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], v[60 + i]);
  s.nz = 5;  // inconsistent sizes
  expect_input_error([&] { (void)raw_volume_header(dir / "vol.raw", s); }, "inconsistent sizes");
}

TEST(VolumeFormats, TiffSliceFolderWithVoxelOverride) {
  test::TempDir dir;
  fs::create_directories(dir / "slices");
  const int nx = 8, ny = 6, nz = 5;
  std::vector<float> v(size_t(nx) * ny * nz);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(i) * 0.5f;
  for (int z = 0; z < nz; ++z)
    write_tiff_float(dir / "slices" / ("s" + std::to_string(1000 + z) + ".tif"), nx, ny, 1, v.data() + size_t(z) * nx * ny);
  const VolumeHeader h = read_vendor_volume_header(dir / "slices", 0.012);
  EXPECT_EQ(h.nz, nz);
  EXPECT_DOUBLE_EQ(h.sx, 0.012);
  const Volume vol = read_volume(dir / "slices");
  for (size_t i = 0; i < v.size(); ++i) ASSERT_EQ(vol.data[i], v[i]);
}

TEST(VolumeFormats, ZeissTxmSlices) {
  test::TempDir dir;
  test::TxrmContent t;
  t.width = 7;
  t.height = 5;
  t.pixel_size_um = {2.5f};
  for (int z = 0; z < 4; ++z) {
    t.images.emplace_back(35);
    for (int i = 0; i < 35; ++i) t.images.back()[i] = uint16_t(100 * z + i);
  }
  test::write_txrm(dir / "vol.txm", t);
  const VolumeHeader h = read_volume_header(dir / "vol.txm");
  EXPECT_EQ(h.nx, 7);
  EXPECT_EQ(h.nz, 4);
  EXPECT_DOUBLE_EQ(h.sx, 0.0025);
  std::vector<float> slab(35);
  read_volume_slab(dir / "vol.txm", 3, 4, slab.data());
  for (int i = 0; i < 35; ++i) EXPECT_EQ(slab[i], float(300 + i));
}

}  // namespace
}  // namespace voidscan
