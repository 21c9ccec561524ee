#include "core/sdk/tensor.h"

#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace biornn {
namespace {

#if defined(__linux__)
constexpr size_t kHugePage = size_t(2) << 20;
constexpr size_t kHugeFrom = size_t(512) << 10;

size_t round_up(size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }

// Maps one huge page more than needed and unmaps the ends, so the rest starts on a boundary.
void* map_huge(size_t bytes) {
  const size_t size = round_up(bytes), mapped = size + kHugePage;
  void* m = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t base = reinterpret_cast<uintptr_t>(m);
  const uintptr_t start = (base + kHugePage - 1) / kHugePage * kHugePage, end = start + size;
  if (start > base) munmap(m, start - base);
  if (base + mapped > end) munmap(reinterpret_cast<void*>(end), base + mapped - end);
  madvise(reinterpret_cast<void*>(start), size, MADV_HUGEPAGE);  // a hint: no huge pages is fine
  return reinterpret_cast<void*>(start);
}
#endif

}  // namespace

void* allocate_scratch(size_t bytes) {
#if defined(__linux__)
  if (bytes >= kHugeFrom) return map_huge(bytes);
#endif
  return Eigen::internal::aligned_malloc(bytes);
}

void free_scratch(void* p, size_t bytes) noexcept {
  if (!p) return;
#if defined(__linux__)
  if (bytes >= kHugeFrom) {
    munmap(p, round_up(bytes));
    return;
  }
#endif
  Eigen::internal::aligned_free(p);
}

void fill_uniform(Matrix& m, float scale, Rng& rng) {
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = float(rng.uniform(-scale, scale));
}

void fill_normal(Matrix& m, float stddev, Rng& rng) {
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = float(stddev * rng.normal());
}

void Parameter::resize(int rows, int cols) {
  raw = Matrix::Zero(rows, cols);
  value = Matrix::Zero(rows, cols);
  grad = Matrix::Zero(rows, cols);
  raw_grad = Matrix::Zero(rows, cols);
}

}  // namespace biornn
