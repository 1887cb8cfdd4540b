#include "recon/volume_formats.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "recon/error.hpp"
#include "recon/text.hpp"
#include "recon/tiff_io.hpp"
#include "recon/txrm.hpp"
#include "recon/vendor_text.hpp"

namespace voidscan {
namespace fs = std::filesystem;
namespace {



std::vector<fs::path> tiff_slices(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string x = ascii_lower(e.path().extension().string());
    if (e.is_regular_file() && (x == ".tif" || x == ".tiff")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

bool is_vendor_volume(const fs::path& file) {
  if (fs::is_directory(file)) return true;
  const std::string x = ascii_lower(file.extension().string());
  return x == ".vgi" || x == ".txm";
}

VolumeHeader raw_volume_header(const fs::path& file, const RawVolumeSpec& s) {
  const std::string f = file.string();
  if (s.nx < 1 || s.ny < 1 || s.nz < 1) throw InputError(f, "size", "every size must be at least 1");
  if (!(s.sx > 0 && s.sy > 0 && s.sz > 0)) throw InputError(f, "voxel", "voxel size must be positive");
  if (s.dtype != "uint8" && s.dtype != "uint16" && s.dtype != "int16" && s.dtype != "float32")
    throw InputError(f, "dtype", "unsupported sample type '" + s.dtype + "' (uint8, uint16, int16, float32)");
  std::error_code ec;
  const uintmax_t size = fs::file_size(file, ec);
  if (ec) throw InputError(f, "", fs::exists(file) ? "cannot read (" + ec.message() + ")" : "file not found");
  const uint64_t need = s.header_bytes + uint64_t(s.nx) * s.ny * s.nz * detail::dtype_bytes(s.dtype);
  if (size < need)
    throw InputError(f, "size", "truncated or inconsistent sizes: " + std::to_string(s.nx) + " x " + std::to_string(s.ny) +
                                    " x " + std::to_string(s.nz) + " " + s.dtype + " needs " + std::to_string(need) +
                                    " bytes, the file has " + std::to_string(size));
  VolumeHeader h;
  h.nx = s.nx, h.ny = s.ny, h.nz = s.nz;
  h.sx = s.sx, h.sy = s.sy, h.sz = s.sz;
  h.origin = s.origin;
  h.dtype = s.dtype;
  return h;
}

void read_raw_volume_slab(const fs::path& file, const RawVolumeSpec& s, int z0, int z1, float* out) {
  const VolumeHeader h = raw_volume_header(file, s);
  detail::check_slab(file, h.nz, z0, z1);
  // the host is little-endian (volume_io.cpp asserts it)
  detail::read_raw_slices(file, s.header_bytes, h, s.big_endian, z0, z1, out);
}

RawVolumeSpec parse_vgi(const fs::path& vgi, fs::path* data_file) {
  KeyValueFile kv(vgi);
  auto ints = [&](const std::string& key) {
    std::istringstream ss(kv.string(key));
    std::array<int, 3> v{};
    if (!(ss >> v[0] >> v[1] >> v[2])) kv.fail(key, "expected three integers");
    return v;
  };
  RawVolumeSpec s;
  const auto size = ints("size");
  s.nx = size[0], s.ny = size[1], s.nz = size[2];
  const int bits = kv.integer("bitsperelement");
  const std::string type = ascii_lower(kv.find("datatype").value_or("unsigned integer"));
  if (type.find("float") != std::string::npos) {
    if (bits != 32) kv.fail("bitsperelement", "float data must have 32 bits, got " + std::to_string(bits));
    s.dtype = "float32";
  } else if (bits == 8) {
    s.dtype = "uint8";
  } else if (bits == 16) {
    s.dtype = type.find("unsigned") != std::string::npos || type.find("integer") == std::string::npos ? "uint16" : "int16";
  } else {
    kv.fail("bitsperelement", "unsupported: " + std::to_string(bits) + " bits (8, 16 or 32-bit float)");
  }
  s.header_bytes = uint64_t(kv.optional_number("SkipHeader").value_or(0));
  if (const auto res = kv.find("resolution")) {
    std::istringstream ss(*res);
    if (!(ss >> s.sx >> s.sy >> s.sz) || s.sx <= 0 || s.sy <= 0 || s.sz <= 0)
      kv.fail("resolution", "expected three positive voxel sizes");
    const std::string unit = ascii_lower(kv.find("unit").value_or("mm"));
    const double to_mm = unit == "um" || unit == "µm" ? 1e-3 : unit == "cm" ? 10 : unit == "m" ? 1000 : 1;
    s.sx *= to_mm, s.sy *= to_mm, s.sz *= to_mm;
  } else {
    kv.fail("resolution", "missing: the voxel size is unknown");
  }
  fs::path data = kv.find("Name").value_or("");
  if (data.empty()) data = vgi.stem().string() + ".vol";
  if (data.is_relative()) data = vgi.parent_path() / data;
  if (!fs::exists(data)) data = vgi.parent_path() / data.filename();
  if (data_file) *data_file = data;
  return s;
}

VolumeHeader read_vendor_volume_header(const fs::path& file, std::optional<double> voxel_mm) {
  const std::string f = file.string();
  if (!fs::exists(file)) throw InputError(f, "", "file not found");
  VolumeHeader h;
  if (fs::is_directory(file)) {
    const auto slices = tiff_slices(file);
    if (slices.empty()) throw InputError(f, "", "no .tif slices in this folder");
    const TiffInfo t = tiff_info(slices.front());
    h.nx = t.cols, h.ny = t.rows, h.nz = int(slices.size());
    h.dtype = t.type == SampleType::float32 ? "float32" : t.type == SampleType::uint8 ? "uint8" : "uint16";
    const double px = t.x_resolution_per_mm > 0 ? 1.0 / t.x_resolution_per_mm : 1.0;
    h.sx = h.sy = h.sz = voxel_mm.value_or(px);
    h.spacing_given = voxel_mm.has_value() || t.x_resolution_per_mm > 0;
    return h;
  }
  const std::string x = ascii_lower(file.extension().string());
  if (x == ".vgi") {
    fs::path data;
    const RawVolumeSpec s = parse_vgi(file, &data);
    h = raw_volume_header(data, s);
  } else if (x == ".txm") {
    const TxrmInfo t = read_txrm_info(file);
    if (!(t.pixel_size_um > 0) && !voxel_mm) throw InputError(f, "ImageInfo/PixelSize", "missing: give the voxel size");
    h.nx = t.width, h.ny = t.height, h.nz = t.images;
    h.dtype = t.data_type;
    h.sx = h.sy = h.sz = t.pixel_size_um / 1000.0;
  } else {
    throw InputError(f, "", "not a vendor volume (.vgi, .txm or a folder of TIFF slices)");
  }
  if (voxel_mm) h.sx = h.sy = h.sz = *voxel_mm;
  return h;
}

void read_volume_slab(const fs::path& file, int z0, int z1, float* out, std::optional<double> voxel_mm) {
  if (!is_vendor_volume(file)) return read_own_volume_slab(file, z0, z1, out);  // .mha/.nrrd/.tif
  const VolumeHeader h = read_vendor_volume_header(file, voxel_mm);
  detail::check_slab(file, h.nz, z0, z1);
  const size_t slice = size_t(h.nx) * h.ny;
  if (fs::is_directory(file)) {
    const auto slices = tiff_slices(file);
    TiffReader reader;
    for (int z = z0; z < z1; ++z) reader.read(slices[z], 0, h.nx, h.ny, out + size_t(z - z0) * slice);
  } else if (ascii_lower(file.extension().string()) == ".vgi") {
    fs::path data;
    const RawVolumeSpec s = parse_vgi(file, &data);
    read_raw_volume_slab(data, s, z0, z1, out);
  } else {
    for (int z = z0; z < z1; ++z) read_txrm_image(file, z, out + size_t(z - z0) * slice);
  }
}

Volume read_vendor_volume(const fs::path& file, std::optional<double> voxel_mm) {
  const VolumeHeader h = read_vendor_volume_header(file, voxel_mm);
  Volume v;
  v.grid.nx = h.nx, v.grid.ny = h.ny, v.grid.nz = h.nz;
  v.grid.sx = h.sx, v.grid.sy = h.sy, v.grid.sz = h.sz;
  v.grid.center = {h.origin.x + 0.5 * (h.nx - 1) * h.sx, h.origin.y + 0.5 * (h.ny - 1) * h.sy,
                   h.origin.z + 0.5 * (h.nz - 1) * h.sz};
  v.data.resize(v.grid.voxel_count());
  read_volume_slab(file, 0, h.nz, v.data.data(), voxel_mm);
  return v;
}

}  // namespace voidscan
