// Staged output folder. See output_folder.hpp. Test: tests/detect/test_output_folder.cpp.
#include "detect/output_folder.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE, RENAME_EXCHANGE (glibc >= 2.28)
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "recon/error.hpp"

namespace voidscan::detect {
namespace fs = std::filesystem;
namespace {

bool is_empty_folder(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec) && fs::is_empty(p, ec) && !ec;
}

/// True when `inner` is `outer` or lies below it (both absolute and normal).
bool inside(const fs::path& inner, const fs::path& outer) {
  auto o = outer.begin(), i = inner.begin();
  for (; o != outer.end(); ++o, ++i)
    if (i == inner.end() || *i != *o) return false;
  return true;
}

fs::path normal_absolute(const fs::path& p) {
  fs::path a = fs::absolute(p).lexically_normal();
  if (a.filename().empty() && a.has_parent_path() && a != a.root_path()) a = a.parent_path();  // "out/" -> "out"
  return a;
}

/// renameat2 with flags; returns errno (0 on success).
int rename2(const fs::path& from, const fs::path& to, unsigned flags) {
  return ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), flags) == 0 ? 0 : errno;
}

bool flag_unsupported(int err) { return err == EINVAL || err == ENOSYS || err == ENOTSUP; }

}  // namespace

StagedFolder::StagedFolder(fs::path target, bool force) : force_(force) {
  const std::string given = target.string();
  if (given.empty()) throw InputError("", "-o", "no output folder given");
  target_ = normal_absolute(target);
  if (target_ == target_.root_path()) throw InputError(given, "-o", "cannot write into the root folder");
  std::error_code ec;
  const fs::path parent = target_.parent_path();
  if (!fs::is_directory(parent, ec))
    throw InputError(given, "-o", "its parent folder " + parent.string() + " does not exist");
  const fs::file_status st = fs::symlink_status(target_, ec);
  if (fs::exists(st)) {
    if (!fs::is_directory(st))
      throw InputError(given, "-o", "exists and is not a folder (a file or a link); give a folder name for the outputs");
    if (!is_empty_folder(target_)) {
      if (!force_)
        throw InputError(given, "-o", "exists and is not empty; use --force to replace it, or choose another folder");
      const fs::path cwd = normal_absolute(fs::current_path());
      if (inside(cwd, target_))
        throw InputError(given, "-o", "--force would delete the current working folder; choose another output folder");
    }
  }
  static int counter = 0;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const fs::path s = parent / ("." + target_.filename().string() + ".partial-" + std::to_string(::getpid()) + "-" +
                                 std::to_string(counter++));
    if (fs::create_directory(s, ec)) {
      staging_ = s;
      return;
    }
    if (ec) throw RuntimeFailure("cannot create a folder in " + parent.string() + " (" + ec.message() + ")",
                                 "check permissions and free disk space");
  }
  throw RuntimeFailure("cannot create a staging folder in " + parent.string());
}

StagedFolder::~StagedFolder() {
  if (committed_ || staging_.empty()) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

void StagedFolder::protect(const fs::path& input) const {
  if (!force_ || input.empty()) return;
  auto resolved = [](const fs::path& p) {
    std::error_code ec;
    const fs::path c = fs::weakly_canonical(fs::absolute(p), ec);
    return ec || c.empty() ? normal_absolute(p) : normal_absolute(c);
  };
  const fs::path in = resolved(input), out = resolved(target_);
  if (inside(in, out))
    throw InputError(input.string(), "-o",
                     "lies inside the output folder " + target_.string() + ", which --force would replace");
}

void StagedFolder::commit() {
  if (committed_) return;
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(target_, ec);
  const std::string name = target_.string();
  auto failure = [&](int err, const std::string& what) {
    return RuntimeFailure("cannot move the outputs into " + name + ": " + what + " (" + std::strerror(err) + ")",
                          "the outputs were not kept; check permissions and free disk space");
  };

  if (!fs::exists(st) || is_empty_folder(target_)) {
    // Absent: rename without replacing anything. Empty folder: rename(2) replaces it atomically.
    int err = fs::exists(st) ? (::rename(staging_.c_str(), target_.c_str()) == 0 ? 0 : errno)
                             : rename2(staging_, target_, RENAME_NOREPLACE);
    if (err && flag_unsupported(err) && !fs::exists(target_, ec))
      err = ::rename(staging_.c_str(), target_.c_str()) == 0 ? 0 : errno;
    if (err == 0) {
      committed_ = true;
      return;
    }
    if (err != EEXIST && err != ENOTEMPTY) throw failure(err, "rename failed");
    // filled by someone else meanwhile: fall through
  }
  if (!fs::is_directory(target_, ec)) throw InputError(name, "-o", "exists and is not a folder (created during the run)");
  if (!force_) throw InputError(name, "-o", "was created and filled during the run; not replaced without --force");

  // --force: swap atomically, then remove the old contents (now at the staging path).
  int err = rename2(staging_, target_, RENAME_EXCHANGE);
  if (err == 0) {
    committed_ = true;
    fs::remove_all(staging_, ec);  // the old folder; a failure to remove it loses no result
    return;
  }
  if (!flag_unsupported(err)) throw failure(err, "swap failed");
  // No atomic swap on this filesystem: old aside, new in place, old removed.
  const fs::path old = target_.parent_path() / ("." + target_.filename().string() + ".old-" + std::to_string(::getpid()));
  if (::rename(target_.c_str(), old.c_str()) != 0) throw failure(errno, "cannot move the old folder aside");
  if (::rename(staging_.c_str(), target_.c_str()) != 0) {
    const int e = errno;
    ::rename(old.c_str(), target_.c_str());  // put the old one back
    throw failure(e, "rename failed");
  }
  committed_ = true;
  fs::remove_all(old, ec);
}

}  // namespace voidscan::detect
