// ZEISS Xradia .txrm reader on libgsf's OLE2 (MS-OLE) infile. See txrm.hpp for the layout.
#include "recon/txrm.hpp"

#include <gsf/gsf.h>

#include <cstdint>
#include <bit>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>

#include "recon/error.hpp"
#include "recon/scan.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace voidscan {
namespace {

struct GUnref {
  void operator()(void* p) const noexcept {
    if (p != nullptr) g_object_unref(p);
  }
};
using InputPtr = std::unique_ptr<GsfInput, GUnref>;
using InfilePtr = std::unique_ptr<GsfInfile, GUnref>;

void init_gsf() {
  static std::once_flag once;
  std::call_once(once, [] { gsf_init(); });
}

std::string take_message(GError* err) {
  std::string msg = err != nullptr && err->message != nullptr ? err->message : "unknown error";
  if (err != nullptr) g_error_free(err);
  return msg;
}

/// An open compound document.
class Ole {
 public:
  explicit Ole(const std::filesystem::path& file) : name_(file.string()) {
    init_gsf();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) throw InputError(name_, "", "file not found");
    GError* err = nullptr;
    InputPtr in(gsf_input_stdio_new(name_.c_str(), &err));
    if (!in) throw InputError(name_, "", "cannot open: " + take_message(err));
    err = nullptr;
    root_.reset(gsf_infile_msole_new(in.get(), &err));  // takes its own reference on `in`
    if (!root_)
      throw InputError(name_, "", "not an OLE2 compound document (a .txrm file), or truncated: " + take_message(err));
  }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  /// The stream at `path` ("Storage/Stream"), or null when any part is absent or the last
  /// part is a storage, not a stream.
  [[nodiscard]] InputPtr open(std::string_view path) const {
    InputPtr cur;  // null: the root
    GsfInfile* dir = root_.get();
    std::size_t pos = 0;
    while (true) {
      const std::size_t slash = path.find('/', pos);
      const std::string part(path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos));
      if (dir == nullptr) return {};
      InputPtr child(gsf_infile_child_by_name(dir, part.c_str()));
      if (!child) {
        // Absent, or listed in the directory but unreadable (its blocks lie past the end of a
        // truncated file): the latter must not pass as "absent".
        for (int i = 0, n = gsf_infile_num_children(dir); i < n; ++i) {
          const char* nm = gsf_infile_name_by_index(dir, i);
          if (nm != nullptr && part == nm)
            throw InputError(name_, std::string(path), "stream is listed but unreadable (file truncated or damaged)");
        }
        return {};
      }
      cur = std::move(child);
      if (slash == std::string_view::npos) break;
      dir = GSF_IS_INFILE(cur.get()) ? GSF_INFILE(cur.get()) : nullptr;
      pos = slash + 1;
    }
    if (GSF_IS_INFILE(cur.get()) && gsf_infile_num_children(GSF_INFILE(cur.get())) >= 0) return {};  // a storage
    return cur;
  }

  /// All bytes of stream `path`, or nullopt when absent. Throws when the read fails.
  [[nodiscard]] std::optional<std::vector<std::uint8_t>> bytes(std::string_view path) const {
    InputPtr s = open(path);
    if (!s) return std::nullopt;
    const gsf_off_t size = gsf_input_size(s.get());
    if (size < 0) throw InputError(name_, std::string(path), "cannot determine the stream size");
    std::vector<std::uint8_t> buf(static_cast<std::size_t>(size));
    if (size > 0 && gsf_input_read(s.get(), buf.size(), buf.data()) == nullptr)
      throw InputError(name_, std::string(path), "stream is truncated or unreadable (file damaged?)");
    return buf;
  }

 private:
  std::string name_;
  InfilePtr root_;
};

template <class T>
T load_le(const std::uint8_t* p) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 2);
  // Little-endian on disk; the supported hosts (x86-64, aarch64) are little-endian too.
  static_assert(std::endian::native == std::endian::little, "big-endian hosts are not supported");
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

struct Reader {
  const Ole& ole;
  TxrmInfo& info;

  std::optional<std::vector<std::uint8_t>> get(const std::string& path, bool required) {
    auto b = ole.bytes(path);
    if (!b) {
      if (required) throw InputError(ole.name(), path, "required stream is missing");
      info.fields_missing.push_back(path);
      return std::nullopt;
    }
    info.fields_used.push_back(path);
    return b;
  }

  std::optional<std::int32_t> int32(const std::string& path, bool required) {
    auto b = get(path, required);
    if (!b) return std::nullopt;
    if (b->size() < 4) throw InputError(ole.name(), path, "stream too short: " + std::to_string(b->size()) + " bytes, need 4");
    return load_le<std::int32_t>(b->data());
  }

  /// `count` float32 values (the first `count` when the stream holds more); empty when absent.
  std::vector<double> floats(const std::string& path, int count) {
    std::vector<double> out;
    auto b = get(path, false);
    if (!b) return out;
    const std::size_t need = static_cast<std::size_t>(count) * 4;
    if (b->size() < need)
      throw InputError(ole.name(), path,
                       "stream too short: " + std::to_string(b->size() / 4) + " float32 values, need " +
                           std::to_string(count));
    out.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) out.push_back(load_le<float>(b->data() + 4 * static_cast<std::size_t>(i)));
    return out;
  }
};

TxrmInfo read_info(const Ole& ole) {
  TxrmInfo info;
  Reader r{ole, info};
  info.images = *r.int32("ImageInfo/NoOfImages", true);
  info.width = *r.int32("ImageInfo/ImageWidth", true);
  info.height = *r.int32("ImageInfo/ImageHeight", true);
  const std::int32_t dtype = *r.int32("ImageInfo/DataType", true);
  if (info.images <= 0)
    throw InputError(ole.name(), "ImageInfo/NoOfImages", "must be positive, is " + std::to_string(info.images));
  if (info.width <= 0 || info.width > 1 << 20)
    throw InputError(ole.name(), "ImageInfo/ImageWidth", "implausible value " + std::to_string(info.width));
  if (info.height <= 0 || info.height > 1 << 20)
    throw InputError(ole.name(), "ImageInfo/ImageHeight", "implausible value " + std::to_string(info.height));
  if (dtype == 5) {
    info.data_type = "uint16";
  } else if (dtype == 10) {
    info.data_type = "float32";
  } else {
    throw InputError(ole.name(), "ImageInfo/DataType",
                     "unsupported data type code " + std::to_string(dtype) + " (supported: 5 = uint16, 10 = float32)");
  }
  info.angles_deg = r.floats("ImageInfo/Angles", info.images);
  if (auto px = r.floats("ImageInfo/PixelSize", 1); !px.empty()) info.pixel_size_um = px[0];
  info.source_to_axis_mm = r.floats("ImageInfo/StoRADistance", info.images);
  info.detector_to_axis_mm = r.floats("ImageInfo/DtoRADistance", info.images);
  if (auto g = r.int32("ImageInfo/XrayGeometry", false)) info.xray_geometry = *g;
  info.x_shifts_px = r.floats("Alignment/X-Shifts", info.images);
  info.y_shifts_px = r.floats("Alignment/Y-Shifts", info.images);
  info.has_reference = static_cast<bool>(ole.open("ReferenceData/Image"));
  (info.has_reference ? info.fields_used : info.fields_missing).push_back("ReferenceData/Image");
  return info;
}

}  // namespace

TxrmInfo read_txrm_info(const std::filesystem::path& file) {
  const Ole ole(file);
  return read_info(ole);
}

void read_txrm_image(const std::filesystem::path& file, int index, float* out) {
  const Ole ole(file);
  const TxrmInfo info = read_info(ole);
  if (index < 0 || index >= info.images)
    throw InputError(ole.name(), "index",
                     "image index " + std::to_string(index) + " out of range [0, " + std::to_string(info.images) + ")");
  const int number = index + 1;  // streams count from 1, 100 per ImageData folder
  const std::string path =
      "ImageData" + std::to_string((number + 99) / 100) + "/Image" + std::to_string(number);
  InputPtr s = ole.open(path);
  if (!s) throw InputError(ole.name(), path, "image stream is missing");
  const std::size_t n = static_cast<std::size_t>(info.width) * static_cast<std::size_t>(info.height);
  const std::size_t bps = info.data_type == "uint16" ? 2 : 4;
  const std::size_t need = n * bps;
  const gsf_off_t size = gsf_input_size(s.get());
  if (size < 0 || static_cast<std::size_t>(size) < need)
    throw InputError(ole.name(), path,
                     "image stream too short: " + std::to_string(size) + " bytes, need " + std::to_string(need) + " (" +
                         std::to_string(info.width) + " x " + std::to_string(info.height) + " " + info.data_type + ")");
  std::vector<std::uint8_t> buf(need);
  if (gsf_input_read(s.get(), need, buf.data()) == nullptr)
    throw InputError(ole.name(), path, "image data is truncated or unreadable (file damaged?)");
  if (bps == 2) {
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(load_le<std::uint16_t>(buf.data() + 2 * i));
  } else {
    for (std::size_t i = 0; i < n; ++i) out[i] = load_le<float>(buf.data() + 4 * i);
  }
}

Scan load_txrm_scan(const std::filesystem::path& file) {
  const TxrmInfo t = read_txrm_info(file);
  const std::string f = file.string();
  if (t.angles_deg.empty()) throw InputError(f, "ImageInfo/Angles", "missing: the view angles are unknown");
  if (!(t.pixel_size_um > 0)) throw InputError(f, "ImageInfo/PixelSize", "missing or not positive: the pixel size is unknown");
  Scan scan;
  scan.manifest = file;
  scan.format = "ZEISS Xradia .txrm";
  scan.source = file.filename().string();
  scan.fields_used = t.fields_used;
  Detector det{t.width, t.height, t.pixel_size_um / 1000.0, t.pixel_size_um / 1000.0};
  bool cone = t.source_to_axis_mm.size() == size_t(t.images) && t.detector_to_axis_mm.size() == size_t(t.images);
  for (int i = 0; cone && i < t.images; ++i)
    cone = std::abs(t.source_to_axis_mm[i]) > 1.0 && std::abs(t.detector_to_axis_mm[i]) > 1.0;
  const double px = t.pixel_size_um / 1000.0;
  for (int i = 0; i < t.images; ++i) {
    const double xs = i < int(t.x_shifts_px.size()) ? t.x_shifts_px[i] : 0.0;
    const double ys = i < int(t.y_shifts_px.size()) ? t.y_shifts_px[i] : 0.0;
    Geometry one;
    if (cone) {
      CircularSpec spec;
      spec.sod_mm = std::abs(t.source_to_axis_mm[i]);
      spec.sdd_mm = spec.sod_mm + std::abs(t.detector_to_axis_mm[i]);
      const double m = spec.sdd_mm / spec.sod_mm;
      det.du_mm = det.dv_mm = px * m;
      spec.angles_deg = {t.angles_deg[i]};
      spec.detector_offset_mm = {xs * det.du_mm, -ys * det.dv_mm};
      one = expand_circular(det, spec);
    } else {
      one = expand_parallel(det, {t.angles_deg[i]}, 0.0, {xs * det.du_mm, -ys * det.dv_mm});
    }
    scan.geometry.views.push_back(one.views.front());
    scan.projections.push_back({file, i});
  }
  scan.geometry.detector = det;
  validate(scan.geometry, f);
  // I0: the brightest pixel of the scan (no readable reference image).
  std::vector<float> img(size_t(t.width) * size_t(t.height));
  double white = 0;
  for (int i = 0; i < t.images; ++i) {
    read_txrm_image(file, i, img.data());
    for (float v : img) white = std::max(white, double(v));
  }
  if (!(white > 0)) throw InputError(f, "ImageData", "every image is zero: no intensity to normalise by");
  scan.intensity.white_level = white;
  scan.warnings.push_back(f + ": I0 taken as the largest pixel value (" + std::to_string(white) +
                          ")" + (t.has_reference ? "; ReferenceData/Image present but not read" : ""));
  if (t.has_reference) scan.fields_ignored.push_back("ReferenceData/Image");
  scan.fields_ignored.push_back("ImageInfo/XrayGeometry (code " + std::to_string(t.xray_geometry) + ", reported only)");
  scan.fields_used.push_back(cone ? "geometry: cone beam (StoRADistance, DtoRADistance)"
                                  : "geometry: parallel beam (no source distances beyond 1 mm placeholders)");
  return scan;
}

}  // namespace voidscan
