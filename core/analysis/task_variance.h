// Task variance, unit clusters and lesions of a multi-task network (Yang et al. 2019): how much
// each unit's rate varies across the trials of each task, units grouped by those profiles
// (k-means, k chosen by silhouette score), and the score of every task with a group silenced.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "core/analysis/analysis.h"
#include "core/engine/model.h"

namespace biornn {

struct TaskVarianceMap {
  std::vector<float> tasks;    // [K] the values of the task condition, ascending
  Eigen::MatrixXd variance;    // [H, K] variance of r across the task's trials at each step, mean over steps
  Eigen::MatrixXd normalised;  // [H, K] each unit's row divided by its largest value
  std::vector<int> active;     // units whose summed variance exceeds the threshold
};

// The map from recorded activity; `task_column` is the task condition's index among the C
// conditions. Units with summed variance <= threshold are left out of `active` (silent units).
TaskVarianceMap task_variance(const Activity& a, size_t task_column, size_t C, double threshold = 1e-3);

struct UnitClusters {
  int k = 0;
  double silhouette = 0;   // mean silhouette score of the chosen k
  std::vector<int> label;  // [rows] cluster of each row, 0..k-1
};

// k-means (k-means++ starts, `restarts` of them, best inertia) of the rows of `points`.
std::vector<int> kmeans(const Eigen::MatrixXd& points, int k, uint64_t seed, int restarts = 10);
// Mean silhouette score of a labelling (Euclidean distances).
double silhouette(const Eigen::MatrixXd& points, const std::vector<int>& label, int k);
// The labelling with the best silhouette score for k in [2, max_k].
UnitClusters cluster_units(const Eigen::MatrixXd& points, int max_k, uint64_t seed);

// Silences units of the model's last layer while it lives: their column is zeroed in every
// parameter with H columns and more than one row (recurrent weights of the cell and the gate,
// the readout's weights), so their rates reach nothing. The destructor restores the weights.
class Lesion {
 public:
  Lesion(Model& model, const std::vector<int>& units);
  ~Lesion();
  Lesion(const Lesion&) = delete;
  Lesion& operator=(const Lesion&) = delete;

 private:
  std::vector<std::pair<Parameter*, std::pair<Matrix, Matrix>>> saved_;  // raw, value
};

}  // namespace biornn
