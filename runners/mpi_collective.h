// MpiCollective: core/engine/collective.h over MPI (Open MPI), for the opt-in data-parallel train
// runner (//runners:train_mpi). Every call checks its return code (MPI_ERRORS_RETURN); a failed
// call throws, naming the rank and the call. A rank that dies makes the others' next collective
// hang until the launcher (mpirun, srun) kills them; watch_peers() names it first (below).
#pragma once

#include <openmpi/mpi.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/engine/collective.h"
#include "core/platform/files.h"

namespace biornn {

class MpiCollective : public Collective {
 public:
  // Initialises MPI (once per process); MPI_Finalize runs in the destructor.
  MpiCollective(int* argc, char*** argv);
  ~MpiCollective() override;
  MpiCollective(const MpiCollective&) = delete;
  MpiCollective& operator=(const MpiCollective&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void sum(float* data, size_t n) override;
  void sum(double* data, size_t n) override;
  // MPI_Iallreduce; wait_sums() is MPI_Waitall on them.
  void start_sum(float* data, size_t n) override;
  void wait_sums() override;
  bool all_equal(uint64_t value) override;
  // Rank 0's `text` on every rank.
  void broadcast(std::string& text);

  // Each rank holds a lock file <dir>/rank-locks/rank-<r> ("host H pid P") while it works; a
  // thread on every rank probes the others' locks every `period_ms`. A lock that comes free
  // before that rank called finished() means its process ended (killed, crashed, or stopped by
  // an error only it saw): the watcher prints one line naming the rank, its host and pid, then
  // `advice`, and ends this process with exit code 1 (the launcher then stops the rest). The
  // locks are flock(2) locks: one host, or a shared file system whose clients see them (Linux NFS).
  void watch_peers(const std::string& dir, const std::string& advice, int period_ms = 200);
  // This rank ended its work normally (any outcome every rank shares): its lock says so, and
  // the peers no longer count its exit as a death.
  void finished();

 private:
  void watch_loop(std::string dir, std::string advice, int period_ms);

  int rank_ = 0, size_ = 1;
  std::vector<MPI_Request> pending_;  // start_sum's, until wait_sums()
  std::unique_ptr<FileLock> own_lock_;
  std::thread watcher_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_watching_ = false;
};

// True when this process was started by an MPI launcher (mpirun / mpiexec / srun with PMI).
bool launched_by_mpi();

}  // namespace biornn
