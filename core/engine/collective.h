// Collective: how the ranks of a data-parallel run combine their work. The default is one
// process (every call is a no-op); an MPI build supplies another (see README "On a cluster").
#pragma once

#include <cstddef>
#include <cstdint>

namespace biornn {

class Collective {
 public:
  virtual ~Collective() = default;
  virtual int rank() const { return 0; }
  virtual int size() const { return 1; }
  // Sums `n` values across all ranks in place; every rank receives the same sum.
  virtual void sum(float* data, size_t n) {
    (void)data;
    (void)n;
  }
  virtual void sum(double* data, size_t n) {
    (void)data;
    (void)n;
  }
  // Starts summing `n` floats across ranks in place and returns; the sum is there once
  // wait_sums() returns, and `data` must be left alone until then. Default: sums at once.
  virtual void start_sum(float* data, size_t n) { sum(data, n); }
  // Waits for every sum start_sum() began.
  virtual void wait_sums() {}
  // True when every rank passed the same value (e.g. a hash of the parameters).
  virtual bool all_equal(uint64_t value) {
    (void)value;
    return true;
  }
  // Rank 0 writes files and logs; the others stay quiet.
  bool is_root() const { return rank() == 0; }
};

}  // namespace biornn
