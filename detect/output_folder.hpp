// The output folder of `voidscan detect` / `voidscan run`, for unattended nightly runs:
// nothing lost, nothing overwritten, nothing half-written.
//
// Steps: the constructor checks the target before any work (its parent is a folder; the target
// does not exist, or is an empty folder, or --force was given and it is a folder) and creates
// a staging folder beside it (`.<name>.partial-<pid>-<n>`, same filesystem, so renames are
// atomic); every output is written there; commit() moves it into place: a plain rename when
// the target is absent or empty (renameat2 RENAME_NOREPLACE where the filesystem has it), an
// atomic swap (renameat2 RENAME_EXCHANGE) with the old folder under --force, which is then
// removed; where the filesystem lacks the swap, old -> `.<name>.old-<pid>` then new -> target
// (the target is missing for that instant only). The destructor removes the staging folder
// when commit() was not reached, so a failed run leaves nothing behind (a killed process can
// leave a hidden `.<name>.partial-*`, never a half-written OUTDIR).
// Test: tests/detect/test_output_folder.cpp.
#pragma once
#include <filesystem>

namespace voidscan::detect {

class StagedFolder {
 public:
  /// Throws InputError(target, "-o", ...) when the target cannot be used (see above).
  StagedFolder(std::filesystem::path target, bool force);
  ~StagedFolder();
  StagedFolder(const StagedFolder&) = delete;
  StagedFolder& operator=(const StagedFolder&) = delete;

  /// Throws InputError(input, "-o", ...) when --force would delete `input` (it lies inside the
  /// target). Call for every input file before the run.
  void protect(const std::filesystem::path& input) const;

  /// Where to write the outputs until commit().
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return staging_; }
  /// The final folder (absolute).
  [[nodiscard]] const std::filesystem::path& target() const noexcept { return target_; }

  /// Moves the staged outputs into place (see above). Throws InputError when, without
  /// --force, the target has been filled meanwhile; RuntimeFailure when the rename fails.
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path staging_;
  bool force_ = false;
  bool committed_ = false;
};

}  // namespace voidscan::detect
