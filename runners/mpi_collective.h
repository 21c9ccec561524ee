// MpiCollective: core/engine/collective.h over MPI (Open MPI), for the opt-in data-parallel train
// runner (//runners:train_mpi). Every call checks its return code (MPI_ERRORS_RETURN): a rank
// that dies makes the others' next collective fail or hang; the launcher (mpirun, srun)
// then ends the job. A failed call throws, naming the rank and the call.
#pragma once

#include <memory>
#include <string>

#include "core/engine/collective.h"

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
  bool all_equal(uint64_t value) override;
  // Rank 0's `text` on every rank.
  void broadcast(std::string& text);

 private:
  int rank_ = 0, size_ = 1;
};

// True when this process was started by an MPI launcher (mpirun / mpiexec / srun with PMI).
bool launched_by_mpi();

}  // namespace biornn
