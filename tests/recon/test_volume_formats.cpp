// Vendor volumes (recon/volume_formats): VGSTUDIO .vgi + .vol, ZEISS .txm, folders of TIFF
// slices, raw files with a caller-given layout; whole reads and z-slabs against the values
// written, through read_volume / read_volume_header too; malformed headers and truncated data.
#include <gtest/gtest.h>

#include <tiffio.h>

#include <cstring>
#include <fstream>

#include "recon/error.hpp"
#include "recon/tiff_io.hpp"
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

// A float32 stack as another program writes it: no voidscan description, the voxel size only
// in the resolution tags (pixels per centimetre), one page per z slice.
void write_foreign_stack(const fs::path& file, int nx, int ny, int nz, const float* data, double px_per_cm) {
  TIFF* t = TIFFOpen(file.c_str(), "w");
  ASSERT_NE(t, nullptr);
  for (int z = 0; z < nz; ++z) {
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, uint32_t(nx));
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, uint32_t(ny));
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, uint16_t(1));
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, uint16_t(32));
    TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, uint16_t(SAMPLEFORMAT_IEEEFP));
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, uint16_t(PHOTOMETRIC_MINISBLACK));
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, uint16_t(PLANARCONFIG_CONTIG));
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, uint32_t(ny));
    if (px_per_cm > 0) {
      TIFFSetField(t, TIFFTAG_XRESOLUTION, float(px_per_cm));
      TIFFSetField(t, TIFFTAG_YRESOLUTION, float(px_per_cm));
      TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, uint16_t(RESUNIT_CENTIMETER));
    }
    for (int y = 0; y < ny; ++y)
      ASSERT_EQ(TIFFWriteScanline(t, const_cast<float*>(data + (size_t(z) * ny + y) * nx), uint32_t(y), 0), 1);
    TIFFWriteDirectory(t);
  }
  TIFFClose(t);
}

TEST(VolumeFormats, ForeignMultiPageTiffTakesItsResolutionTags) {
  test::TempDir dir;
  const int nx = 9, ny = 7, nz = 4;
  std::vector<float> v(size_t(nx) * ny * nz);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.25f * float(i);
  write_foreign_stack(dir / "tagged.tif", nx, ny, nz, v.data(), 2000);  // 2000 px/cm = 5 um voxels
  const VolumeHeader h = read_volume_header(dir / "tagged.tif");
  EXPECT_TRUE(h.spacing_given);
  EXPECT_NEAR(h.sx, 0.005, 1e-9);
  EXPECT_NEAR(h.sz, 0.005, 1e-9);
  EXPECT_EQ(h.nz, nz);
  const Volume vol = read_volume(dir / "tagged.tif");
  EXPECT_NEAR(vol.grid.sy, 0.005, 1e-9);
  for (size_t i = 0; i < v.size(); ++i) ASSERT_EQ(vol.data[i], v[i]);

  write_foreign_stack(dir / "plain.tif", nx, ny, nz, v.data(), 0);
  const VolumeHeader p = read_volume_header(dir / "plain.tif");
  EXPECT_FALSE(p.spacing_given);
  EXPECT_DOUBLE_EQ(p.sx, 1.0);
}

TEST(VolumeFormats, TiffSliceFolderSpacingFromTagsOrNotGiven) {
  test::TempDir dir;
  const int nx = 6, ny = 5, nz = 3;
  std::vector<float> v(size_t(nx) * ny * nz, 1.5f);
  fs::create_directories(dir / "tagged");
  fs::create_directories(dir / "plain");
  for (int z = 0; z < nz; ++z) {
    const std::string name = "s" + std::to_string(100 + z) + ".tif";
    write_foreign_stack(dir / "tagged" / name, nx, ny, 1, v.data(), 400);  // 25 um
    write_tiff_float(dir / "plain" / name, nx, ny, 1, v.data());
  }
  const VolumeHeader t = read_volume_header(dir / "tagged");
  EXPECT_TRUE(t.spacing_given);
  EXPECT_NEAR(t.sx, 0.025, 1e-9);
  const VolumeHeader p = read_volume_header(dir / "plain");
  EXPECT_FALSE(p.spacing_given);
  const VolumeHeader g = read_vendor_volume_header(dir / "plain", 0.01);
  EXPECT_TRUE(g.spacing_given);
  EXPECT_DOUBLE_EQ(g.sz, 0.01);
}

// .mha, .nrrd and .tif slabs read only their slices and equal the whole read's slices, with
// the uint16 scale and offset applied; a short file is refused even for a slab it holds.
TEST(VolumeFormats, OwnVolumeSlabsEqualTheWholeVolumesSlices) {
  test::TempDir dir;
  Volume v;
  v.grid.nx = 7, v.grid.ny = 5, v.grid.nz = 6;
  v.grid.sx = v.grid.sy = v.grid.sz = 0.002;
  v.data.resize(v.grid.voxel_count());
  for (size_t i = 0; i < v.data.size(); ++i) v.data[i] = 0.01f * float(i % 97);
  const size_t slice = size_t(v.grid.nx) * v.grid.ny;
  for (const char* name : {"v.mha", "v.nrrd", "v.tif"})
    for (VolumeDtype dt : {VolumeDtype::float32, VolumeDtype::uint16}) {
      const fs::path f = dir / name;
      write_volume(f, v, dt);
      const Volume whole = read_volume(f);
      std::vector<float> slab(3 * slice);
      read_volume_slab(f, 2, 5, slab.data());
      for (size_t i = 0; i < slab.size(); ++i) ASSERT_EQ(slab[i], whole.data[2 * slice + i]) << name << " " << i;
      for (size_t i = 0; i < slab.size(); ++i) ASSERT_NEAR(slab[i], v.data[2 * slice + i], 2e-3) << name;
      expect_input_error([&] { read_volume_slab(f, 4, 7, slab.data()); }, "outside");
    }
  write_volume(dir / "cut.mha", v, VolumeDtype::float32);
  fs::resize_file(dir / "cut.mha", fs::file_size(dir / "cut.mha") - 8);
  std::vector<float> one(slice);
  expect_input_error([&] { read_volume_slab(dir / "cut.mha", 0, 1, one.data()); }, "truncated");
}

}  // namespace
}  // namespace voidscan
