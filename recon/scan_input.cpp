#include "recon/scan_input.hpp"

#include <algorithm>
#include <cctype>

#include "recon/bruker.hpp"
#include "recon/error.hpp"
#include "recon/nikon.hpp"
#include "recon/text.hpp"
#include "recon/txrm.hpp"

namespace voidscan {
namespace fs = std::filesystem;

ScanInputKind scan_input_kind(const fs::path& path) {
  if (fs::is_directory(path)) {
    if (!find_xtekct(path).empty()) return ScanInputKind::nikon;
    if (!find_skyscan_log(path).empty()) return ScanInputKind::bruker;
    return ScanInputKind::unknown;
  }
  const std::string e = lower_extension(path);
  if (e == ".json") return ScanInputKind::native_json;
  if (e == ".xtekct") return ScanInputKind::nikon;
  if (e == ".txrm") return ScanInputKind::txrm;
  if (e == ".log") return ScanInputKind::bruker;
  return ScanInputKind::unknown;
}

Scan load_any_scan(const fs::path& path) {
  if (!fs::exists(path)) throw InputError(path.string(), "", "file not found");
  switch (scan_input_kind(path)) {
    case ScanInputKind::native_json: return load_scan(path);
    case ScanInputKind::nikon: return load_nikon(path);
    case ScanInputKind::txrm: return load_txrm_scan(path);
    case ScanInputKind::bruker: return load_bruker(path);
    case ScanInputKind::unknown:
    default:
      throw InputError(path.string(), "",
                       "not a scan voidscan reads: expected scan.json, a Nikon .xtekct (or its folder), a ZEISS "
                       ".txrm, or a Bruker SkyScan .log (or its folder)");
  }
}

}  // namespace voidscan
