#include "core/sdk/tensor.h"

namespace biornn {

void fill_uniform(Matrix& m, float scale, Rng& rng) {
  std::uniform_real_distribution<float> dist(-scale, scale);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = dist(rng);
}

void fill_normal(Matrix& m, float stddev, Rng& rng) {
  std::normal_distribution<float> dist(0.0f, stddev);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = dist(rng);
}

void Parameter::resize(int rows, int cols) {
  raw = Matrix::Zero(rows, cols);
  value = Matrix::Zero(rows, cols);
  grad = Matrix::Zero(rows, cols);
  raw_grad = Matrix::Zero(rows, cols);
}

}  // namespace biornn
