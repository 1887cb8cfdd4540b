// Runs the real voidscan binary with a shell command line; captures exit code, stdout, stderr.
#pragma once
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "support/scan_files.hpp"

namespace voidscan::test {

struct Outcome {
  int code = -1;
  std::string out, err;
};

/// The voidscan program the CLI tests run: $VOIDSCAN_BINARY when set (the test binary was
/// carried to another machine, bench/gpu.sh), else the one built beside the tests.
inline std::string voidscan_binary() {
  const char* env = std::getenv("VOIDSCAN_BINARY");
  return env && *env ? std::string(env) : std::string(VOIDSCAN_BINARY);
}

/// `voidscan ARGS` with stdout/stderr captured in files under `scratch` (removed once read, so
/// that they are not taken for the program's output).
inline Outcome run_voidscan(const std::string& args, const std::filesystem::path& scratch) {
  const auto out = scratch / "stdout.txt", err = scratch / "stderr.txt";
  const std::string cmd = voidscan_binary() + " " + args + " > " + out.string() + " 2> " + err.string();
  const int status = std::system(cmd.c_str());
  Outcome o{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text(out), read_text(err)};
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return o;
}

}  // namespace voidscan::test
