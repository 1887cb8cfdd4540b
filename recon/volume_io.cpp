// Volume files: MHA, NRRD (raw, attached) and single-file TIFF stacks. See volume_io.hpp.
//
// Writers: recon/volume_writer.cpp (write_volume() is the streaming VolumeWriter given the
// whole volume). Readers check the header against the file size before allocating, and name
// the file and the header key on error.
#include "recon/volume_io.hpp"
#include "recon/volume_formats.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>

#include "recon/error.hpp"
#include "recon/text.hpp"
#include "recon/tiff_io.hpp"

namespace fs = std::filesystem;

namespace voidscan {
namespace {

static_assert(std::endian::native == std::endian::little, "volume I/O assumes a little-endian host");

constexpr size_t kChunkVoxels = size_t(1) << 20;  ///< 4 MiB of float32 per read/write
constexpr size_t kMaxHeaderBytes = size_t(1) << 20;

// ---- formatting and parsing helpers --------------------------------------------------------

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

/// Exactly `count` numbers from `text`; '(' ')' ',' count as separators (NRRD vectors).
std::vector<double> parse_numbers(std::string text, size_t count, const fs::path& file, const std::string& key) {
  std::replace_if(text.begin(), text.end(), [](char c) { return c == '(' || c == ')' || c == ','; }, ' ');
  std::vector<double> out;
  const char* p = text.data();
  const char* end = p + text.size();
  while (true) {
    while (p < end && (*p == ' ' || *p == '\t')) ++p;
    if (p == end) break;
    double v = 0;
    const auto r = std::from_chars(p, end, v);
    if (r.ec != std::errc() || (r.ptr < end && *r.ptr != ' ' && *r.ptr != '\t') || !std::isfinite(v))
      throw InputError(file.string(), key, "expected " + std::to_string(count) + " numbers, found '" + trim(text) + "'");
    out.push_back(v);
    p = r.ptr;
  }
  if (out.size() != count)
    throw InputError(file.string(), key, "expected " + std::to_string(count) + " numbers, found '" + trim(text) + "'");
  return out;
}

/// Three positive integer sizes (DimSize, sizes).
std::array<int, 3> parse_sizes(const std::string& text, const fs::path& file, const std::string& key) {
  const auto v = parse_numbers(text, 3, file, key);
  std::array<int, 3> n{};
  for (int i = 0; i < 3; ++i) {
    if (v[i] < 1 || v[i] > std::numeric_limits<int>::max() || v[i] != std::floor(v[i]))
      throw InputError(file.string(), key, "sizes must be positive integers, found '" + trim(text) + "'");
    n[i] = int(v[i]);
  }
  return n;
}

double parse_number(const std::string& text, const fs::path& file, const std::string& key) {
  return parse_numbers(text, 1, file, key)[0];
}

// ---- samples ---------------------------------------------------------------------------------

}  // namespace

namespace detail {

size_t dtype_bytes(const std::string& dtype) { return dtype == "float32" ? 4 : dtype == "uint8" ? 1 : 2; }

namespace {
template <class T>
void decode_as(const unsigned char* src, size_t n, bool swap, const VolumeHeader& h, float* dst) {
  for (size_t i = 0; i < n; ++i) {
    unsigned char b[sizeof(T)];
    std::memcpy(b, src + i * sizeof(T), sizeof(T));
    if (swap) std::reverse(b, b + sizeof(T));
    T v;
    std::memcpy(&v, b, sizeof(T));
    dst[i] = float(double(v) * h.scale + h.offset);  // exact for float32 with scale 1, offset 0
  }
}
}  // namespace

void decode(const unsigned char* src, size_t n, bool swap, const VolumeHeader& h, float* dst) {
  if (h.dtype == "float32") return decode_as<float>(src, n, swap, h, dst);
  if (h.dtype == "uint16") return decode_as<uint16_t>(src, n, swap, h, dst);
  if (h.dtype == "int16") return decode_as<int16_t>(src, n, swap, h, dst);
  return decode_as<uint8_t>(src, n, swap, h, dst);
}

}  // namespace detail

namespace {
using detail::decode;
using detail::dtype_bytes;

Volume empty_volume(const VolumeHeader& h) {
  Volume vol;
  VolumeGrid& g = vol.grid;
  g.nx = h.nx, g.ny = h.ny, g.nz = h.nz;
  g.sx = h.sx, g.sy = h.sy, g.sz = h.sz;
  g.center = {h.origin.x + 0.5 * (h.nx - 1) * h.sx, h.origin.y + 0.5 * (h.ny - 1) * h.sy,
              h.origin.z + 0.5 * (h.nz - 1) * h.sz};
  return vol;
}

// ---- MHA and NRRD headers --------------------------------------------------------------------

/// Where the raw samples of an MHA/NRRD volume are.
struct RawLayout {
  VolumeHeader header;
  fs::path data_file;
  int64_t data_offset = 0;  ///< -1: the samples end the file (MHA HeaderSize = -1)
  bool big_endian = false;
};

/// Reads header lines (without '\n' or '\r') until done(line) returns true; returns the byte
/// offset just past that line. Only the first kMaxHeaderBytes are read, so a large binary file
/// given by mistake costs little; InputError when no header end is found there.
int64_t read_header_lines(const fs::path& file, const std::function<bool(const std::string&)>& done) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::error_code ec;
    throw InputError(file.string(), "", fs::exists(file, ec) ? "cannot open file" : "file not found");
  }
  std::string text(kMaxHeaderBytes, '\0');
  in.read(text.data(), std::streamsize(text.size()));
  text.resize(size_t(in.gcount()));
  const bool whole_file = text.size() < kMaxHeaderBytes;
  for (size_t pos = 0; pos < text.size();) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos && !whole_file) break;  // the line runs past what was read
    if (eol == std::string::npos) eol = text.size();
    std::string line = text.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = std::min(eol + 1, text.size());
    if (done(line)) return int64_t(pos);
  }
  throw InputError(file.string(), "", "header is incomplete or not a volume header");
}

bool is_true(const std::string& v) { return v == "True" || v == "true" || v == "1"; }

RawLayout parse_mha(const fs::path& file) {
  std::map<std::string, std::string> keys;
  RawLayout out;
  out.data_offset = read_header_lines(file, [&](const std::string& line) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) {
      if (trim(line).empty()) return false;
      throw InputError(file.string(), "", "not an MHA header line: '" + line.substr(0, 80) + "'");
    }
    const std::string key = trim(line.substr(0, eq));
    keys[key] = trim(line.substr(eq + 1));
    return key == "ElementDataFile";  // always the last header line
  });
  auto require = [&](const std::string& key) -> const std::string& {
    const auto it = keys.find(key);
    if (it == keys.end()) throw InputError(file.string(), key, "missing");
    return it->second;
  };
  auto optional = [&](const std::string& key) {
    const auto it = keys.find(key);
    return it == keys.end() ? std::string() : it->second;
  };

  VolumeHeader& h = out.header;
  if (parse_number(require("NDims"), file, "NDims") != 3)
    throw InputError(file.string(), "NDims", "only 3-D volumes are supported, found " + require("NDims"));
  const auto n = parse_sizes(require("DimSize"), file, "DimSize");
  h.nx = n[0], h.ny = n[1], h.nz = n[2];
  const char* spacing_key = keys.count("ElementSpacing") ? "ElementSpacing" : "ElementSize";
  if (keys.count(spacing_key)) {
    const auto s = parse_numbers(keys[spacing_key], 3, file, spacing_key);
    h.sx = s[0], h.sy = s[1], h.sz = s[2];
  } else {
    h.sx = h.sy = h.sz = 1;
    h.spacing_given = false;
  }
  for (const char* key : {"Offset", "Position", "Origin"}) {
    if (keys.count(key)) {
      const auto o = parse_numbers(keys[key], 3, file, key);
      h.origin = {o[0], o[1], o[2]};
      break;
    }
  }
  const std::string& type = require("ElementType");
  static const std::map<std::string, std::string> types = {
      {"MET_FLOAT", "float32"}, {"MET_USHORT", "uint16"}, {"MET_UCHAR", "uint8"}, {"MET_SHORT", "int16"}};
  const auto t = types.find(type);
  if (t == types.end())
    throw InputError(file.string(), "ElementType",
                     "unsupported '" + type + "' (supported: MET_FLOAT, MET_USHORT, MET_UCHAR, MET_SHORT)");
  h.dtype = t->second;
  if (keys.count("ElementNumberOfChannels") && parse_number(keys["ElementNumberOfChannels"], file, "ElementNumberOfChannels") != 1)
    throw InputError(file.string(), "ElementNumberOfChannels", "only single-channel volumes are supported");
  if (is_true(optional("CompressedData")))
    throw InputError(file.string(), "CompressedData", "compressed data is not supported");
  if (keys.count("BinaryData") && !is_true(keys["BinaryData"]))
    throw InputError(file.string(), "BinaryData", "ASCII data is not supported");
  out.big_endian = is_true(optional("BinaryDataByteOrderMSB")) || is_true(optional("ElementByteOrderMSB"));
  if (keys.count("VoidscanScale")) h.scale = parse_number(keys["VoidscanScale"], file, "VoidscanScale");
  if (keys.count("VoidscanOffset")) h.offset = parse_number(keys["VoidscanOffset"], file, "VoidscanOffset");

  const std::string& data = require("ElementDataFile");
  if (data == "LOCAL") {
    out.data_file = file;
  } else {
    if (data == "LIST" || data.find('%') != std::string::npos || data.find(' ') != std::string::npos)
      throw InputError(file.string(), "ElementDataFile", "lists of data files are not supported");
    out.data_file = fs::path(data).is_absolute() ? fs::path(data) : file.parent_path() / data;
    out.data_offset = keys.count("HeaderSize") ? int64_t(parse_number(keys["HeaderSize"], file, "HeaderSize")) : 0;
  }
  return out;
}

RawLayout parse_nrrd(const fs::path& file) {
  std::map<std::string, std::string> fields, key_values;
  bool first = true;
  RawLayout out;
  out.data_offset = read_header_lines(file, [&](const std::string& line) {
    if (first) {
      first = false;
      if (line.rfind("NRRD000", 0) != 0) throw InputError(file.string(), "", "not an NRRD file (no NRRD000x magic)");
      return false;
    }
    if (line.empty()) return true;  // a blank line ends the header
    if (line[0] == '#') return false;
    if (const auto kv = line.find(":="); kv != std::string::npos) {
      key_values[line.substr(0, kv)] = line.substr(kv + 2);
    } else if (const auto colon = line.find(": "); colon != std::string::npos) {
      fields[line.substr(0, colon)] = trim(line.substr(colon + 2));
    } else {
      throw InputError(file.string(), "", "not an NRRD header line: '" + line.substr(0, 80) + "'");
    }
    return false;
  });
  auto require = [&](const std::string& key) -> const std::string& {
    const auto it = fields.find(key);
    if (it == fields.end()) throw InputError(file.string(), key, "missing");
    return it->second;
  };

  VolumeHeader& h = out.header;
  if (parse_number(require("dimension"), file, "dimension") != 3)
    throw InputError(file.string(), "dimension", "only 3-D volumes are supported, found " + fields["dimension"]);
  const auto n = parse_sizes(require("sizes"), file, "sizes");
  h.nx = n[0], h.ny = n[1], h.nz = n[2];
  if (fields.count("space directions")) {
    const auto d = parse_numbers(fields["space directions"], 9, file, "space directions");
    h.sx = std::hypot(d[0], d[1], d[2]), h.sy = std::hypot(d[3], d[4], d[5]), h.sz = std::hypot(d[6], d[7], d[8]);
  } else if (fields.count("spacings")) {
    const auto s = parse_numbers(fields["spacings"], 3, file, "spacings");
    h.sx = s[0], h.sy = s[1], h.sz = s[2];
  } else {
    h.sx = h.sy = h.sz = 1;
    h.spacing_given = false;
  }
  if (fields.count("space origin")) {
    const auto o = parse_numbers(fields["space origin"], 3, file, "space origin");
    h.origin = {o[0], o[1], o[2]};
  }
  static const std::map<std::string, std::string> types = {
      {"float", "float32"},          {"float32", "float32"},       {"uint16", "uint16"},
      {"ushort", "uint16"},          {"unsigned short", "uint16"}, {"unsigned short int", "uint16"},
      {"uint16_t", "uint16"},        {"int16", "int16"},           {"short", "int16"},
      {"short int", "int16"},        {"signed short", "int16"},    {"signed short int", "int16"},
      {"int16_t", "int16"},          {"uint8", "uint8"},           {"uchar", "uint8"},
      {"unsigned char", "uint8"},    {"uint8_t", "uint8"}};
  const auto t = types.find(require("type"));
  if (t == types.end())
    throw InputError(file.string(), "type", "unsupported '" + fields["type"] + "' (supported: float, uint16, int16, uint8)");
  h.dtype = t->second;
  if (require("encoding") != "raw")
    throw InputError(file.string(), "encoding", "only raw encoding is supported, found '" + fields["encoding"] + "'");
  if (fields.count("data file") || fields.count("datafile"))
    throw InputError(file.string(), "data file", "detached data is not supported");
  if (fields.count("endian")) {
    const std::string& e = fields["endian"];
    if (e != "little" && e != "big") throw InputError(file.string(), "endian", "expected little or big, found '" + e + "'");
    out.big_endian = e == "big";
  } else if (h.dtype != "uint8") {
    throw InputError(file.string(), "endian", "missing");
  }
  if (key_values.count("voidscan_scale")) h.scale = parse_number(key_values["voidscan_scale"], file, "voidscan_scale");
  if (key_values.count("voidscan_offset")) h.offset = parse_number(key_values["voidscan_offset"], file, "voidscan_offset");
  out.data_file = file;
  return out;
}

RawLayout parse_raw_header(const fs::path& file, VolumeFormat f) {
  return f == VolumeFormat::mha ? parse_mha(file) : parse_nrrd(file);
}

/// Byte offset of the samples in l.data_file, after checking the file holds all of them
/// (InputError naming the file when it is short). Called before allocating the volume.
uint64_t checked_data_offset(const RawLayout& l) {
  const VolumeHeader& h = l.header;
  const uint64_t need = uint64_t(h.nx) * uint64_t(h.ny) * uint64_t(h.nz) * dtype_bytes(h.dtype);
  std::error_code ec;
  const uintmax_t size = fs::file_size(l.data_file, ec);
  if (ec) throw InputError(l.data_file.string(), "", "cannot read voxel data (" + ec.message() + ")");
  const uint64_t offset = l.data_offset >= 0 ? uint64_t(l.data_offset) : size - std::min<uint64_t>(size, need);
  const uint64_t available = size > offset ? size - offset : 0;
  if (available < need)
    throw InputError(l.data_file.string(), "", "truncated: expected " + std::to_string(need) +
                                                   " bytes of voxel data, found " + std::to_string(available));
  return offset;
}

/// Reads and decodes the samples of l, starting at `offset` of l.data_file, into out.
void read_raw_samples(const RawLayout& l, uint64_t offset, float* out) {
  const VolumeHeader& h = l.header;
  const uint64_t n = uint64_t(h.nx) * uint64_t(h.ny) * uint64_t(h.nz);
  const size_t bytes = dtype_bytes(h.dtype);
  std::ifstream in(l.data_file, std::ios::binary);
  in.seekg(std::streamoff(offset));
  std::vector<unsigned char> buf(std::min<uint64_t>(n, kChunkVoxels) * bytes);
  for (uint64_t i = 0; i < n; i += kChunkVoxels) {
    const size_t m = size_t(std::min<uint64_t>(kChunkVoxels, n - i));
    if (!in.read(reinterpret_cast<char*>(buf.data()), std::streamsize(m * bytes)))
      throw InputError(l.data_file.string(), "", "read error in voxel data");
    decode(buf.data(), m, l.big_endian, h, out + i);
  }
}

// ---- TIFF stacks -----------------------------------------------------------------------------

VolumeHeader read_tiff_header(const fs::path& file) {
  const TiffInfo info = tiff_info(file);
  VolumeHeader h;
  h.nx = info.cols, h.ny = info.rows, h.nz = info.pages;
  h.sx = h.sy = h.sz = 1;
  switch (info.type) {
    case SampleType::uint8: h.dtype = "uint8"; break;
    case SampleType::uint16: h.dtype = "uint16"; break;
    case SampleType::uint32: h.dtype = "uint32"; break;
    case SampleType::float32: h.dtype = "float32"; break;
  }
  const auto json = nlohmann::json::parse(detail::tiff_description(file), nullptr, /*allow_exceptions=*/false);
  h.spacing_given = false;
  if (!json.is_object() || !json.contains("voidscan_volume")) {
    // another program's stack: the resolution tags (isotropic voxels) when present, else unit
    // spacing flagged as not given
    if (info.x_resolution_per_mm > 0) {
      h.sx = h.sy = h.sz = 1.0 / info.x_resolution_per_mm;
      h.spacing_given = true;
    }
    return h;
  }
  auto get = [&](const char* key, auto& value) {
    if (!json.contains(key)) return;
    try {
      json.at(key).get_to(value);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(file.string(), std::string("ImageDescription.") + key, e.what());
    }
  };
  std::array<double, 3> spacing{h.sx, h.sy, h.sz}, origin{0, 0, 0};
  h.spacing_given = json.contains("spacing_mm");
  get("spacing_mm", spacing);
  get("origin_mm", origin);
  get("scale", h.scale);
  get("offset", h.offset);
  h.sx = spacing[0], h.sy = spacing[1], h.sz = spacing[2];
  h.origin = {origin[0], origin[1], origin[2]};
  return h;
}

}  // namespace

// ---- public API --------------------------------------------------------------------------------

VolumeFormat volume_format_from_path(const fs::path& p) {
  const std::string ext = lower_extension(p);
  if (ext == ".mha" || ext == ".mhd") return VolumeFormat::mha;
  if (ext == ".nrrd") return VolumeFormat::nrrd;
  if (ext == ".tif" || ext == ".tiff") return VolumeFormat::tiff;
  throw InputError(p.string(), "", "unknown volume format '" + ext + "' (use .mha, .nrrd, .tif or .tiff)");
}

VolumeDtype parse_volume_dtype(const std::string& s) {
  if (s == "float32") return VolumeDtype::float32;
  if (s == "uint16") return VolumeDtype::uint16;
  throw InputError("", "dtype", "unknown volume data type '" + s + "' (use float32 or uint16)");
}

VolumeHeader read_volume_header(const fs::path& file) {
  if (is_vendor_volume(file)) return read_vendor_volume_header(file);  // recon/volume_formats
  const VolumeFormat format = volume_format_from_path(file);
  if (format == VolumeFormat::tiff) return read_tiff_header(file);
  return parse_raw_header(file, format).header;
}

Volume read_volume(const fs::path& file) {
  if (is_vendor_volume(file)) return read_vendor_volume(file);  // recon/volume_formats
  const VolumeFormat format = volume_format_from_path(file);
  if (format == VolumeFormat::tiff) {
    const VolumeHeader h = read_tiff_header(file);
    Volume vol = empty_volume(h);
    const size_t slice = size_t(h.nx) * size_t(h.ny);
    vol.data.resize(slice * size_t(h.nz));
    TiffReader reader;
    for (int z = 0; z < h.nz; ++z) reader.read(file, z, h.nx, h.ny, vol.data.data() + size_t(z) * slice);
    if (h.scale != 1 || h.offset != 0)
      for (float& v : vol.data) v = float(double(v) * h.scale + h.offset);
    return vol;
  }
  const RawLayout layout = parse_raw_header(file, format);
  const uint64_t offset = checked_data_offset(layout);
  Volume vol = empty_volume(layout.header);
  vol.data.resize(vol.grid.voxel_count());
  read_raw_samples(layout, offset, vol.data.data());
  return vol;
}

namespace detail {

void check_slab(const fs::path& file, int nz, int z0, int z1) {
  if (z0 < 0 || z1 > nz || z0 >= z1)
    throw InputError(file.string(), "slab", "slices [" + std::to_string(z0) + ", " + std::to_string(z1) +
                                                ") outside [0, " + std::to_string(nz) + ")");
}

void read_raw_slices(const fs::path& data_file, uint64_t offset, const VolumeHeader& h, bool swap, int z0, int z1,
                     float* out) {
  const size_t slice = size_t(h.nx) * size_t(h.ny), bytes = dtype_bytes(h.dtype);
  std::ifstream in(data_file, std::ios::binary);
  in.seekg(std::streamoff(offset + uint64_t(z0) * slice * bytes));
  std::vector<unsigned char> buf(slice * bytes);
  for (int z = z0; z < z1; ++z) {
    if (!in.read(reinterpret_cast<char*>(buf.data()), std::streamsize(buf.size())))
      throw InputError(data_file.string(), "", "read error in voxel data at slice " + std::to_string(z));
    decode(buf.data(), slice, swap, h, out + size_t(z - z0) * slice);
  }
}

}  // namespace detail

void read_own_volume_slab(const fs::path& file, int z0, int z1, float* out) {
  const VolumeFormat format = volume_format_from_path(file);
  if (format == VolumeFormat::tiff) {
    const VolumeHeader h = read_tiff_header(file);
    detail::check_slab(file, h.nz, z0, z1);
    const size_t slice = size_t(h.nx) * size_t(h.ny);
    TiffReader reader;
    for (int z = z0; z < z1; ++z) reader.read(file, z, h.nx, h.ny, out + size_t(z - z0) * slice);
    if (h.scale != 1 || h.offset != 0)
      for (size_t i = 0; i < slice * size_t(z1 - z0); ++i) out[i] = float(double(out[i]) * h.scale + h.offset);
    return;
  }
  const RawLayout layout = parse_raw_header(file, format);
  detail::check_slab(file, layout.header.nz, z0, z1);
  const uint64_t offset = checked_data_offset(layout);  // the whole file is checked, not only the slab
  detail::read_raw_slices(layout.data_file, offset, layout.header, layout.big_endian, z0, z1, out);
}

}  // namespace voidscan
