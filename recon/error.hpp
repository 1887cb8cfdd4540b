// Error types shared by every stage. The CLI maps them to exit codes:
// InputError -> 2 (bad usage or bad input), RuntimeFailure -> 3 (the run itself failed).
#pragma once
#include <stdexcept>
#include <string>

namespace voidscan {

/// Bad input: a file, field or value the user supplied is wrong. Always names the file
/// (when there is one) and the field, so the message alone tells what to fix.
class InputError : public std::runtime_error {
 public:
  InputError(std::string file, std::string field, const std::string& what)
      : std::runtime_error(compose(file, field, what)), file_(std::move(file)), field_(std::move(field)) {}
  [[nodiscard]] const std::string& file() const noexcept { return file_; }
  [[nodiscard]] const std::string& field() const noexcept { return field_; }

 private:
  static std::string compose(const std::string& file, const std::string& field, const std::string& what) {
    std::string s;
    if (!file.empty()) s += file;
    if (!field.empty()) s += (s.empty() ? "" : ": ") + std::string("field '") + field + "'";
    if (!s.empty()) s += ": ";
    return s + what;
  }
  std::string file_;
  std::string field_;
};

/// The run failed for a reason other than its input (out of memory, no GPU, disk full).
/// `hint` says what the user can do about it.
class RuntimeFailure : public std::runtime_error {
 public:
  explicit RuntimeFailure(const std::string& what, std::string hint = {})
      : std::runtime_error(what), hint_(std::move(hint)) {}
  [[nodiscard]] const std::string& hint() const noexcept { return hint_; }

 private:
  std::string hint_;
};

}  // namespace voidscan
