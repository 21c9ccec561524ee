#include "core/sdk/tensor.h"

namespace biornn {

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
