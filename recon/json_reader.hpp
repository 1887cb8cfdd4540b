// Typed reading of JSON manifests with errors that name the file and the field path
// ("objects[3].radius_mm"), shared by every JSON reader of the project (scan.json,
// phantom.json, ...). Internal to the readers; not a public API.
#pragma once
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "recon/error.hpp"
#include "recon/geometry.hpp"

namespace voidscan::detail {
using nlohmann::json;

/// JSON has no NaN or Infinity, but Python's json module writes them. Turn those bare tokens
/// (outside strings) into null so the field reader can name the field that holds them.
inline std::string nan_tokens_to_null(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_string) {
      out += ch;
      if (ch == '\\' && i + 1 < text.size()) out += text[++i];
      else if (ch == '"') in_string = false;
      continue;
    }
    if (ch == '"') in_string = true;
    for (const char* tok : {"-Infinity", "Infinity", "NaN"}) {
      const size_t len = std::char_traits<char>::length(tok);
      if (text.compare(i, len, tok) == 0) {
        out += "null";
        i += len;
        break;
      }
    }
    if (i < text.size()) out += text[i];
  }
  return out;
}

/// Reads typed fields out of a JSON object, naming file and field path in every error.
/// With `warnings` null, unknown keys are errors.
class Reader {
 public:
  explicit Reader(std::string file, std::vector<std::string>* warnings = nullptr) : file_(std::move(file)), warnings_(warnings) {}

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw InputError(file_, field, what);
  }

  /// Unknown keys of `obj`: a warning each when the reader collects warnings, else an error.
  void check_keys(const json& obj, const std::string& path, std::initializer_list<const char*> known) const {
    const std::set<std::string> k(known.begin(), known.end());
    for (const auto& [key, value] : obj.items()) {
      if (k.count(key)) continue;
      if (!warnings_) fail(join(path, key), "unknown key");
      warnings_->push_back(file_ + ": unknown key '" + join(path, key) + "' ignored");
    }
  }

  const json& require(const json& obj, const std::string& path, const char* key) const {
    if (!obj.is_object()) fail(path, "expected an object");
    auto it = obj.find(key);
    if (it == obj.end()) fail(join(path, key), "missing");
    return *it;
  }

  double number(const json& v, const std::string& field) const {
    if (v.is_null()) fail(field, "not a finite number (NaN, Infinity or null)");
    if (!v.is_number()) fail(field, "expected a number, got " + std::string(v.type_name()));
    const double d = v.get<double>();
    if (!std::isfinite(d)) fail(field, "not a finite number");
    return d;
  }

  int integer(const json& v, const std::string& field) const {
    if (!v.is_number_integer()) fail(field, "expected an integer, got " + std::string(v.type_name()));
    return v.get<int>();
  }

  std::vector<double> numbers(const json& v, const std::string& field, size_t n = 0) const {
    if (!v.is_array()) fail(field, "expected a list of numbers");
    if (n && v.size() != n) fail(field, "expected " + std::to_string(n) + " numbers, got " + std::to_string(v.size()));
    std::vector<double> out;
    for (size_t i = 0; i < v.size(); ++i) out.push_back(number(v[i], field + "[" + std::to_string(i) + "]"));
    return out;
  }

  Vec3 vec3(const json& v, const std::string& field) const {
    const auto n = numbers(v, field, 3);
    return {n[0], n[1], n[2]};
  }

  std::string string(const json& v, const std::string& field) const {
    if (!v.is_string()) fail(field, "expected a string");
    return v.get<std::string>();
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

 private:
  std::string file_;
  std::vector<std::string>* warnings_;
};

}  // namespace voidscan::detail
