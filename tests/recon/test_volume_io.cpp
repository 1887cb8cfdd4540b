// Tests for recon/volume_io: MHA / NRRD / TIFF round trips in float32 and uint16, header
// fields, atomic writes, truncated and foreign input.
#include "recon/volume_io.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <tiffio.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "recon/error.hpp"
#include "recon/tiff_io.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using voidscan::InputError;
using voidscan::Volume;
using voidscan::VolumeDtype;
using voidscan::test::TempDir;

namespace {

/// A small volume with anisotropic spacing, an off-centre grid and values of both signs.
Volume test_volume(int nx = 4, int ny = 3, int nz = 5) {
  Volume v;
  v.grid = {nx, ny, nz, 0.5, 0.25, 2.0, {1.5, -2.25, 10.0}};
  v.data.resize(v.grid.voxel_count());
  for (size_t i = 0; i < v.data.size(); ++i) v.data[i] = float(std::sin(0.37 * double(i)) * 0.02 + 0.005);
  return v;
}

const char* const kExtensions[] = {".mha", ".nrrd", ".tif"};

/// Header lines of an MHA file (up to and including ElementDataFile) and the header's size.
std::vector<std::string> mha_header_lines(const fs::path& file, size_t& header_bytes) {
  std::ifstream in(file, std::ios::binary);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (line.rfind("ElementDataFile", 0) == 0) break;
  }
  header_bytes = size_t(in.tellg());
  return lines;
}

std::string file_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void expect_same_grid(const voidscan::VolumeGrid& a, const voidscan::VolumeGrid& b) {
  EXPECT_EQ(a.nx, b.nx);
  EXPECT_EQ(a.ny, b.ny);
  EXPECT_EQ(a.nz, b.nz);
  EXPECT_DOUBLE_EQ(a.sx, b.sx);
  EXPECT_DOUBLE_EQ(a.sy, b.sy);
  EXPECT_DOUBLE_EQ(a.sz, b.sz);
  EXPECT_NEAR(a.center.x, b.center.x, 1e-12);
  EXPECT_NEAR(a.center.y, b.center.y, 1e-12);
  EXPECT_NEAR(a.center.z, b.center.z, 1e-12);
}

size_t entries_in(const fs::path& dir) {
  return size_t(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST(VolumeIo, Float32RoundTripIsExactInEveryFormat) {
  TempDir dir;
  const Volume vol = test_volume();
  for (const char* ext : kExtensions) {
    SCOPED_TRACE(ext);
    const fs::path file = dir / (std::string("vol") + ext);
    voidscan::write_volume(file, vol, VolumeDtype::float32);
    const voidscan::VolumeHeader h = voidscan::read_volume_header(file);
    EXPECT_EQ(h.dtype, "float32");
    EXPECT_EQ(h.nx, 4);
    EXPECT_EQ(h.ny, 3);
    EXPECT_EQ(h.nz, 5);
    EXPECT_DOUBLE_EQ(h.sx, 0.5);
    EXPECT_DOUBLE_EQ(h.sy, 0.25);
    EXPECT_DOUBLE_EQ(h.sz, 2.0);
    EXPECT_DOUBLE_EQ(h.origin.x, 1.5 - 1.5 * 0.5);  // centre of voxel 0
    EXPECT_DOUBLE_EQ(h.origin.y, -2.25 - 1.0 * 0.25);
    EXPECT_DOUBLE_EQ(h.origin.z, 10.0 - 2.0 * 2.0);
    EXPECT_EQ(h.scale, 1.0);
    EXPECT_EQ(h.offset, 0.0);
    const Volume back = voidscan::read_volume(file);
    expect_same_grid(back.grid, vol.grid);
    EXPECT_EQ(back.data, vol.data);
  }
  EXPECT_EQ(entries_in(dir.path()), 3u);  // no temporary files left
}

TEST(VolumeIo, Uint16RoundTripWithinHalfAStepInEveryFormat) {
  TempDir dir;
  const Volume vol = test_volume();
  const auto [lo, hi] = std::minmax_element(vol.data.begin(), vol.data.end());
  const double scale = (double(*hi) - double(*lo)) / 65535.0;
  for (const char* ext : kExtensions) {
    SCOPED_TRACE(ext);
    const fs::path file = dir / (std::string("vol16") + ext);
    voidscan::write_volume(file, vol, VolumeDtype::uint16);
    const voidscan::VolumeHeader h = voidscan::read_volume_header(file);
    EXPECT_EQ(h.dtype, "uint16");
    EXPECT_DOUBLE_EQ(h.scale, scale);
    EXPECT_DOUBLE_EQ(h.offset, double(*lo));
    const Volume back = voidscan::read_volume(file);
    expect_same_grid(back.grid, vol.grid);
    ASSERT_EQ(back.data.size(), vol.data.size());
    for (size_t i = 0; i < vol.data.size(); ++i)
      ASSERT_NEAR(back.data[i], vol.data[i], scale / 2 + 1e-9) << "voxel " << i;
    EXPECT_EQ(back.data[size_t(lo - vol.data.begin())], *lo);  // the minimum is stored as 0 exactly
  }
}

TEST(VolumeIo, ConstantVolumeUsesUnitScale) {
  TempDir dir;
  Volume vol = test_volume(2, 2, 2);
  std::fill(vol.data.begin(), vol.data.end(), 0.125f);
  const fs::path file = dir / "flat.nrrd";
  voidscan::write_volume(file, vol, VolumeDtype::uint16);
  EXPECT_EQ(voidscan::read_volume_header(file).scale, 1.0);
  EXPECT_EQ(voidscan::read_volume(file).data, vol.data);
}

TEST(VolumeIo, LargeVolumeCrossesWriteChunks) {
  TempDir dir;
  const Volume vol = test_volume(128, 100, 90);  // 1.15 M voxels: more than one 1 M-voxel chunk
  const fs::path file = dir / "big.mha";
  voidscan::write_volume(file, vol, VolumeDtype::float32);
  EXPECT_EQ(voidscan::read_volume(file).data, vol.data);
}

TEST(VolumeIo, MhaHeaderFields) {
  TempDir dir;
  const Volume vol = test_volume();
  const fs::path file = dir / "h.mha";
  voidscan::write_volume(file, vol, VolumeDtype::uint16);
  size_t header_bytes = 0;
  const auto lines = mha_header_lines(file, header_bytes);
  const voidscan::VolumeHeader h = voidscan::read_volume_header(file);
  std::ostringstream scale, offset;
  const std::vector<std::string> expected = {"ObjectType = Image",
                                             "NDims = 3",
                                             "BinaryData = True",
                                             "BinaryDataByteOrderMSB = False",
                                             "CompressedData = False",
                                             "TransformMatrix = 1 0 0 0 1 0 0 0 1",
                                             "Offset = 0.75 -2.5 6",
                                             "CenterOfRotation = 0 0 0",
                                             "AnatomicalOrientation = RAI",
                                             "ElementSpacing = 0.5 0.25 2",
                                             "DimSize = 4 3 5",
                                             "ElementType = MET_USHORT"};
  ASSERT_EQ(lines.size(), expected.size() + 3);
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(lines[i], expected[i]);
  EXPECT_EQ(lines[12].rfind("VoidscanScale = ", 0), 0u);
  EXPECT_DOUBLE_EQ(std::stod(lines[12].substr(16)), h.scale);
  EXPECT_EQ(lines[13].rfind("VoidscanOffset = ", 0), 0u);
  EXPECT_DOUBLE_EQ(std::stod(lines[13].substr(17)), h.offset);
  EXPECT_EQ(lines[14], "ElementDataFile = LOCAL");
  EXPECT_EQ(fs::file_size(file) - header_bytes, vol.data.size() * 2);  // raw uint16 right after

  voidscan::write_volume(file, vol, VolumeDtype::float32);  // overwrite: float has no scale fields
  const std::string text = file_text(file);
  EXPECT_NE(text.find("ElementType = MET_FLOAT\nElementDataFile = LOCAL\n"), std::string::npos);
  EXPECT_EQ(text.find("VoidscanScale"), std::string::npos);
}

TEST(VolumeIo, NrrdHeaderFields) {
  TempDir dir;
  const Volume vol = test_volume();
  const fs::path file = dir / "h.nrrd";
  voidscan::write_volume(file, vol, VolumeDtype::uint16);
  const std::string text = file_text(file);
  const size_t end = text.find("\n\n");
  ASSERT_NE(end, std::string::npos);
  const std::string header = text.substr(0, end + 1);
  EXPECT_EQ(header.rfind("NRRD0004\n", 0), 0u);
  for (const char* line : {"type: uint16\n", "dimension: 3\n", "space dimension: 3\n", "sizes: 4 3 5\n",
                           "space directions: (0.5,0,0) (0,0.25,0) (0,0,2)\n", "endian: little\n",
                           "encoding: raw\n", "space origin: (0.75,-2.5,6)\n", "voidscan_scale:=", "voidscan_offset:="})
    EXPECT_NE(header.find(line), std::string::npos) << line;
  EXPECT_EQ(text.size() - (end + 2), vol.data.size() * 2);
}

TEST(VolumeIo, TiffStackCarriesGridInImageDescription) {
  TempDir dir;
  const Volume vol = test_volume();
  const fs::path file = dir / "stack.tiff";
  voidscan::write_volume(file, vol, VolumeDtype::uint16);
  const voidscan::TiffInfo info = voidscan::tiff_info(file);
  EXPECT_EQ(info.cols, 4);
  EXPECT_EQ(info.rows, 3);
  EXPECT_EQ(info.pages, 5);  // one page per z slice
  EXPECT_EQ(info.type, voidscan::SampleType::uint16);

  TIFF* tif = TIFFOpen(file.c_str(), "r");
  ASSERT_NE(tif, nullptr);
  const char* text = nullptr;
  ASSERT_TRUE(TIFFGetField(tif, TIFFTAG_IMAGEDESCRIPTION, &text));
  const auto j = nlohmann::json::parse(text);
  TIFFClose(tif);
  EXPECT_EQ(j.at("voidscan_volume"), 1);
  EXPECT_EQ(j.at("spacing_mm"), nlohmann::json({0.5, 0.25, 2.0}));
  EXPECT_EQ(j.at("origin_mm"), nlohmann::json({0.75, -2.5, 6.0}));
  const voidscan::VolumeHeader h = voidscan::read_volume_header(file);
  EXPECT_EQ(j.at("scale").get<double>(), h.scale);
  EXPECT_EQ(j.at("offset").get<double>(), h.offset);
  EXPECT_GT(h.scale, 0.0);
}

TEST(VolumeIo, InterruptedWriteLeavesNoFile) {
  TempDir dir;
  const fs::path target = dir / "out.mha";
  auto failing = [](const fs::path& tmp) {
    std::ofstream(tmp) << "partial data";
    throw std::runtime_error("interrupted");
  };
  EXPECT_THROW(voidscan::write_atomically(target, failing), std::runtime_error);
  EXPECT_FALSE(fs::exists(target));
  EXPECT_EQ(entries_in(dir.path()), 0u);  // no .part file either

  // With an existing target the old file survives intact.
  const Volume vol = test_volume();
  voidscan::write_volume(target, vol, VolumeDtype::float32);
  EXPECT_THROW(voidscan::write_atomically(target, failing), std::runtime_error);
  EXPECT_EQ(entries_in(dir.path()), 1u);
  EXPECT_EQ(voidscan::read_volume(target).data, vol.data);
}

TEST(VolumeIo, TruncatedMhaIsInputErrorNamingTheFile) {
  TempDir dir;
  const fs::path file = dir / "cut.mha";
  voidscan::write_volume(file, test_volume(), VolumeDtype::float32);
  fs::resize_file(file, fs::file_size(file) - 10);
  EXPECT_EQ(voidscan::read_volume_header(file).nx, 4);  // the header alone is intact
  try {
    (void)voidscan::read_volume(file);
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(file.string()), std::string::npos) << what;
    EXPECT_NE(what.find("truncated: expected 240 bytes of voxel data, found 230"), std::string::npos) << what;
  }
}

TEST(VolumeIo, HeaderParseErrorNamesFileAndKey) {
  TempDir dir;
  const fs::path file = dir / "bad.nrrd";
  std::ofstream(file, std::ios::binary) << "NRRD0004\ntype: float\ndimension: 3\nsizes: 4 x 2\n"
                                           "endian: little\nencoding: raw\n\n";
  try {
    (void)voidscan::read_volume_header(file);
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), file.string());
    EXPECT_EQ(e.field(), "sizes");
  }
}

TEST(VolumeIo, MhaWithSeparateBigEndianInt16Raw) {
  TempDir dir;
  std::ofstream(dir / "v.mha", std::ios::binary)
      << "ObjectType = Image\nNDims = 3\nDimSize = 2 1 2\nElementSpacing = 1 1 3\nOffset = 0 0 -1\n"
         "BinaryData = True\nBinaryDataByteOrderMSB = True\nElementType = MET_SHORT\nElementDataFile = v.raw\n";
  const unsigned char raw[] = {0x01, 0x00, 0xFF, 0xFE, 0x7F, 0xFF, 0x80, 0x00};  // 256, -2, 32767, -32768
  std::ofstream(dir / "v.raw", std::ios::binary).write(reinterpret_cast<const char*>(raw), sizeof raw);
  const Volume vol = voidscan::read_volume(dir / "v.mha");
  EXPECT_EQ(vol.data, (std::vector<float>{256, -2, 32767, -32768}));
  EXPECT_DOUBLE_EQ(vol.grid.sz, 3.0);
  EXPECT_DOUBLE_EQ(vol.grid.center.z, 0.5);
}

TEST(VolumeIo, UnknownExtensionAndDtypeRejected) {
  TempDir dir;
  EXPECT_THROW((void)voidscan::volume_format_from_path("vol.vtk"), InputError);
  EXPECT_THROW((void)voidscan::volume_format_from_path("vol"), InputError);
  EXPECT_EQ(voidscan::volume_format_from_path("a/VOL.TIFF"), voidscan::VolumeFormat::tiff);
  EXPECT_EQ(voidscan::volume_format_from_path("v.nrrd"), voidscan::VolumeFormat::nrrd);
  EXPECT_THROW(voidscan::write_volume(dir / "vol.raw", test_volume(), VolumeDtype::float32), InputError);
  EXPECT_EQ(entries_in(dir.path()), 0u);
  EXPECT_EQ(voidscan::parse_volume_dtype("uint16"), VolumeDtype::uint16);
  EXPECT_EQ(voidscan::parse_volume_dtype("float32"), VolumeDtype::float32);
  EXPECT_THROW((void)voidscan::parse_volume_dtype("int8"), InputError);
}

TEST(VolumeIo, HeaderSaysWhetherTheFileGaveSpacing) {
  TempDir dir;
  for (const char* ext : kExtensions) {
    const fs::path file = dir / (std::string("v") + ext);
    voidscan::write_volume(file, test_volume(), VolumeDtype::float32);
    EXPECT_TRUE(voidscan::read_volume_header(file).spacing_given) << ext;
  }
  std::ofstream(dir / "bare.mha", std::ios::binary)
      << "ObjectType = Image\nNDims = 3\nDimSize = 2 1 1\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n"
      << std::string(2, '\0');
  const auto mha = voidscan::read_volume_header(dir / "bare.mha");
  EXPECT_FALSE(mha.spacing_given);
  EXPECT_EQ(mha.sx, 1.0);  // still assumed 1 for the readers that accept it
  std::ofstream(dir / "bare.nrrd", std::ios::binary)
      << "NRRD0004\ntype: uint8\ndimension: 3\nsizes: 2 1 1\nencoding: raw\n\n" << std::string(2, '\0');
  EXPECT_FALSE(voidscan::read_volume_header(dir / "bare.nrrd").spacing_given);
}
