#include "runners/mpi_collective.h"

#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/sdk/error.h"

namespace biornn {

namespace {

void check(int rc, int rank, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw Error("rank " + std::to_string(rank) + ": " + call + " failed: " + std::string(text, size_t(len)) +
              " (did another rank die? its log says why)");
}

// MPI counts are int: calls `f(offset, count)` over pieces of n values.
template <typename F>
void in_chunks(size_t n, F f) {
  for (size_t done = 0; done < n;) {
    const int count = int(std::min<size_t>(n - done, INT_MAX));
    f(done, count);
    done += size_t(count);
  }
}

template <typename T>
void sum_in_chunks(T* data, size_t n, MPI_Datatype type, int rank) {
  in_chunks(n, [&](size_t at, int count) {
    check(MPI_Allreduce(MPI_IN_PLACE, data + at, count, type, MPI_SUM, MPI_COMM_WORLD), rank, "MPI_Allreduce");
  });
}

}  // namespace

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(v)) return true;
  return false;
}

MpiCollective::MpiCollective(int* argc, char*** argv) {
  int provided = 0;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    throw Error("MPI_Init_thread failed (is this started by mpirun?)");
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiCollective::~MpiCollective() {
  {
    std::lock_guard<std::mutex> hold(mutex_);
    stop_watching_ = true;
  }
  wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  own_lock_.reset();
  MPI_Finalize();
}

namespace {

std::string rank_lock_path(const std::string& dir, int rank) {
  return (std::filesystem::path(dir) / "rank-locks" / ("rank-" + std::to_string(rank))).string();
}

std::string this_host() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

}  // namespace

void MpiCollective::watch_peers(const std::string& dir, const std::string& advice, int period_ms) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(dir) / "rank-locks", ec);
  const std::string path = rank_lock_path(dir, rank_);
  own_lock_ = std::make_unique<FileLock>(path, "host " + this_host() + " pid " + std::to_string(getpid()));
  if (!own_lock_->held())
    throw Error("rank " + std::to_string(rank_) + ": " + path + " is held by another process (" + own_lock_->holder() +
                "): is another job training in this run directory?");
  check(MPI_Barrier(MPI_COMM_WORLD), rank_, "MPI_Barrier");  // every lock is taken before anyone probes
  watcher_ = std::thread(&MpiCollective::watch_loop, this, dir, advice, period_ms);
}

void MpiCollective::watch_loop(std::string dir, std::string advice, int period_ms) {
  std::unique_lock<std::mutex> hold(mutex_);
  while (!wake_.wait_for(hold, std::chrono::milliseconds(period_ms), [this] { return stop_watching_; })) {
    for (int r = 0; r < size_; ++r) {
      if (r == rank_) continue;
      const LockProbe peer = probe_lock(rank_lock_path(dir, r));
      if (!peer.free || peer.text.rfind("finished", 0) == 0) continue;
      std::fprintf(stderr,
                   "error: rank %d: MPI rank %d (%s) ended before the others finished (killed, crashed, "
                   "or stopped by an error in its own log); this rank stops too. %s\n",
                   rank_, r, peer.text.c_str(), advice.c_str());
      std::fflush(stderr);
      std::_Exit(1);  // the main thread may be blocked in a collective that never returns
    }
  }
}

void MpiCollective::finished() {
  if (own_lock_) own_lock_->rewrite("finished " + own_lock_->holder());
}

void MpiCollective::sum(float* data, size_t n) { sum_in_chunks(data, n, MPI_FLOAT, rank_); }
void MpiCollective::sum(double* data, size_t n) { sum_in_chunks(data, n, MPI_DOUBLE, rank_); }

void MpiCollective::start_sum(float* data, size_t n) {
  in_chunks(n, [&](size_t at, int count) {
    pending_.emplace_back();
    check(MPI_Iallreduce(MPI_IN_PLACE, data + at, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &pending_.back()), rank_,
          "MPI_Iallreduce");
  });
}

void MpiCollective::wait_sums() {
  if (pending_.empty()) return;
  const int rc = MPI_Waitall(int(pending_.size()), pending_.data(), MPI_STATUSES_IGNORE);
  pending_.clear();
  check(rc, rank_, "MPI_Waitall");
}

bool MpiCollective::all_equal(uint64_t value) {
  uint64_t lo = value, hi = value;
  check(MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD), rank_, "MPI_Allreduce(min)");
  check(MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD), rank_, "MPI_Allreduce(max)");
  return lo == hi;
}

void MpiCollective::broadcast(std::string& text) {
  uint64_t n = text.size();
  check(MPI_Bcast(&n, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD), rank_, "MPI_Bcast");
  text.resize(size_t(n));
  check(MPI_Bcast(text.data(), int(n), MPI_CHAR, 0, MPI_COMM_WORLD), rank_, "MPI_Bcast");
}

}  // namespace biornn
