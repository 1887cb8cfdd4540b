#include "recon/projections.hpp"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "recon/error.hpp"

namespace voidscan {

/// Worker threads 1..n-1 plus the calling thread (worker 0), one ImageReader each. run() splits
/// [0, count) into n contiguous runs, worker w taking run w, and returns when all are done.
struct ScanProjections::Pool {
  explicit Pool(int n) : readers(size_t(n)) {
    for (int w = 1; w < n; ++w) threads.emplace_back([this, w] { loop(w); });
  }
  ~Pool() {
    {
      std::lock_guard lock(mutex);
      stop = true;
    }
    wake.notify_all();
    for (auto& t : threads) t.join();
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  int size() const { return int(readers.size()); }

  void run(int count, const std::function<void(int index, ImageReader& reader)>& fn) {
    const int n = size();
    errors.assign(size_t(n), nullptr);
    {
      std::lock_guard lock(mutex);
      job = &fn;
      job_count = count;
      pending = n - 1;
      ++generation;
    }
    wake.notify_all();
    work(0);
    {
      std::unique_lock lock(mutex);
      done.wait(lock, [&] { return pending == 0; });
      job = nullptr;
    }
    for (const auto& e : errors)  // the lowest run's error holds the lowest failed index
      if (e) std::rethrow_exception(e);
  }

 private:
  void work(int w) {
    const int n = size();
    const int begin = int(long(job_count) * w / n), end = int(long(job_count) * (w + 1) / n);
    try {
      for (int i = begin; i < end; ++i) (*job)(i, readers[size_t(w)]);
    } catch (...) {
      errors[size_t(w)] = std::current_exception();
    }
  }

  void loop(int w) {
    long seen = 0;
    while (true) {
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [&] { return stop || generation != seen; });
        if (stop) return;
        seen = generation;
      }
      work(w);
      std::lock_guard lock(mutex);
      if (--pending == 0) done.notify_all();
    }
  }

  std::vector<ImageReader> readers;
  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> errors;
  std::mutex mutex;
  std::condition_variable wake, done;
  const std::function<void(int, ImageReader&)>* job = nullptr;
  int job_count = 0;
  int pending = 0;
  long generation = 0;
  bool stop = false;
};

namespace {
int reading_threads(int requested) {
  if (requested < 0 || requested > 64) throw InputError("", "--read-threads", "must be in 0..64");
  if (requested > 0) return requested;
  return int(std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
}
}  // namespace

ScanProjections::ScanProjections(const Scan& scan, int threads)
    : scan_(scan),
      pre_(scan.intensity, scan.geometry.detector.cols, scan.geometry.detector.rows),
      pool_(std::make_unique<Pool>(reading_threads(threads))) {}

ScanProjections::~ScanProjections() = default;

int ScanProjections::threads() const { return pool_->size(); }

void ScanProjections::read(int first, int count, float* out) {
  const auto& det = scan_.geometry.detector;
  const size_t image = size_t(det.cols) * det.rows;
  pool_->run(count, [&](int i, ImageReader& reader) {
    const ProjectionSource& src = scan_.projections[size_t(first + i)];
    float* dst = out + image * size_t(i);
    reader.read(src.file, src.page, det.cols, det.rows, dst);
    pre_.apply(dst);
  });
}

void MemoryProjections::read(int first, int count, float* out) {
  std::copy(data_ + image_ * first, data_ + image_ * (first + count), out);
}

}  // namespace voidscan
