#include "runners/mpi_collective.h"

#include <openmpi/mpi.h>

#include <climits>
#include <cstdlib>
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

// MPI counts are int: sum large buffers in pieces.
template <typename T>
void sum_in_chunks(T* data, size_t n, MPI_Datatype type, int rank) {
  for (size_t done = 0; done < n;) {
    const int count = int(std::min<size_t>(n - done, INT_MAX));
    check(MPI_Allreduce(MPI_IN_PLACE, data + done, count, type, MPI_SUM, MPI_COMM_WORLD), rank, "MPI_Allreduce");
    done += size_t(count);
  }
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

MpiCollective::~MpiCollective() { MPI_Finalize(); }

void MpiCollective::sum(float* data, size_t n) { sum_in_chunks(data, n, MPI_FLOAT, rank_); }
void MpiCollective::sum(double* data, size_t n) { sum_in_chunks(data, n, MPI_DOUBLE, rank_); }

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
