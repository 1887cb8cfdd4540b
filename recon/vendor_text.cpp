#include "recon/vendor_text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>

#include "recon/error.hpp"
#include "recon/text.hpp"

namespace voidscan {
namespace {

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}


}  // namespace

std::optional<double> parse_number(const std::string& text) {
  const std::string s = trim(text);
  if (s.empty()) return std::nullopt;
  double v = 0;
  const char* first = s.data() + (s[0] == '+' ? 1 : 0);
  const auto [ptr, ec] = std::from_chars(first, s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

KeyValueFile::KeyValueFile(const std::filesystem::path& file) : file_(file) {
  if (!std::filesystem::exists(file)) throw InputError(file.string(), "", "file not found");
  std::ifstream in(file);
  if (!in) throw InputError(file.string(), "", "cannot be opened for reading");
  std::string line, section;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string t = trim(line);
    if (t.empty() || t[0] == ';' || t[0] == '#') continue;
    if (t.front() == '[' && t.back() == ']') {
      section = trim(t.substr(1, t.size() - 2));
      sections_.push_back(section);
      continue;
    }
    const size_t eq = t.find('=');
    if (eq == std::string::npos) continue;
    entries_.push_back({section, trim(t.substr(0, eq)), trim(t.substr(eq + 1))});
  }
  if (entries_.empty()) throw InputError(file.string(), "", "no 'key=value' lines: not a header file");
}

bool KeyValueFile::has_section(const std::string& section) const {
  const std::string s = ascii_lower(section);
  return std::any_of(sections_.begin(), sections_.end(), [&](const std::string& x) { return ascii_lower(x) == s; });
}

const KeyValueFile::Entry* KeyValueFile::lookup(const std::string& key) const {
  const std::string k = ascii_lower(key);
  for (const auto& e : entries_)
    if (ascii_lower(e.key) == k) return &e;
  return nullptr;
}

bool KeyValueFile::has(const std::string& key) const { return lookup(key) != nullptr; }

std::optional<std::string> KeyValueFile::find(const std::string& key) {
  const Entry* e = lookup(key);
  if (!e) return std::nullopt;
  if (used_keys_.insert(ascii_lower(key)).second) used_.push_back(e->key);
  return e->value;
}

void KeyValueFile::fail(const std::string& key, const std::string& what) const {
  throw InputError(file_.string(), key, what);
}

std::optional<double> KeyValueFile::optional_number(const std::string& key) {
  const auto v = find(key);
  if (!v) return std::nullopt;
  const auto d = parse_number(*v);
  if (!d) fail(key, "'" + *v + "' is not a finite number");
  return d;
}

double KeyValueFile::number(const std::string& key) {
  const auto d = optional_number(key);
  if (!d) fail(key, "missing");
  return *d;
}

int KeyValueFile::integer(const std::string& key) {
  const double d = number(key);
  if (d != std::floor(d) || std::abs(d) > 2e9) fail(key, "expected an integer, got " + *find(key));
  return int(d);
}

std::string KeyValueFile::string(const std::string& key) {
  const auto v = find(key);
  if (!v) fail(key, "missing");
  return *v;
}

std::vector<std::string> KeyValueFile::unused() const {
  std::vector<std::string> out;
  for (const auto& e : entries_)
    if (!used_keys_.count(ascii_lower(e.key))) out.push_back(e.section.empty() ? e.key : e.section + "/" + e.key);
  return out;
}

std::filesystem::path only_file_in(const std::filesystem::path& folder,
                                   const std::function<bool(const std::filesystem::path&)>& accept,
                                   const std::string& what) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(folder)) return {};
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(folder))
    if (e.is_regular_file() && accept(e.path())) found.push_back(e.path());
  if (found.size() > 1) throw InputError(folder.string(), "", "holds more than one " + what + ": name the one to read");
  return found.empty() ? fs::path() : found.front();
}

std::filesystem::path vendor_header_path(const std::filesystem::path& path,
                                         std::filesystem::path (*find)(const std::filesystem::path&),
                                         const std::string& what) {
  if (!std::filesystem::is_directory(path)) return path;
  std::filesystem::path file = find(path);
  if (file.empty()) throw InputError(path.string(), "", "no " + what + " in this folder");
  return file;
}

KeyValueFile open_vendor_header(const std::filesystem::path& file, const std::string& section,
                                const std::string& format, Scan& scan) {
  KeyValueFile kv(file);
  if (!kv.has_section(section)) kv.fail("[" + section + "]", "section missing: not a " + format + " file");
  scan.manifest = file;
  scan.format = format;
  scan.source = file.filename().string();
  return kv;
}

void record_fields(const KeyValueFile& kv, Scan& scan) {
  std::vector<std::string> used = kv.used();
  used.insert(used.end(), scan.fields_used.begin(), scan.fields_used.end());
  scan.fields_used = std::move(used);
  scan.fields_ignored = kv.unused();
}

}  // namespace voidscan
