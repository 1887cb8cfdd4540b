// Test-only writers of vendor scan layouts (Nikon .xtekct + TIFFs, Bruker SkyScan .log +
// TIFF/BMP, ZEISS .txrm through libgsf's OLE2 writer), each from a simulated scan, together with
// a reference scan.json of the same projections. The writers derive the vendor fields from the
// geometry by their own route (documented per writer), not by calling the readers, so a round
// trip checks the readers' mapping (docs/formats.md) against an independent derivation.
#pragma once
#include <gsf/gsf.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "recon/image_io.hpp"
#include "recon/phantom.hpp"
#include "recon/scan.hpp"
#include "recon/tiff_io.hpp"

namespace voidscan::test {

namespace fs = std::filesystem;

/// Raw counts white * exp(-p), rounded to uint16.
inline std::vector<uint16_t> to_counts(const std::vector<float>& p, double white, double dark = 0) {
  std::vector<uint16_t> c(p.size());
  for (size_t i = 0; i < p.size(); ++i) c[i] = uint16_t(std::lround(dark + (white - dark) * std::exp(-double(p[i]))));
  return c;
}

/// What a writer produced: the vendor entry point and the reference manifest.
struct VendorScan {
  fs::path vendor;    ///< .xtekct, .log or .txrm
  fs::path manifest;  ///< reference scan.json (same projections, geometry from the simulation)
};

// ---- Nikon --------------------------------------------------------------------------------

struct NikonSpec {
  std::string name = "part";
  int cols = 64, rows = 48;
  double pixel_mm = 0.4;
  double sod = 100, sdd = 200;
  int projections = 90;
  double initial_deg = 10, step_deg = 4;
  std::vector<double> ang_file_deg;  ///< non-empty: write <name>.ang with these angles
  double object_offset_mm = 0.33;    ///< rotation axis at the object, towards larger columns
  bool as_centre_of_rotation = false;///< write CentreOfRotationTop/Bottom instead of ObjectOffsetX
  double det_offset_x_mm = 0, det_offset_y_mm = 0.4;
  double white = 60000;
  bool subfolder = true;             ///< projections in InputFolderName = "proj"
};

/// Independent route: a Nikon stage angle a with offset o is our circular scan at angle a + 180
/// with cor_offset = -o and detector offset (-DetectorOffsetX, DetectorOffsetY), seen with its
/// columns mirrored (Nikon images run towards -x of the system frame). The reference manifest
/// holds the unmirrored images.
inline VendorScan write_nikon(const fs::path& dir, const Phantom& phantom, const NikonSpec& s) {
  fs::create_directories(dir / "ref");
  const fs::path nikon = dir / "nikon";
  const fs::path proj_dir = s.subfolder ? nikon / "proj" : nikon;
  fs::create_directories(proj_dir);
  std::vector<double> stage = s.ang_file_deg;
  if (stage.empty())
    for (int i = 0; i < s.projections; ++i) stage.push_back(s.initial_deg + i * s.step_deg);
  CircularSpec c;
  c.sod_mm = s.sod;
  c.sdd_mm = s.sdd;
  for (double a : stage) c.angles_deg.push_back(a + 180.0);
  c.cor_offset_mm = -s.object_offset_mm;
  c.detector_offset_mm = {-s.det_offset_x_mm, s.det_offset_y_mm};
  const Detector det{s.cols, s.rows, s.pixel_mm, s.pixel_mm};
  const Geometry g = expand_circular(det, c);
  const auto counts = to_counts(project(phantom, g, 1), s.white);
  const int n = int(stage.size());
  write_tiff_uint16(dir / "ref" / "proj.tif", s.cols, s.rows, n, counts.data());
  Scan ref;
  ref.geometry = g;
  for (int i = 0; i < n; ++i) ref.projections.push_back({dir / "ref" / "proj.tif", i});
  ref.intensity.white_level = s.white;
  save_scan(ref, dir / "ref" / "scan.json");
  std::vector<uint16_t> flipped(size_t(s.cols) * s.rows);
  for (int i = 0; i < n; ++i) {
    const uint16_t* src = counts.data() + size_t(i) * s.cols * s.rows;
    for (int r = 0; r < s.rows; ++r)
      for (int col = 0; col < s.cols; ++col) flipped[size_t(r) * s.cols + col] = src[size_t(r) * s.cols + (s.cols - 1 - col)];
    char num[16];
    std::snprintf(num, sizeof num, "_%04d.tif", i + 1);
    write_tiff_uint16(proj_dir / (s.name + num), s.cols, s.rows, 1, flipped.data());
  }
  std::ofstream x(nikon / (s.name + ".xtekct"));
  x << "[XTekCT]\nName=" << s.name << "\nInputSeparator=_\nInputFolderName=" << (s.subfolder ? "proj" : "")
    << "\nOutputFolderName=C:\\CT\\out\nVoxelsX=" << 32 << "\nVoxelSizeX=0.3\nVoxelsY=32\nVoxelSizeY=0.3\nVoxelsZ=24\n"
    << "VoxelSizeZ=0.3\nOffsetX=0\nDetectorPixelsX=" << s.cols << "\nDetectorPixelsY=" << s.rows
    << "\nDetectorPixelSizeX=" << s.pixel_mm << "\nDetectorPixelSizeY=" << s.pixel_mm
    << "\nDetectorOffsetX=" << s.det_offset_x_mm << "\nDetectorOffsetY=" << s.det_offset_y_mm
    << "\nSrcToObject=" << s.sod << "\nSrcToDetector=" << s.sdd << "\nMaskRadius=20\n";
  x.precision(17);
  if (s.as_centre_of_rotation) {
    const double cor = s.object_offset_mm * s.sdd / s.sod;
    x << "CentreOfRotationTop=" << cor << "\nCentreOfRotationBottom=" << cor << "\n";
  } else {
    x << "ObjectOffsetX=" << s.object_offset_mm << "\nObjectRoll=0\nObjectTilt=0\n";
  }
  x << "WhiteLevel=" << s.white << "\nScattering=0\nProjections=" << n << "\nInitialAngle=" << s.initial_deg
    << "\nAngularStep=" << s.step_deg << "\nFilterType=0\nXraykV=160\n";
  if (!s.ang_file_deg.empty()) {
    std::ofstream a(nikon / (s.name + ".ang"));
    a.precision(17);
    a << "Projection\tAngle(deg)\r\n";
    for (int i = 0; i < n; ++i) a << (i + 1) << "\t" << s.ang_file_deg[i] << "\r\n";
  }
  return {nikon / (s.name + ".xtekct"), dir / "ref" / "scan.json"};
}

// ---- Bruker SkyScan -------------------------------------------------------------------------

struct BrukerSpec {
  std::string prefix = "sample_";
  int cols = 64, rows = 48;
  double camera_um = 400;
  double sod = 100, sdd = 200;
  int files = 91;
  double step_deg = 4;
  double optical_axis_row = 26;  ///< row the central ray hits
  bool bmp = false;              ///< 8-bit BMP (Depth 8), else 16-bit TIFF (Depth 16)
  bool references = false;       ///< write <prefix>flat.tif / <prefix>dark.tif (TIFF only)
};

/// Route: SkyScan's acquisition frame taken as ours (angle i * step counter-clockwise, columns
/// along +u); the optical axis row expressed as a detector offset computed from the pixel
/// convention (the centre of row r lies (r - (rows-1)/2) dv below the detector centre).
inline VendorScan write_bruker(const fs::path& dir, const Phantom& phantom, const BrukerSpec& s) {
  fs::create_directories(dir);
  const double px = s.camera_um / 1000;
  const Detector det{s.cols, s.rows, px, px};
  CircularSpec c;
  c.sod_mm = s.sod;
  c.sdd_mm = s.sdd;
  for (int i = 0; i < s.files; ++i) c.angles_deg.push_back(i * s.step_deg);
  // central ray (z = 0) hits row a: 0 = off_v - (a - rc) dv
  c.detector_offset_mm = {0, (s.optical_axis_row - 0.5 * (s.rows - 1)) * px};
  const Geometry g = expand_circular(det, c);
  const auto p = project(phantom, g, 1);
  const double white = s.bmp ? 255 : 65535, dark = s.references ? 300 : 0, flat = s.references ? 50000 : white;
  const auto counts = to_counts(p, flat, dark);
  Scan ref;
  ref.geometry = g;
  const size_t image = size_t(s.cols) * s.rows;
  std::vector<float> f(image);
  for (int i = 0; i < s.files; ++i) {
    char num[32];
    std::snprintf(num, sizeof num, "%08d", i);
    const fs::path file = dir / (s.prefix + num + (s.bmp ? ".bmp" : ".tif"));
    if (s.bmp) {
      for (size_t k = 0; k < image; ++k) f[k] = float(std::lround(white * std::exp(-double(p[i * image + k]))));
      write_bmp8(file, s.cols, s.rows, f.data());
    } else {
      write_tiff_uint16(file, s.cols, s.rows, 1, counts.data() + i * image);
    }
    ref.projections.push_back({file, 0});
  }
  if (s.references) {
    std::vector<uint16_t> fl(image, uint16_t(flat)), dk(image, uint16_t(dark));
    write_tiff_uint16(dir / (s.prefix + "flat.tif"), s.cols, s.rows, 1, fl.data());
    write_tiff_uint16(dir / (s.prefix + "dark.tif"), s.cols, s.rows, 1, dk.data());
    ref.intensity.flat_files = {dir / (s.prefix + "flat.tif")};
    ref.intensity.dark_files = {dir / (s.prefix + "dark.tif")};
  } else {
    ref.intensity.white_level = white;
  }
  fs::create_directories(dir / "ref");
  save_scan(ref, dir / "ref" / "scan.json");
  std::ofstream log(dir / (s.prefix + ".log"));
  log.precision(17);
  log << "[System]\r\nScanner=SkyScan1272\r\nInstrument S/N=1\r\nSoftware Version=1.1.19\r\n"
      << "[User]\r\nUser Name=test\r\n[Acquisition]\r\nData directory=D:\\Results\\sample\r\n"
      << "Filename Prefix=" << s.prefix << "\r\nNumber of Files= " << s.files << "\r\nSource Voltage (kV)= 90\r\n"
      << "Number of Rows= " << s.rows << "\r\nNumber of Columns= " << s.cols << "\r\nCamera binning=1x1\r\n"
      << "Image crop origin X=0\r\nOptical Axis (line)= " << s.optical_axis_row << "\r\n"
      << "Camera to Source (mm)=" << s.sdd << "\r\nObject to Source (mm)=" << s.sod << "\r\n"
      << "Camera Pixel Size (um)=" << s.camera_um << "\r\nImage Pixel Size (um)=" << s.camera_um * s.sod / s.sdd
      << "\r\nImage Format=" << (s.bmp ? "BMP" : "TIFF") << "\r\nDepth (bits)=" << (s.bmp ? 8 : 16)
      << "\r\nExposure (ms)=1200\r\nRotation Step (deg)=" << s.step_deg << "\r\nUse 360 Rotation=YES\r\n"
      << "Flat Field Correction=ON\r\n[Reconstruction]\r\nPostalignment=0\r\n";
  return {dir / (s.prefix + ".log"), dir / "ref" / "scan.json"};
}

// ---- ZEISS .txrm ------------------------------------------------------------------------------

/// The streams of a .txrm; an empty vector leaves that stream out.
struct TxrmContent {
  int width = 0, height = 0;
  std::vector<float> angles_deg, pixel_size_um, sto_ra, dto_ra, x_shifts, y_shifts;
  int xray_geometry = 2;
  std::vector<std::vector<uint16_t>> images;  ///< width * height each
  int declared_images = -1;                   ///< NoOfImages to write (-1: images.size())
  size_t truncate_last_image_to = 0;          ///< > 0: write only this many bytes of the last image
};

namespace detail {
inline void gsf_put(GsfOutfile* dir, const char* name, const void* data, size_t bytes) {
  GsfOutput* s = gsf_outfile_new_child(dir, name, FALSE);
  gsf_output_write(s, bytes, static_cast<const guint8*>(data));
  gsf_output_close(s);
  g_object_unref(s);
}
}  // namespace detail

/// Writes an OLE2 compound file with the ImageInfo / Alignment / ImageData streams read by
/// recon/txrm (little-endian int32 and float32, uint16 images, 100 per ImageData folder).
inline void write_txrm(const fs::path& file, const TxrmContent& t) {
  gsf_init();
  GError* err = nullptr;
  GsfOutput* out = gsf_output_stdio_new(file.c_str(), &err);
  if (!out) throw std::runtime_error("cannot create " + file.string());
  GsfOutfile* root = gsf_outfile_msole_new(out);
  GsfOutfile* info = GSF_OUTFILE(gsf_outfile_new_child(root, "ImageInfo", TRUE));
  const int32_t n = t.declared_images >= 0 ? t.declared_images : int32_t(t.images.size());
  const int32_t w = t.width, h = t.height, dtype = 5, geo = t.xray_geometry;
  detail::gsf_put(info, "NoOfImages", &n, 4);
  detail::gsf_put(info, "ImageWidth", &w, 4);
  detail::gsf_put(info, "ImageHeight", &h, 4);
  detail::gsf_put(info, "DataType", &dtype, 4);
  detail::gsf_put(info, "XrayGeometry", &geo, 4);
  auto floats = [](GsfOutfile* d, const char* name, const std::vector<float>& v) {
    if (!v.empty()) detail::gsf_put(d, name, v.data(), 4 * v.size());
  };
  floats(info, "Angles", t.angles_deg);
  floats(info, "PixelSize", t.pixel_size_um);
  floats(info, "StoRADistance", t.sto_ra);
  floats(info, "DtoRADistance", t.dto_ra);
  gsf_output_close(GSF_OUTPUT(info));
  g_object_unref(info);
  if (!t.x_shifts.empty() || !t.y_shifts.empty()) {
    GsfOutfile* al = GSF_OUTFILE(gsf_outfile_new_child(root, "Alignment", TRUE));
    floats(al, "X-Shifts", t.x_shifts);
    floats(al, "Y-Shifts", t.y_shifts);
    gsf_output_close(GSF_OUTPUT(al));
    g_object_unref(al);
  }
  for (size_t folder = 0; folder * 100 < t.images.size(); ++folder) {
    GsfOutfile* d = GSF_OUTFILE(gsf_outfile_new_child(root, ("ImageData" + std::to_string(folder + 1)).c_str(), TRUE));
    for (size_t i = folder * 100; i < std::min(t.images.size(), folder * 100 + 100); ++i) {
      size_t bytes = 2 * t.images[i].size();
      if (i + 1 == t.images.size() && t.truncate_last_image_to) bytes = t.truncate_last_image_to;
      detail::gsf_put(d, ("Image" + std::to_string(i + 1)).c_str(), t.images[i].data(), bytes);
    }
    gsf_output_close(GSF_OUTPUT(d));
    g_object_unref(d);
  }
  gsf_output_close(GSF_OUTPUT(root));
  g_object_unref(root);
  gsf_output_close(out);
  g_object_unref(out);
}

/// A parallel-beam scan written as a .txrm (the layout of ZEISS nano-CT: placeholder 1.0
/// distances) and as a reference scan.json over a TIFF of the same counts. Route: our
/// expand_parallel() at the stored angles, pixel = PixelSize.
inline VendorScan write_parallel_txrm(const fs::path& dir, const Phantom& phantom, int cols, int rows, double px_mm,
                                      const std::vector<double>& angles_deg, double white = 50000) {
  fs::create_directories(dir / "ref");
  const Geometry g = expand_parallel({cols, rows, px_mm, px_mm}, angles_deg);
  const auto counts = to_counts(project(phantom, g, 1), white);
  TxrmContent t;
  t.width = cols;
  t.height = rows;
  const size_t image = size_t(cols) * rows;
  for (size_t i = 0; i < angles_deg.size(); ++i) {
    t.angles_deg.push_back(float(angles_deg[i]));
    t.sto_ra.push_back(1.f);
    t.dto_ra.push_back(1.f);
    t.images.emplace_back(counts.begin() + i * image, counts.begin() + (i + 1) * image);
  }
  t.pixel_size_um = {float(px_mm * 1000)};
  write_txrm(dir / "scan.txrm", t);
  write_tiff_uint16(dir / "ref" / "proj.tif", cols, rows, int(angles_deg.size()), counts.data());
  Scan ref;
  ref.geometry = g;
  for (size_t i = 0; i < angles_deg.size(); ++i) ref.projections.push_back({dir / "ref" / "proj.tif", int(i)});
  ref.intensity.white_level = *std::max_element(counts.begin(), counts.end());
  save_scan(ref, dir / "ref" / "scan.json");
  return {dir / "scan.txrm", dir / "ref" / "scan.json"};
}

}  // namespace voidscan::test
