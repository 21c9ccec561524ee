// Fixed points of a recurrent map (Sussillo & Barak 2013): minimise q(h) = 1/2 |F(h) - h|^2 from
// many starting states, merge duplicates and classify each point by the eigenvalues of dF/dh.
#pragma once

#include <Eigen/Dense>
#include <complex>
#include <cstdint>
#include <vector>

namespace biornn {

// A map F on states of dimension D, with exact vector-Jacobian products. The fixed-point
// finder needs nothing else (see LayerStepMap in core/analysis/analysis.h for a trained layer's step).
class StateMap {
 public:
  virtual ~StateMap() = default;
  virtual int dimension() const = 0;
  // f [n, D] = F(h) for each of the n rows of h [n, D].
  virtual void apply(const float* h, int n, float* f) = 0;
  // After apply(h, n, f): g [n, D] = (dF/dh at row i)^T v_i for each row (v [n, D]).
  virtual void vector_jacobian(const float* v, int n, float* g) = 0;
};

struct FixedPointOptions {
  int iterations = 4000;         // Adam steps at most
  double learning_rate = 0.01;   // Adam's initial step size on h (each start adapts its own)
  double tolerance = 1e-7;       // q below this: a fixed point (optimisation of that start stops)
  double merge_distance = 0.1;   // points closer than this (Euclidean) are one point
  double unit_tolerance = 1e-3;  // |lambda| > 1 + this: an unstable mode
};

struct FixedPoint {
  std::vector<float> state;                       // [D]
  double q = 0;                                   // 1/2 |F(h) - h|^2 there
  std::vector<std::complex<double>> eigenvalues;  // of dF/dh, by decreasing modulus
  int unstable = 0;                               // eigenvalues with |lambda| > 1 + unit_tolerance
  int starts = 0;                                 // how many starts converged to it
  bool stable() const { return unstable == 0; }
};

struct FixedPointSearch {
  std::vector<FixedPoint> points;  // distinct fixed points, stable ones first
  std::vector<double> final_q;     // [starts]: q where each start's optimisation ended
  int converged = 0;               // starts that reached q < tolerance
};

// Runs Adam on q from each of the n rows of `starts` ([n, D]) together, keeps the ends with
// q < tolerance, merges those within merge_distance (keeping the lowest q) and classifies them.
FixedPointSearch find_fixed_points(StateMap& map, const std::vector<float>& starts, int n,
                                   const FixedPointOptions& options);

// dF/dh at h ([D, D], row i = dF_i/dh), from D vector-Jacobian products.
Eigen::MatrixXd jacobian(StateMap& map, const float* h);

}  // namespace biornn
