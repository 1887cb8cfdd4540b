// Volume writers: the streaming VolumeWriter (volume_writer.hpp) and write_volume()
// (volume_io.hpp), which is the VolumeWriter given the whole volume at once.
//
// Samples are written in chunks of kChunkVoxels (converted to uint16 chunk by chunk when
// asked), so writing never holds a second copy of a slab.
#include "recon/volume_writer.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "recon/error.hpp"
#include "recon/tiff_io.hpp"

namespace fs = std::filesystem;

namespace voidscan {
namespace {

static_assert(std::endian::native == std::endian::little, "volume I/O assumes a little-endian host");

constexpr size_t kChunkVoxels = size_t(1) << 20;  ///< 4 MiB of float32 per read/write

/// Shortest text that reads back to exactly v.
std::string num(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}
std::string nums(double a, double b, double c, const char* sep = " ") { return num(a) + sep + num(b) + sep + num(c); }

/// uint16 storage: stored = round((v - offset) / scale), so v ~ stored * scale + offset.
struct Quantization {
  double scale = 1, offset = 0;
};

/// Maps [lo, hi] onto 0..65535 (scale 1 when lo == hi; scale 1, offset 0 when lo > hi, i.e.
/// when no finite value was seen).
Quantization quantization_for(double lo, double hi) {
  if (!(lo <= hi)) return {};
  return {hi > lo ? (hi - lo) / 65535.0 : 1.0, lo};
}

/// Extends [lo, hi] by the finite values of src.
void track_range(const float* src, size_t n, double& lo, double& hi) {
  for (size_t i = 0; i < n; ++i) {
    if (std::isfinite(src[i])) {
      lo = std::min(lo, double(src[i]));
      hi = std::max(hi, double(src[i]));
    }
  }
}

/// Non-finite values become 0 (i.e. the offset).
void quantize(const float* src, size_t n, const Quantization& q, uint16_t* dst) {
  for (size_t i = 0; i < n; ++i) {
    const double s = std::isfinite(src[i]) ? std::round((double(src[i]) - q.offset) / q.scale) : 0.0;
    dst[i] = uint16_t(std::clamp(s, 0.0, 65535.0));
  }
}

std::string tiff_description_json(const VolumeGrid& g, const Quantization& q) {
  const Vec3 o = g.origin();
  const nlohmann::json j = {{"voidscan_volume", 1},
                            {"spacing_mm", {g.sx, g.sy, g.sz}},
                            {"origin_mm", {o.x, o.y, o.z}},
                            {"scale", q.scale},
                            {"offset", q.offset}};
  return j.dump();
}

std::string mha_header(const VolumeGrid& g, VolumeDtype dtype, const Quantization& q) {
  const Vec3 o = g.origin();
  std::string s = "ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n"
                  "CompressedData = False\nTransformMatrix = 1 0 0 0 1 0 0 0 1\n";
  s += "Offset = " + nums(o.x, o.y, o.z) + "\n";
  s += "CenterOfRotation = 0 0 0\nAnatomicalOrientation = RAI\n";
  s += "ElementSpacing = " + nums(g.sx, g.sy, g.sz) + "\n";
  s += "DimSize = " + std::to_string(g.nx) + " " + std::to_string(g.ny) + " " + std::to_string(g.nz) + "\n";
  if (dtype == VolumeDtype::float32) {
    s += "ElementType = MET_FLOAT\n";
  } else {
    s += "ElementType = MET_USHORT\n";
    s += "VoidscanScale = " + num(q.scale) + "\nVoidscanOffset = " + num(q.offset) + "\n";
  }
  return s + "ElementDataFile = LOCAL\n";
}

std::string nrrd_header(const VolumeGrid& g, VolumeDtype dtype, const Quantization& q) {
  const Vec3 o = g.origin();
  std::string s = "NRRD0004\n# Complete NRRD file format specification at:\n"
                  "# http://teem.sourceforge.net/nrrd/format.html\n";
  s += std::string("type: ") + (dtype == VolumeDtype::float32 ? "float" : "uint16") + "\n";
  s += "dimension: 3\nspace dimension: 3\n";
  s += "sizes: " + std::to_string(g.nx) + " " + std::to_string(g.ny) + " " + std::to_string(g.nz) + "\n";
  s += "space directions: (" + num(g.sx) + ",0,0) (0," + num(g.sy) + ",0) (0,0," + num(g.sz) + ")\n";
  s += "kinds: domain domain domain\nendian: little\nencoding: raw\n";
  s += "space origin: (" + nums(o.x, o.y, o.z, ",") + ")\n";
  if (dtype == VolumeDtype::uint16) s += "voidscan_scale:=" + num(q.scale) + "\nvoidscan_offset:=" + num(q.offset) + "\n";
  return s + "\n";
}

[[noreturn]] void throw_write_failure(const fs::path& file) {
  throw RuntimeFailure("cannot write " + file.string() + " (" + std::strerror(errno) + ")",
                       "check free disk space and permissions");
}

}  // namespace

struct VolumeWriter::Impl {
  fs::path file, tmp, spool_path;
  VolumeGrid grid;
  VolumeDtype dtype = VolumeDtype::float32;
  VolumeFormat format = VolumeFormat::mha;
  Quantization q;
  bool spool = false;  ///< uint16 without a range: float32 slabs go to spool_path first
  int written = 0;
  bool committed = false;
  std::ofstream raw;                              ///< MHA / NRRD output (temporary name)
  std::unique_ptr<detail::TiffPageWriter> tiff;   ///< TIFF output (temporary name)
  std::ofstream spool_out;
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  std::vector<uint16_t> buf;

  size_t slice() const { return size_t(grid.nx) * size_t(grid.ny); }

  /// Creates the output under its temporary name and writes the header (q must be final).
  void open_output() {
    if (format == VolumeFormat::tiff) {
      tiff = std::make_unique<detail::TiffPageWriter>(
          tmp, file, grid.nx, grid.ny, grid.nz, dtype == VolumeDtype::float32 ? SampleType::float32 : SampleType::uint16,
          tiff_description_json(grid, q));
      return;
    }
    raw.open(tmp, std::ios::binary | std::ios::trunc);
    if (!raw) throw InputError(file.string(), "", std::string("cannot create file (") + std::strerror(errno) + ")");
    const std::string header = format == VolumeFormat::mha ? mha_header(grid, dtype, q) : nrrd_header(grid, dtype, q);
    raw.write(header.data(), std::streamsize(header.size()));
    if (!raw) throw_write_failure(file);
  }

  /// `slices` whole slices into the output, quantised when uint16.
  void write_output(const float* data, int slices) {
    if (format == VolumeFormat::tiff) {
      for (int z = 0; z < slices; ++z) {
        const float* src = data + size_t(z) * slice();
        if (dtype == VolumeDtype::float32) {
          tiff->write_page(src);
        } else {
          buf.resize(slice());
          quantize(src, slice(), q, buf.data());
          tiff->write_page(buf.data());
        }
      }
      return;
    }
    const size_t n = slice() * size_t(slices);
    for (size_t i = 0; i < n; i += kChunkVoxels) {
      const size_t m = std::min(kChunkVoxels, n - i);
      if (dtype == VolumeDtype::float32) {
        raw.write(reinterpret_cast<const char*>(data + i), std::streamsize(m * sizeof(float)));
      } else {
        buf.resize(m);
        quantize(data + i, m, q, buf.data());
        raw.write(reinterpret_cast<const char*>(buf.data()), std::streamsize(m * sizeof(uint16_t)));
      }
      if (!raw) throw_write_failure(file);
    }
  }

  /// uint16 from the spool: the range is known now; convert chunk by chunk.
  void drain_spool() {
    spool_out.close();
    if (!spool_out) throw_write_failure(file);
    q = quantization_for(lo, hi);
    open_output();
    std::ifstream in(spool_path, std::ios::binary);
    const int step = int(std::clamp<size_t>(kChunkVoxels / std::max<size_t>(slice(), 1), 1, size_t(grid.nz)));
    std::vector<float> chunk(slice() * size_t(step));
    for (int z = 0; z < grid.nz; z += step) {
      const int n = std::min(step, grid.nz - z);
      if (!in.read(reinterpret_cast<char*>(chunk.data()), std::streamsize(slice() * size_t(n) * sizeof(float))))
        throw RuntimeFailure("cannot read back the temporary " + spool_path.string(), "check free disk space");
      write_output(chunk.data(), n);
    }
    in.close();
    std::error_code ec;
    fs::remove(spool_path, ec);
  }

  void discard() {
    tiff.reset();
    if (raw.is_open()) raw.close();
    if (spool_out.is_open()) spool_out.close();
    std::error_code ec;
    fs::remove(tmp, ec);
    if (!spool_path.empty()) fs::remove(spool_path, ec);
  }
};

VolumeWriter::VolumeWriter(const fs::path& file, const VolumeGrid& grid, VolumeDtype dtype,
                           std::optional<std::pair<double, double>> uint16_range)
    : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.format = volume_format_from_path(file);
  if (grid.nx <= 0 || grid.ny <= 0 || grid.nz <= 0)
    throw std::invalid_argument("VolumeWriter: every grid size must be positive");
  d.file = file;
  d.tmp = temporary_path(file);
  d.grid = grid;
  d.dtype = dtype;
  try {
    if (dtype == VolumeDtype::uint16 && !uint16_range) {
      d.spool = true;
      d.spool_path = temporary_path(file, ".f32");
      d.spool_out.open(d.spool_path, std::ios::binary | std::ios::trunc);
      if (!d.spool_out)
        throw InputError(file.string(), "", std::string("cannot create a temporary file beside it (") +
                                                std::strerror(errno) + ")");
    } else {
      if (dtype == VolumeDtype::uint16) {
        const auto [lo, hi] = *uint16_range;
        if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi >= lo))
          throw InputError(file.string(), "uint16 range", "needs finite lo <= hi, found [" + num(lo) + ", " + num(hi) + "]");
        d.q = quantization_for(lo, hi);
      }
      d.open_output();
    }
  } catch (...) {
    d.discard();
    throw;
  }
}

VolumeWriter::~VolumeWriter() {
  if (impl_ && !impl_->committed) impl_->discard();
}

int VolumeWriter::slices_written() const { return impl_->written; }

void VolumeWriter::append(const float* data, int slices) {
  Impl& d = *impl_;
  if (d.committed) throw std::logic_error("VolumeWriter::append after commit");
  if (slices < 0 || d.written + slices > d.grid.nz)
    throw std::invalid_argument("VolumeWriter::append: " + std::to_string(d.written) + " + " +
                                std::to_string(slices) + " slices exceed nz = " + std::to_string(d.grid.nz));
  if (d.spool) {
    const size_t n = d.slice() * size_t(slices);
    track_range(data, n, d.lo, d.hi);
    d.spool_out.write(reinterpret_cast<const char*>(data), std::streamsize(n * sizeof(float)));
    if (!d.spool_out) throw_write_failure(d.spool_path);
  } else {
    d.write_output(data, slices);
  }
  d.written += slices;
}

void VolumeWriter::commit() {
  Impl& d = *impl_;
  if (d.committed) return;
  if (d.written != d.grid.nz)
    throw std::logic_error("VolumeWriter::commit: " + std::to_string(d.written) + " of " + std::to_string(d.grid.nz) +
                           " slices were appended");
  if (d.spool) d.drain_spool();
  if (d.tiff) {
    d.tiff->finish();
    d.tiff.reset();
  } else {
    d.raw.close();
    if (!d.raw) throw_write_failure(d.file);
  }
  fs::rename(d.tmp, d.file);
  d.committed = true;
}

void write_volume(const fs::path& file, const Volume& vol, VolumeDtype dtype) {
  const VolumeGrid& g = vol.grid;
  if (g.nx <= 0 || g.ny <= 0 || g.nz <= 0 || vol.data.size() != g.voxel_count())
    throw std::invalid_argument("write_volume: data size does not match the grid");
  (void)volume_format_from_path(file);  // InputError for an unknown extension, before any work
  std::optional<std::pair<double, double>> range;
  if (dtype == VolumeDtype::uint16) {
    // the data's own finite range, as the spooling writer finds it
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    track_range(vol.data.data(), vol.data.size(), lo, hi);
    if (!(lo <= hi)) lo = 0, hi = 0;  // no finite value: scale 1, offset 0
    range = {lo, hi};
  }
  VolumeWriter writer(file, g, dtype, range);
  writer.append(vol.data.data(), g.nz);
  writer.commit();
}

}  // namespace voidscan
