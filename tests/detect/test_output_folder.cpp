// The staged output folder: an existing non-empty folder is refused without --force and kept
// intact, replaced whole with it; a run that fails before commit leaves nothing behind; the
// outputs appear only at commit.
#include <gtest/gtest.h>

#include <fstream>

#include "detect/output_folder.hpp"
#include "recon/error.hpp"
#include "support/temp_dir.hpp"

namespace voidscan::detect {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// Names in `folder`.
std::vector<std::string> entries(const fs::path& folder) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(folder)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(OutputFolder, NewFolderAppearsOnlyAtCommit) {
  test::TempDir dir;
  const fs::path target = dir / "out";
  {
    StagedFolder out(target, false);
    EXPECT_EQ(out.target(), target);
    EXPECT_EQ(out.path().parent_path(), dir.path());
    std::ofstream(out.path() / "report.json") << "{}";
    EXPECT_FALSE(fs::exists(target));
    out.commit();
  }
  EXPECT_EQ(read(target / "report.json"), "{}");
  EXPECT_EQ(entries(dir.path()), (std::vector<std::string>{"out"}));  // no staging folder left
}

TEST(OutputFolder, TrailingSlashAndEmptyFolderAreFine) {
  test::TempDir dir;
  fs::create_directory(dir / "out");
  {
    StagedFolder out((dir / "out").string() + "/", false);
    EXPECT_EQ(out.target(), dir / "out");
    std::ofstream(out.path() / "a") << "new";
    out.commit();
  }
  EXPECT_EQ(read(dir / "out" / "a"), "new");
  EXPECT_EQ(entries(dir.path()), (std::vector<std::string>{"out"}));
}

TEST(OutputFolder, FailureBeforeCommitLeavesNothing) {
  test::TempDir dir;
  try {
    StagedFolder out(dir / "out", false);
    fs::create_directories(out.path() / "maps");
    std::ofstream(out.path() / "maps" / "die_P0.png") << "x";
    throw std::runtime_error("analysis failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(OutputFolder, NonEmptyFolderIsRefusedWithoutForceAndKept) {
  test::TempDir dir;
  fs::create_directory(dir / "out");
  std::ofstream(dir / "out" / "report.json") << "last night";
  try {
    StagedFolder out(dir / "out", false);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "-o");
    EXPECT_NE(std::string(e.what()).find("--force"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read(dir / "out" / "report.json"), "last night");
  EXPECT_EQ(entries(dir.path()), (std::vector<std::string>{"out"}));
}

TEST(OutputFolder, ForceReplacesTheWholeFolderAtCommit) {
  test::TempDir dir;
  fs::create_directories(dir / "out" / "maps");
  std::ofstream(dir / "out" / "report.json") << "last night";
  std::ofstream(dir / "out" / "maps" / "die_old.png") << "old";
  {
    StagedFolder out(dir / "out", true);
    std::ofstream(out.path() / "report.json") << "tonight";
    EXPECT_EQ(read(dir / "out" / "report.json"), "last night");  // untouched until commit
    out.commit();
  }
  EXPECT_EQ(read(dir / "out" / "report.json"), "tonight");
  EXPECT_FALSE(fs::exists(dir / "out" / "maps"));  // nothing of the old run mixed in
  EXPECT_EQ(entries(dir.path()), (std::vector<std::string>{"out"}));
}

TEST(OutputFolder, ForceFailureKeepsTheOldFolder) {
  test::TempDir dir;
  fs::create_directory(dir / "out");
  std::ofstream(dir / "out" / "report.json") << "last night";
  {
    StagedFolder out(dir / "out", true);
    std::ofstream(out.path() / "report.json") << "half";
  }  // no commit
  EXPECT_EQ(read(dir / "out" / "report.json"), "last night");
  EXPECT_EQ(entries(dir.path()), (std::vector<std::string>{"out"}));
}

TEST(OutputFolder, RefusesFilesMissingParentsAndDeletingInputs) {
  test::TempDir dir;
  std::ofstream(dir / "file") << "x";
  EXPECT_THROW(StagedFolder(dir / "file", true), InputError);
  EXPECT_THROW(StagedFolder(dir / "no" / "such" / "out", false), InputError);
  EXPECT_THROW(StagedFolder("", false), InputError);

  fs::create_directory(dir / "out");
  std::ofstream(dir / "out" / "volume.mha") << "input";
  StagedFolder out(dir / "out", true);
  EXPECT_THROW(out.protect(dir / "out" / "volume.mha"), InputError);
  EXPECT_THROW(out.protect(dir / "out" / ".." / "out" / "volume.mha"), InputError);
  EXPECT_NO_THROW(out.protect(dir / "file"));
  EXPECT_NO_THROW(out.protect(dir / "outside.mha"));
  StagedFolder fresh(dir / "other", false);
  EXPECT_NO_THROW(fresh.protect(dir / "other" / "x"));  // without --force nothing is deleted
}

TEST(OutputFolder, CommitRefusesAFolderFilledDuringTheRun) {
  test::TempDir dir;
  {
    StagedFolder out(dir / "out", false);
    std::ofstream(out.path() / "report.json") << "mine";
    fs::create_directory(dir / "out");
    std::ofstream(dir / "out" / "report.json") << "theirs";
    EXPECT_THROW(out.commit(), InputError);
  }
  EXPECT_EQ(read(dir / "out" / "report.json"), "theirs");
  EXPECT_EQ(entries(dir.path()), (std::vector<std::string>{"out"}));
}

}  // namespace
}  // namespace voidscan::detect
