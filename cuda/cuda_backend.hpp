// Entry points of the CUDA backend, called only from recon/backend.cpp (make_backend).
// No CUDA types in this header, so it can be included from plain C++.
#pragma once
#include <memory>
#include <string>

#include "recon/backend.hpp"

namespace voidscan::cuda {

/// Number of CUDA devices; 0 with `why` set when the runtime reports an error (no driver, no GPU).
[[nodiscard]] int device_count(std::string* why);

[[nodiscard]] std::unique_ptr<FdkBackend> make_backend(const FdkPlan& plan, const BackendOptions& options);

}  // namespace voidscan::cuda
